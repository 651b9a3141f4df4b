"""``marketlink user create`` and ``marketlink user set-password`` (issue 4): the real console
script on a SQLite file; the prompts through click's test runner."""

import re
import shutil
import uuid

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner

from marketlink.cli import main
from tests.e2e.test_cli import Cli

PASSWORD = "correct horse battery staple"
COMPANY_ID = "0b1c6a70-8f5e-4b8e-9d0a-00000000000c"


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    cli = Cli(tmp_path_factory.mktemp("template"))
    cli.ok("migrate")
    return cli.db_file


@pytest.fixture
def cli(tmp_path, template) -> Cli:
    """A migrated database with one company, "Acme Buyer"."""
    shutil.copy(template, tmp_path / "x.db")
    cli = Cli(tmp_path)
    cli.execute("INSERT INTO companies (id, name, country, created_on) "
                f"VALUES ('{COMPANY_ID}', 'Acme Buyer', 'US', 1)")
    return cli


def create(cli: Cli, *args: str, password: str = PASSWORD):
    return cli.run_with_input(f"{password}\n", "user", "create", "--first-name", "Ada",
                              "--last-name", "Lovelace", "--password-stdin", *args)


def test_user_create_prints_only_the_id_and_stores_an_argon2id_hash(cli):
    done = create(cli, "--email", "Ada@Buyer.example", "--company", "Acme Buyer")

    assert done.returncode == 0, done.stderr
    user_id = done.stdout.removesuffix("\n")
    assert done.stdout == f"{uuid.UUID(user_id)}\n"
    assert cli.rows("SELECT id, company_id, email, first_name, last_name, language, locale FROM users") == [
        (user_id, COMPANY_ID, "ada@buyer.example", "Ada", "Lovelace", "en", "en")]
    [(owner, stored)] = cli.rows("SELECT user_id, password_hash FROM user_credentials")
    assert owner == user_id
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert PasswordHasher().verify(stored, PASSWORD)


def test_the_company_may_be_named_by_its_id(cli):
    done = create(cli, "--email", "ada@buyer.example", "--company", COMPANY_ID, "--language", "fr")

    assert done.returncode == 0, done.stderr
    assert cli.rows("SELECT company_id, language FROM users") == [(COMPANY_ID, "fr")]


@pytest.mark.parametrize("args,password,message", [
    (("--email", "ada@buyer.example", "--company", "Nope"), PASSWORD,
     "Error: no company has the id or name 'Nope'\n"),
    (("--email", "ada@buyer.example", "--company", "Acme Buyer"), "too short",
     "Error: a password is 12 to 1024 characters\n"),
    (("--email", "not an email", "--company", "Acme Buyer"), PASSWORD,
     "Error: email is not an email address\n"),
])
def test_a_refused_user_is_a_usage_error_and_writes_nothing(cli, args, password, message):
    done = create(cli, *args, password=password)

    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.endswith(message)
    assert cli.rows("SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM user_credentials)") == [(0, 0)]


def test_a_second_user_with_the_same_email_is_refused(cli):
    create(cli, "--email", "ada@buyer.example", "--company", "Acme Buyer")

    done = create(cli, "--email", "ADA@buyer.example", "--company", "Acme Buyer")

    assert done.returncode == 2
    assert done.stderr.endswith("Error: A user with this email exists\n")
    assert cli.rows("SELECT count(*) FROM users") == [(1,)]


def test_a_name_two_companies_share_is_refused(cli):
    cli.execute("INSERT INTO companies (id, name, country, created_on) "
                "VALUES ('0b1c6a70-8f5e-4b8e-9d0a-00000000000d', 'Acme Buyer', 'FR', 2)")

    done = create(cli, "--email", "ada@buyer.example", "--company", "Acme Buyer")

    assert done.returncode == 2
    assert done.stderr.endswith("Error: more than one company is named 'Acme Buyer': give its id\n")


def test_password_stdin_needs_the_names(cli):
    done = cli.run_with_input(f"{PASSWORD}\n", "user", "create", "--email", "ada@buyer.example",
                              "--company", "Acme Buyer", "--password-stdin")

    assert done.returncode == 2
    assert done.stderr.endswith("Error: --password-stdin needs --first-name and --last-name\n")


def test_without_password_stdin_names_and_password_are_asked_for(cli):
    result = CliRunner().invoke(
        main, ["user", "create", "--email", "ada@buyer.example", "--company", "Acme Buyer"],
        input=f"Ada\nLovelace\n{PASSWORD}\n{PASSWORD}\n", env=cli.env)

    assert result.exit_code == 0, result.output
    assert re.fullmatch(r"[0-9a-f-]{36}\n", result.stdout)
    # The prompts go to stderr (the test runner echoes the answers, but not the hidden ones).
    assert result.stderr == "First name: Ada\nLast name: Lovelace\nPassword: \nRepeat for confirmation: \n"
    assert cli.rows("SELECT first_name, last_name FROM users") == [("Ada", "Lovelace")]


def test_set_password_replaces_the_hash_and_ends_the_sessions(cli):
    user_id = create(cli, "--email", "ada@buyer.example", "--company", "Acme Buyer").stdout.strip()
    cli.execute(f"INSERT INTO web_sessions (id, user_id, created_on, expires_on, sid) "
                f"VALUES ('{'a' * 64}', '{user_id}', 1, 9999999999999, '{'b' * 32}')")

    done = cli.run_with_input("a brand new passphrase\n", "user", "set-password",
                              "--email", "ADA@buyer.example", "--password-stdin")

    assert (done.returncode, done.stdout) == (0, "")
    assert done.stderr == "password set for ada@buyer.example; the user's sessions have ended\n"
    [(stored,)] = cli.rows("SELECT password_hash FROM user_credentials")
    assert PasswordHasher().verify(stored, "a brand new passphrase")
    assert cli.rows("SELECT count(*) FROM web_sessions") == [(0,)]


def test_set_password_of_an_unknown_email_is_a_usage_error(cli):
    done = cli.run_with_input(f"{PASSWORD}\n", "user", "set-password", "--email", "nobody@buyer.example",
                              "--password-stdin")

    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.endswith("Error: User not found\n")


def test_demo_prints_the_password_of_its_users_set_anew_each_run(cli):
    chosen = cli.run("demo", MARKETLINK_DEMO_PASSWORD="the demo passphrase")
    random = cli.run("demo")

    printed = [(re.findall(r"^  password: (.+)$", done.stdout, re.M),
                re.findall(r"^  as [^:]+: +(\S+)$", done.stdout, re.M)) for done in (chosen, random)]
    users = ["ada@demo-buyer.example", "admin@demo-marketplace.example", "dev@demo-vendor.example"]
    assert printed[0] == (["the demo passphrase"], users)
    assert printed[1][1] == users
    [password] = printed[1][0]
    assert re.fullmatch(r"[A-Za-z0-9_-]{16}", password)
    stored = [hash_ for (hash_,) in cli.rows("SELECT password_hash FROM user_credentials")]
    assert len(stored) == 3
    assert all(PasswordHasher().verify(hash_, password) for hash_ in stored)


def test_grant_company_admin_binds_the_user_to_the_company(cli):
    user_id = create(cli, "--email", "ada@buyer.example", "--company", "Acme Buyer").stdout.strip()

    done = cli.run("user", "grant", "--email", "ada@buyer.example", "--role", "COMPANY_ADMIN",
                   "--company", COMPANY_ID)

    assert (done.returncode, done.stdout, done.stderr) == (0, "", "ada@buyer.example: console role COMPANY_ADMIN\n")
    assert cli.rows("SELECT user_id, role, vendor_id, company_id FROM console_roles") == [
        (user_id, "COMPANY_ADMIN", None, COMPANY_ID)]


@pytest.mark.parametrize("args,message", [
    ((), "Error: A COMPANY_ADMIN needs the id of an existing company\n"),
    (("--company", "0b1c6a70-8f5e-4b8e-9d0a-0000000000ff"), "Error: A COMPANY_ADMIN needs the id of an existing company\n"),
    (("--company", COMPANY_ID, "--vendor", "0b1c6a70-8f5e-4b8e-9d0a-0000000000ff"),
     "Error: Only a DEVELOPER is bound to a vendor\n"),
])
def test_a_company_admin_without_its_company_is_a_usage_error(cli, args, message):
    create(cli, "--email", "ada@buyer.example", "--company", "Acme Buyer")

    done = cli.run("user", "grant", "--email", "ada@buyer.example", "--role", "COMPANY_ADMIN", *args)

    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.endswith(message)
    assert cli.rows("SELECT count(*) FROM console_roles") == [(0,)]


def test_an_admin_is_not_bound_to_a_company(cli):
    create(cli, "--email", "ada@buyer.example", "--company", "Acme Buyer")

    done = cli.run("user", "grant", "--email", "ada@buyer.example", "--role", "ADMIN", "--company", COMPANY_ID)

    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.endswith("Error: Only a COMPANY_ADMIN is bound to a company\n")
    assert cli.rows("SELECT count(*) FROM console_roles") == [(0,)]


def test_no_api_token_is_made_for_a_company_admin(cli):
    cli.ok("migrate")

    done = cli.run("token", "create", "--role", "COMPANY_ADMIN")

    assert (done.returncode, done.stdout) == (2, "")
    assert "Invalid value for '--role': 'COMPANY_ADMIN' is not one of 'ADMIN', 'DEVELOPER'." in done.stderr
    assert cli.rows("SELECT count(*) FROM api_tokens") == [(0,)]


def test_the_demo_buyer_is_its_companys_administrator_in_the_console(cli):
    cli.ok("demo")
    cli.ok("demo")  # loading again keeps the one role

    assert cli.rows("SELECT u.email, r.role, r.vendor_id, r.company_id FROM console_roles r "
                    "JOIN users u ON u.id = r.user_id ORDER BY u.email") == [
        ("ada@demo-buyer.example", "COMPANY_ADMIN", None, "8a3f1c2e-0b7d-4e4a-9c55-6d0e2f1a7b02"),
        ("admin@demo-marketplace.example", "ADMIN", None, None),
        ("dev@demo-vendor.example", "DEVELOPER", "8a3f1c2e-0b7d-4e4a-9c55-6d0e2f1a7b01", None)]

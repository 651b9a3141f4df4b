"""The real ``marketlink`` console script (SPEC §1, §6): migrate, vendors, tokens, the demo, and
how it fails on a bad setting or a bad argument."""

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from marketlink.app import create_app
from marketlink.config import load_settings

MARKETLINK = Path(sys.executable).parent / "marketlink"
BAD_PORT = ("marketlink: invalid setting: MARKETLINK_PORT: Input should be a valid integer, "
            "unable to parse string as an integer\n")


class Cli:
    """``marketlink`` on a SQLite file in its own data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.db_file = data_dir / "x.db"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("MARKETLINK_")} | {
            "MARKETLINK_DATABASE_URL": f"sqlite:///{self.db_file}",
            "MARKETLINK_DATA_DIR": str(data_dir),
        }

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(MARKETLINK), *args], env=self.env | env, capture_output=True,
                              text=True, timeout=60)

    def ok(self, *args: str) -> str:
        done = self.run(*args)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def run_with_input(self, stdin: str, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(MARKETLINK), *args], env=self.env, input=stdin,
                              capture_output=True, text=True, timeout=60)

    def execute(self, sql: str) -> None:
        with sqlite3.connect(self.db_file) as conn:
            conn.execute(sql)

    def rows(self, sql: str) -> list[tuple]:
        with sqlite3.connect(self.db_file) as conn:
            return conn.execute(sql).fetchall()

    async def viewer(self, token: str) -> httpx.Response:
        """``{ viewer }`` through the app in-process, on the same database and key file."""
        settings = load_settings(database_url=self.env["MARKETLINK_DATABASE_URL"], data_dir=self.data_dir)
        app = create_app(settings)
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                         base_url="http://marketlink.test") as client:
                return await client.post("/graphql", json={"query": "{ viewer { role vendorId } }"},
                                         headers={"Authorization": f"Bearer {token}"})
        finally:
            await app.state.db.dispose()


@pytest.fixture(scope="module")
def migrated_template(tmp_path_factory) -> Path:
    """One migrated database file, copied for each test that needs one (migrating is slow)."""
    cli = Cli(tmp_path_factory.mktemp("template"))
    cli.ok("migrate")
    return cli.db_file


@pytest.fixture
def cli(tmp_path) -> Cli:
    return Cli(tmp_path)


@pytest.fixture
def migrated(tmp_path, migrated_template) -> Cli:
    shutil.copy(migrated_template, tmp_path / "x.db")
    return Cli(tmp_path)


def only_token(stdout: str) -> str:
    assert re.fullmatch(r"mlk_[A-Za-z0-9_-]{43}\n", stdout), stdout
    return stdout.strip()


def test_migrate_twice_is_fine(cli):
    first = cli.run("migrate")
    second = cli.run("migrate")

    assert (first.returncode, second.returncode) == (0, 0)
    assert second.stdout == ""
    assert second.stderr.endswith("database is at the latest schema\n")
    assert cli.rows("SELECT count(*) FROM vendors") == [(0,)]


def test_vendor_create_prints_only_its_id(migrated):
    stdout = migrated.ok("vendor", "create", "Acme Tools")

    vendor_id = stdout.removesuffix("\n")
    assert stdout == f"{uuid.UUID(vendor_id)}\n"
    assert migrated.rows("SELECT id, name FROM vendors") == [(vendor_id, "Acme Tools")]


async def test_developer_token_prints_one_line_and_authenticates(migrated):
    vendor_id = migrated.ok("vendor", "create", "Acme Tools").strip()

    token = only_token(migrated.ok("token", "create", "--role", "DEVELOPER", "--vendor", vendor_id))

    response = await migrated.viewer(token)
    assert response.json() == {"data": {"viewer": {"role": "DEVELOPER", "vendorId": vendor_id}}}


async def test_admin_token_authenticates_as_admin(migrated):
    token = only_token(migrated.ok("token", "create", "--role", "ADMIN"))

    response = await migrated.viewer(token)

    assert response.json() == {"data": {"viewer": {"role": "ADMIN", "vendorId": None}}}


def test_developer_token_without_vendor_is_a_usage_error(migrated):
    done = migrated.run("token", "create", "--role", "DEVELOPER")

    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.endswith("Error: a DEVELOPER token needs a vendor\n")
    assert migrated.rows("SELECT count(*) FROM api_tokens") == [(0,)]


def test_admin_token_with_a_vendor_is_a_usage_error(migrated):
    vendor_id = migrated.ok("vendor", "create", "Acme Tools").strip()

    done = migrated.run("token", "create", "--role", "ADMIN", "--vendor", vendor_id)

    assert done.returncode == 2
    assert done.stderr.endswith("Error: an ADMIN token is not bound to a vendor\n")


def test_token_for_an_unknown_vendor_fails_and_writes_nothing(migrated):
    unknown = "0b1c6a70-8f5e-4b8e-9d0a-000000000000"

    done = migrated.run("token", "create", "--role", "DEVELOPER", "--vendor", unknown)

    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.endswith(f"Error: vendor {unknown} not found\n")
    assert migrated.rows("SELECT count(*) FROM api_tokens") == [(0,)]


def test_unknown_role_is_a_usage_error(cli):
    done = cli.run("token", "create", "--role", "ROOT")

    assert done.returncode == 2
    assert "Invalid value for '--role'" in done.stderr


@pytest.mark.parametrize("args", [
    ("migrate",), ("demo",), ("serve",), ("vendor", "create", "Acme"), ("token", "create", "--role", "ADMIN"),
    ("user", "create", "--email", "ada@buyer.example", "--company", "Acme", "--password-stdin"),
    ("user", "set-password", "--email", "ada@buyer.example", "--password-stdin"),
])
def test_invalid_port_stops_every_command(cli, args):
    done = cli.run(*args, MARKETLINK_PORT="eighty")

    assert (done.returncode, done.stdout, done.stderr) == (2, "", BAD_PORT)
    assert not cli.db_file.exists()


def demo_token(stdout: str) -> str:
    tokens = re.findall(r"^  (mlk_\S+)$", stdout, re.M)
    assert len(tokens) == 1, stdout
    return tokens[0]


async def test_demo_twice_keeps_one_of_each_and_revokes_the_first_token(migrated):
    first = demo_token(migrated.ok("demo"))

    second = demo_token(migrated.ok("demo"))

    counts = migrated.rows("SELECT (SELECT count(*) FROM vendors), (SELECT count(*) FROM products), "
                           "(SELECT count(DISTINCT integration_id) FROM integration_versions)")
    assert counts == [(1, 1, 1)]
    assert first != second
    assert (await migrated.viewer(first)).status_code == 401
    assert (await migrated.viewer(second)).json() == {"data": {"viewer": {"role": "ADMIN", "vendorId": None}}}


def test_demo_links_its_product_to_its_published_integration(migrated):
    migrated.ok("demo")

    versions = migrated.rows("SELECT version FROM integration_versions ORDER BY version")
    linked = migrated.rows("SELECT p.name FROM products p JOIN integration_versions i "
                           "ON i.integration_id = p.integration_id AND i.version = 'WORKING'")
    assert versions == [("PUBLISHED",), ("WORKING",)]
    assert linked == [("Demo Product",)]


def test_prune_deletes_old_resolved_events_and_reports_the_counts(migrated):
    migrated.ok("demo")
    product = migrated.rows("SELECT id FROM products")[0][0]
    integration, vendor = migrated.rows(
        "SELECT id, vendor_id FROM integration_versions WHERE version = 'PUBLISHED'")[0]
    for seq, (status, resolved_on) in enumerate([("SUCCEEDED", 1), ("FAILED", 2), ("PENDING", None),
                                                 ("SUCCEEDED", 9_999_999_999_999)], start=1):
        migrated.execute(
            "INSERT INTO events (seq, id, token, type, vendor_id, integration_id, integration_version_id, "
            f"product_id, document, status, attempts, created_on, resolved_on) VALUES ({seq}, "
            f"'00000000-0000-4000-8000-00000000000{seq}', 't{seq}', 'SUBSCRIPTION_ORDER', '{vendor}', "
            f"'{integration}', '{integration}', '{product}', '{{}}', '{status}', 1, 1, "
            f"{'NULL' if resolved_on is None else resolved_on})")
    migrated.execute("INSERT INTO event_attempts (id, event_id, number, started_on, url, outcome) VALUES "
                     "('a1', '00000000-0000-4000-8000-000000000001', 1, 1, 'http://h', 'SUCCEEDED')")

    pruned = migrated.run("prune", "--older-than", "30d")
    refused = migrated.run("prune", "--older-than", "soon")

    assert (pruned.returncode, pruned.stdout) == (
        0, "deleted 2 events, 1 delivery attempts and 0 expired sign-in rows\n")
    assert migrated.rows("SELECT seq, status FROM events ORDER BY seq") == [(3, "PENDING"), (4, "SUCCEEDED")]
    assert refused.returncode == 2
    assert "Invalid value for --older-than: give the age as a whole number and a unit" in refused.stderr


def test_keys_generate_then_rotate_re_encrypts_with_the_new_key(migrated):
    from marketlink.config import decode_secret_key
    from marketlink.crypto import Keyring, key_id

    migrated.ok("demo")
    secret_key = decode_secret_key((migrated.data_dir / "marketlink.key").read_text().strip())
    migrated.execute(f"UPDATE integration_versions SET credentials_secret = "
                     f"'{Keyring(secret_key).encrypt('hunter2-secret')}'")
    new_key = migrated.ok("keys", "generate").strip()

    first = migrated.run("keys", "rotate", MARKETLINK_ENCRYPTION_KEYS=new_key)
    second = migrated.run("keys", "rotate", MARKETLINK_ENCRYPTION_KEYS=new_key)
    lost = migrated.run("keys", "rotate")  # the new key taken away again

    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", new_key)
    assert (first.returncode, first.stdout.splitlines()[0]) == (
        0, "integration_versions.credentials_secret: 2 re-encrypted, 0 already current")
    assert second.stdout.splitlines()[0] == "integration_versions.credentials_secret: 0 re-encrypted, 2 already current"
    kid = key_id(decode_secret_key(new_key))
    stored = [value for (value,) in migrated.rows("SELECT credentials_secret FROM integration_versions")]
    assert all(value.startswith(f"v2:{kid}:") for value in stored)
    assert Keyring(secret_key, (decode_secret_key(new_key),)).decrypt(stored[0]) == "hunter2-secret"
    assert lost.returncode == 1
    assert f"encrypted with key {kid}, which is not among the configured encryption keys" in lost.stderr


def test_a_worker_serves_its_metrics_on_its_own_port_and_stops_on_sigterm(migrated):
    from tests.e2e.server import free_port

    port = free_port()
    process = subprocess.Popen([str(MARKETLINK), "worker", "--metrics-port", str(port)],
                               env=migrated.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        answer = None
        for _ in range(100):
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
    finally:
        process.send_signal(15)
        code = process.wait(timeout=20)

    assert answer is not None and answer.status_code == 200
    assert "\nmarketlink_events_due 0.0\n" in answer.text
    assert "# TYPE marketlink_deliveries_total counter" in answer.text
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert code == 0

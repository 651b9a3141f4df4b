"""Settings (SPEC §6): read from MARKETLINK_* once, a bad value names its variable, and the secret
key is kept in the data directory when it is not configured."""

import base64
import os
import stat

import pytest
from pydantic import ValidationError

from marketlink.config import SECRET_KEY_FILE, Settings, load_settings
from marketlink.errors import SettingsError

GOOD_KEY = base64.urlsafe_b64encode(bytes(range(32))).decode().rstrip("=")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """No MARKETLINK_* variable from the outside; the data directory is the test's own."""
    for name in list(os.environ):
        if name.startswith("MARKETLINK_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("MARKETLINK_DATA_DIR", str(tmp_path))


@pytest.mark.parametrize("name,value,message", [
    ("MARKETLINK_PORT", "eighty", "MARKETLINK_PORT: Input should be a valid integer, unable to parse "
                                  "string as an integer"),
    ("MARKETLINK_PORT", "0", "MARKETLINK_PORT: Input should be greater than or equal to 1"),
    ("MARKETLINK_PORT", "65536", "MARKETLINK_PORT: Input should be less than or equal to 65535"),
    ("MARKETLINK_DATABASE_URL", "mysql://user@db.example/marketlink",
     "MARKETLINK_DATABASE_URL: Value error, must be a sqlite:// or postgresql:// URL"),
    ("MARKETLINK_BASE_URL", "ftp://files.example",
     "MARKETLINK_BASE_URL: Value error, must be an absolute http(s) URL without query or "
         "fragment"),
        ("MARKETLINK_BASE_URL", "http://", "MARKETLINK_BASE_URL: Value error, must be an absolute "
         "http(s) URL without query or fragment"),
        ("MARKETLINK_SECRET_KEY", "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXk!!!!",
         "MARKETLINK_SECRET_KEY: Value error, must be base64url text of at least 32 bytes"),
    ("MARKETLINK_SECRET_KEY", "c2hvcnQta2V5",
     "MARKETLINK_SECRET_KEY: Value error, must be base64url text of at least 32 bytes"),
])
def test_bad_variable_is_named_in_the_error(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)

    with pytest.raises(SettingsError) as raised:
        load_settings()

    assert str(raised.value) == message


def test_every_bad_variable_is_reported_at_once(monkeypatch):
    monkeypatch.setenv("MARKETLINK_PORT", "-1")
    monkeypatch.setenv("MARKETLINK_BASE_URL", "ftp://files.example")

    with pytest.raises(SettingsError) as raised:
        load_settings()

    assert str(raised.value) == ("MARKETLINK_BASE_URL: Value error, must be an absolute http(s) URL "
                                 "without query or fragment; "
                                 "MARKETLINK_PORT: Input should be greater than or equal to 1")


def test_good_variables_are_read(monkeypatch):
    monkeypatch.setenv("MARKETLINK_PORT", "8081")
    monkeypatch.setenv("MARKETLINK_DATABASE_URL", "postgresql://postgres@db.example/marketlink")
    monkeypatch.setenv("MARKETLINK_BASE_URL", "https://market.example/")
    monkeypatch.setenv("MARKETLINK_SECRET_KEY", GOOD_KEY)

    settings = load_settings()

    assert (settings.port, settings.database_url, settings.base_url, settings.secret_key) == (
        8081, "postgresql://postgres@db.example/marketlink", "https://market.example", GOOD_KEY)


def test_keyword_overrides_win_over_the_environment(monkeypatch):
    monkeypatch.setenv("MARKETLINK_PORT", "8081")

    assert load_settings(port=9090, secret_key=GOOD_KEY).port == 9090


def test_settings_refuse_a_short_key_directly():
    with pytest.raises(ValidationError):
        Settings(secret_key="c2hvcnQta2V5")


def test_unloaded_secret_key_is_a_settings_error():
    with pytest.raises(SettingsError) as raised:
        Settings().secret_key_bytes()

    assert str(raised.value) == "MARKETLINK_SECRET_KEY: not loaded"


# --- the key file ----------------------------------------------------------------------------

def test_first_run_creates_a_private_key_file(tmp_path):
    settings = load_settings()

    key_file = tmp_path / SECRET_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_text() == settings.secret_key + "\n"
    assert len(settings.secret_key_bytes()) == 32


def test_second_run_reuses_the_key_file(tmp_path):
    first = load_settings()

    second = load_settings()

    assert second.secret_key == first.secret_key
    assert os.listdir(tmp_path) == [SECRET_KEY_FILE]


def test_missing_data_dir_is_created(monkeypatch, tmp_path):
    monkeypatch.setenv("MARKETLINK_DATA_DIR", str(tmp_path / "a" / "b"))

    settings = load_settings()

    assert (tmp_path / "a" / "b" / SECRET_KEY_FILE).read_text() == settings.secret_key + "\n"


def test_configured_key_needs_no_key_file(monkeypatch, tmp_path):
    monkeypatch.setenv("MARKETLINK_SECRET_KEY", GOOD_KEY)

    settings = load_settings()

    assert settings.secret_key == GOOD_KEY
    assert os.listdir(tmp_path) == []


def test_corrupt_key_file_is_refused_and_kept(tmp_path):
    key_file = tmp_path / SECRET_KEY_FILE
    key_file.write_text("not-a-key\n")

    with pytest.raises(SettingsError) as raised:
        load_settings()

    assert str(raised.value) == (f"MARKETLINK_SECRET_KEY: the key file {key_file} must be base64url "
                                 "text of at least 32 bytes")
    assert key_file.read_text() == "not-a-key\n"


def test_binary_key_file_is_refused(tmp_path):
    key_file = tmp_path / SECRET_KEY_FILE
    key_file.write_bytes(b"\xff\xfe\x00\x01" * 16)

    with pytest.raises(SettingsError) as raised:
        load_settings()

    assert str(raised.value) == f"MARKETLINK_SECRET_KEY: the key file {key_file} is not text"


def test_data_dir_that_is_a_file_is_refused(monkeypatch, tmp_path):
    not_a_dir = tmp_path / "plain-file"
    not_a_dir.write_text("")
    monkeypatch.setenv("MARKETLINK_DATA_DIR", str(not_a_dir))

    with pytest.raises(SettingsError) as raised:
        load_settings()

    assert str(raised.value).startswith(
        f"MARKETLINK_DATA_DIR: cannot read or create the key file {not_a_dir / SECRET_KEY_FILE}: ")

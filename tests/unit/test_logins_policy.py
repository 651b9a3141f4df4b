"""The pure parts of logging in (docs/adr/0011): the failure limits, where `next` may lead,
argon2id hashes, the CSRF tokens and the login settings' bounds."""

import asyncio
import hashlib
import hmac
import os

import pytest
from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError

from marketlink.config import Settings
from marketlink.crypto import Keyring, _derive
from marketlink.domain.login_throttle import LoginThrottle, ThrottlePolicy, locked_out
from marketlink.domain.passwords import Passwords, Verdict, _decoy_hash, password_problem
from marketlink.web.redirects import safe_next

KEY = bytes(range(32))
POLICY = ThrottlePolicy(max_failures_per_email=3, max_failures_per_ip=5, window_ms=1000)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """Settings() here are the defaults, whatever MARKETLINK_* the shell has."""
    for name in list(os.environ):
        if name.startswith("MARKETLINK_"):
            monkeypatch.delenv(name)


# --- The failure limits

@pytest.mark.parametrize("failures,now,expected", [
    ([], 5000, False),
    ([4100, 4500], 5000, False),          # two of three
    ([4100, 4500, 4900], 5000, True),     # three inside the window
    ([4000, 4500, 4900], 5000, False),    # the first is exactly a window old: gone
    ([3000, 3500, 4000, 4500, 4900], 5000, False),
])
def test_locked_out_counts_failures_inside_the_window(failures, now, expected):
    assert locked_out(failures, now, max_failures=3, window_ms=1000) is expected


def test_an_email_is_refused_after_its_limit_until_the_window_passes():
    throttle = LoginThrottle(POLICY)
    admitted = [throttle.admit("ada@buyer.example", "10.0.0.1", at) for at in (100, 200, 300, 400)]

    assert admitted == [True, True, True, False]

    assert throttle.refused("ada@buyer.example", "10.0.0.2", 1099) is True
    assert throttle.refused("bob@buyer.example", "10.0.0.1", 1099) is False
    assert throttle.refused("ada@buyer.example", "10.0.0.2", 1100) is False


def test_an_address_is_refused_after_its_limit_for_every_email():
    throttle = LoginThrottle(POLICY)
    for number in range(5):
        throttle.admit(f"user{number}@buyer.example", "10.0.0.1", 100)

    assert throttle.refused("ada@buyer.example", "10.0.0.1", 200) is True
    assert throttle.refused("ada@buyer.example", "10.0.0.2", 200) is False


def test_an_admitted_attempt_counts_until_it_succeeds():
    throttle = LoginThrottle(ThrottlePolicy(2, 3, 1000))
    throttle.admit("ada@buyer.example", "10.0.0.1", 100)  # failed
    throttle.admit("ada@buyer.example", "10.0.0.1", 200)  # in flight

    refused_meanwhile = throttle.refused("ada@buyer.example", "10.0.0.2", 250)
    throttle.succeeded("ada@buyer.example", "10.0.0.1", 200)

    assert refused_meanwhile is True
    assert dict(throttle._failures) == {"ip:10.0.0.1": [100]}
    assert throttle.refused("ada@buyer.example", "10.0.0.1", 300) is False


def test_memory_is_bounded_in_keys_and_in_failures_per_key():
    throttle = LoginThrottle(POLICY, max_keys=4)
    for at in range(10):
        throttle._record("email:ada@buyer.example", at, 3)
    throttle.admit("bob@buyer.example", "10.0.0.2", 20)
    throttle.admit("eve@buyer.example", "10.0.0.3", 30)

    assert dict(throttle._failures) == {
        "email:bob@buyer.example": [20], "ip:10.0.0.2": [20],
        "email:eve@buyer.example": [30], "ip:10.0.0.3": [30]}


def test_failures_per_key_keep_only_what_can_decide():
    throttle = LoginThrottle(ThrottlePolicy(3, 5, 1000))
    for at in range(10):
        throttle._record("email:ada@buyer.example", at, 3)
        throttle._record("ip:10.0.0.1", at, 5)

    assert throttle._failures["email:ada@buyer.example"] == [7, 8, 9]
    assert throttle._failures["ip:10.0.0.1"] == [5, 6, 7, 8, 9]


async def test_checks_under_way_take_the_slots_their_failures_would_use():
    """enter/leave (the token endpoint): with 2 failures allowed and 1 counted, one check at a
    time; a second waits, and is refused once the first has failed; a slot is given back."""
    throttle = LoginThrottle(ThrottlePolicy(2, 10, 1000))
    throttle.failed("client-a", "10.0.0.1", 100)
    def now() -> int:
        return 200

    first = await throttle.enter("client-a", "10.0.0.1", now)
    waited_out = await throttle.enter("client-a", "10.0.0.2", now, max_wait_s=0.05)
    second = asyncio.create_task(throttle.enter("client-a", "10.0.0.2", now))
    await asyncio.sleep(0.01)
    waiting = not second.done()
    throttle.failed("client-a", "10.0.0.1", 200)
    await throttle.leave("client-a", "10.0.0.1")

    assert (first, waited_out, waiting, await second) == (True, False, True, False)
    assert dict(throttle._checking) == {}  # nothing kept for keys with no check under way
    assert await throttle.enter("client-b", "10.0.0.1", now) is True


def test_the_policy_comes_from_the_settings():
    settings = Settings(login_max_failures=4, login_max_failures_per_ip=40, login_window_s=60)

    assert ThrottlePolicy.from_settings(settings) == ThrottlePolicy(4, 40, 60_000)


# --- Where `next` may lead

@pytest.mark.parametrize("value,expected", [
    ("/", "/"),
    ("/apps", "/apps"),
    ("/apps?tab=1#top", "/apps?tab=1#top"),
    ("/a/b%2F%2Fc", "/a/b%2F%2Fc"),
    (None, "/"),
    ("", "/"),
    ("apps", "/"),
    ("//evil.example", "/"),
    ("//evil.example/apps", "/"),
    ("///evil.example", "/"),
    ("https://evil.example", "/"),
    ("https:/evil.example", "/"),
    ("javascript:alert(1)", "/"),
    ("/\\evil.example", "/"),
    ("\\/evil.example", "/"),
    ("/\t/evil.example", "/"),
    ("/\r\nSet-Cookie: x=1", "/"),
    ("/\x7f", "/"),
    ("/" + "a" * 2048, "/"),
])
def test_safe_next_accepts_only_paths_on_this_site(value, expected):
    assert safe_next(value) == expected


# --- Passwords

FAST = Settings(password_hash_memory_kib=19_456, password_hash_time_cost=2, password_hash_parallelism=1)


async def test_default_hashes_are_argon2id_with_rfc_9106_low_memory_parameters():
    stored = await Passwords(Settings()).hash("correct horse battery staple")

    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert len(stored.rsplit("$", 2)[1]) == 22  # 16 bytes of salt, base64 without padding
    assert len(stored.rsplit("$", 1)[1]) == 43  # 32 bytes of hash


async def test_verify_tells_a_match_and_whether_to_rehash():
    passwords = Passwords(FAST)
    stored = await passwords.hash("correct horse battery staple")
    stronger = Passwords(FAST.model_copy(update={"password_hash_time_cost": 3}))

    assert await passwords.verify(stored, "correct horse battery staple") == Verdict(True, False)
    assert await passwords.verify(stored, "wrong horse battery staple") == Verdict(False, False)
    assert await stronger.verify(stored, "correct horse battery staple") == Verdict(True, True)


async def test_without_a_stored_hash_verify_fails_and_a_broken_hash_does_not_raise():
    passwords = Passwords(FAST)

    assert await passwords.verify(None, "") == Verdict(False)
    assert await passwords.verify("$argon2id$broken", "x") == Verdict(False)


def test_the_decoy_hash_has_the_current_cost_and_matches_nothing():
    decoy = _decoy_hash(FAST)

    assert decoy.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    with pytest.raises(VerifyMismatchError):  # well-formed: it is verified, at full cost
        PasswordHasher().verify(decoy, "")


@pytest.mark.parametrize("length,problem", [
    (11, "a password is 12 to 1024 characters"), (12, None), (1024, None),
    (1025, "a password is 12 to 1024 characters"),
])
def test_a_password_is_12_to_1024_characters(length, problem):
    assert password_problem("é" * length) == problem


# --- CSRF tokens

def test_csrf_tokens_are_an_hmac_of_the_binding_with_a_key_of_their_own():
    keyring = Keyring(KEY)
    csrf_key = _derive(KEY, b"marketlink/csrf/v1")

    token = keyring.csrf_token("session:abc")

    assert token == hmac.new(csrf_key, b"session:abc", hashlib.sha256).hexdigest()
    assert token != keyring.keyed_hash("session:abc")
    assert keyring.csrf_matches("session:abc", token) is True
    assert keyring.csrf_matches("session:abd", token) is False
    assert keyring.csrf_matches("session:abc", "é" * 64) is False


# --- Settings

@pytest.mark.parametrize("field,value", [
    ("password_hash_memory_kib", 19_455), ("password_hash_time_cost", 1),
    ("password_hash_parallelism", 0), ("password_hashes_at_once", 0), ("session_hours", 0),
    ("max_sessions_per_user", 0), ("login_max_failures", 0), ("login_window_s", 0),
    ("demo_password", "short"),
])
def test_login_settings_have_floors(field, value):
    with pytest.raises(ValueError):
        Settings(**{field: value})


def test_login_settings_defaults():
    settings = Settings()

    assert (settings.session_hours, settings.max_sessions_per_user, settings.login_max_failures,
            settings.login_max_failures_per_ip, settings.login_window_s,
            settings.password_hash_memory_kib, settings.password_hash_time_cost,
            settings.password_hash_parallelism, settings.password_hashes_at_once,
            settings.demo_password) == (12, 10, 10, 100, 900, 65_536, 3, 4, 4, None)

"""Keyring (SPEC §1, §6): keyed hashes for what we issue, authenticated encryption at rest."""

import base64
import hashlib
import hmac

import pytest
from cryptography.exceptions import InvalidTag

from marketlink.crypto import Keyring, key_id, random_client_id, random_secret

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))


def test_encrypt_then_decrypt_gives_the_plaintext_back():
    keyring = Keyring(KEY)

    assert keyring.decrypt(keyring.encrypt("S3cre1! é")) == "S3cre1! é"


def test_ciphertext_is_versioned_and_hides_the_plaintext():
    stored = Keyring(KEY).encrypt("S3cre1!")

    assert stored.startswith("v1:")
    assert b"S3cre1!" not in base64.b64decode(stored[3:])
    assert len(base64.b64decode(stored[3:])) == 12 + len("S3cre1!") + 16  # nonce, text, tag


def test_ciphertext_differs_each_time():
    keyring = Keyring(KEY)

    assert keyring.encrypt("same") != keyring.encrypt("same")


def test_tampered_ciphertext_is_detected():
    keyring = Keyring(KEY)
    raw = bytearray(base64.b64decode(keyring.encrypt("S3cre1!")[3:]))
    raw[14] ^= 0x01

    with pytest.raises(InvalidTag):
        keyring.decrypt("v1:" + base64.b64encode(bytes(raw)).decode())


def test_ciphertext_of_another_key_is_refused():
    stored = Keyring(OTHER_KEY).encrypt("S3cre1!")

    with pytest.raises(InvalidTag):
        Keyring(KEY).decrypt(stored)


def test_unknown_format_is_refused():
    with pytest.raises(ValueError) as raised:
        Keyring(KEY).decrypt("v9:AAAA")

    assert str(raised.value) == "unknown encryption format"


def test_keyed_hash_is_stable_across_keyrings_and_releases():
    # Pinned: stored token and client-secret hashes must keep matching after an upgrade.
    expected = "592fe50f1392565a35cc50eb83a382b8d820274278b9805385d323f3d7a16117"

    assert Keyring(KEY).keyed_hash("mlk_token") == expected
    assert Keyring(KEY).keyed_hash("mlk_token") == expected


def test_keyed_hash_differs_with_another_key():
    assert Keyring(KEY).keyed_hash("mlk_token") != Keyring(OTHER_KEY).keyed_hash("mlk_token")


def test_keyed_hash_is_not_a_plain_hash_nor_keyed_with_the_raw_key():
    digest = Keyring(KEY).keyed_hash("mlk_token")

    assert digest != hashlib.sha256(b"mlk_token").hexdigest()
    assert digest != hmac.new(KEY, b"mlk_token", hashlib.sha256).hexdigest()


def test_matches_compares_with_the_stored_hash():
    keyring = Keyring(KEY)
    stored = keyring.keyed_hash("mlk_token")

    assert (keyring.matches("mlk_token", stored), keyring.matches("mlk_tokem", stored)) == (True, False)


def test_random_secret_has_256_bits_and_the_prefix():
    secret = random_secret("mlk_")

    assert secret.startswith("mlk_")
    assert len(base64.urlsafe_b64decode(secret[4:] + "=")) == 32
    assert random_secret("mlk_") != secret


def test_random_client_id_is_alphanumeric():
    client_id = random_client_id()

    assert len(client_id) == 20 and client_id.isalnum() and client_id.isascii()


# --- encryption keys and their rotation (docs/adr/0004)

NEW_KEY, NEWER_KEY = bytes(range(2, 34)), bytes(range(3, 35))


def test_with_encryption_keys_the_first_encrypts_and_names_itself():
    keyring = Keyring(KEY, (NEW_KEY, NEWER_KEY))

    stored = keyring.encrypt("S3cre1!")

    assert stored.startswith(f"v2:{key_id(NEW_KEY)}:") and len(key_id(NEW_KEY)) == 8
    assert keyring.current_key_id == key_id(NEW_KEY) != key_id(NEWER_KEY)
    assert keyring.decrypt(stored) == "S3cre1!"
    assert keyring.is_current(stored) is True


def test_every_configured_key_and_the_derived_key_decrypt():
    legacy = Keyring(KEY).encrypt("legacy")
    by_newer = Keyring(KEY, (NEWER_KEY,)).encrypt("newer")
    keyring = Keyring(KEY, (NEW_KEY, NEWER_KEY))

    assert (keyring.decrypt(legacy), keyring.decrypt(by_newer)) == ("legacy", "newer")
    assert (keyring.is_current(legacy), keyring.is_current(by_newer)) == (False, False)
    assert Keyring(KEY).is_current(legacy) is True


def test_a_value_of_a_key_not_configured_names_that_key():
    stored = Keyring(KEY, (NEWER_KEY,)).encrypt("S3cre1!")

    with pytest.raises(ValueError) as raised:
        Keyring(KEY, (NEW_KEY,)).decrypt(stored)

    assert str(raised.value) == (f"encrypted with key {key_id(NEWER_KEY)}, which is not among the "
                                 "configured encryption keys (MARKETLINK_ENCRYPTION_KEYS)")


def test_hashes_do_not_depend_on_the_encryption_keys():
    assert Keyring(KEY, (NEW_KEY,)).keyed_hash("mlk_token") == Keyring(KEY).keyed_hash("mlk_token")
    assert Keyring(KEY, (NEW_KEY,)).csrf_token("session:1") == Keyring(KEY).csrf_token("session:1")

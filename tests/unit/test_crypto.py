"""Keyring (SPEC §1, §6): keyed hashes for what we issue, authenticated encryption at rest."""

import base64
import hashlib
import hmac

import pytest
from cryptography.exceptions import InvalidTag

from marketlink.crypto import Keyring, random_client_id, random_secret

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
        Keyring(KEY).decrypt("v2:AAAA")

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

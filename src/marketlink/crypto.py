"""Secrets at rest: keyed hashes for what we issue, authenticated encryption for what we send out.

Both keys are derived from the one configured secret key with HKDF, each for one purpose, so a
leak of hashes says nothing about the encryption key and the other way round.
"""

import base64
import hashlib
import hmac
import os
import secrets
import string

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_ENCRYPTION_PREFIX = "v1:"
_ALPHANUMERIC = string.ascii_letters + string.digits


def _derive(secret_key: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret_key)


class Keyring:
    """Holds the derived keys; made once at start from the settings' secret key."""

    def __init__(self, secret_key: bytes) -> None:
        self._hash_key = _derive(secret_key, b"marketlink/keyed-hash/v1")
        self._aead = AESGCM(_derive(secret_key, b"marketlink/encryption-at-rest/v1"))
        self._csrf_key = _derive(secret_key, b"marketlink/csrf/v1")

    def keyed_hash(self, value: str) -> str:
        """HMAC-SHA256 of ``value`` as hex: what we store for tokens and client secrets."""
        return hmac.new(self._hash_key, value.encode(), hashlib.sha256).hexdigest()

    def matches(self, value: str, stored_hash: str) -> bool:
        return hmac.compare_digest(self.keyed_hash(value), stored_hash)

    def csrf_token(self, binding: str) -> str:
        """The anti-forgery token of a form, bound to ``binding`` (a session or a login cookie):
        only this server can compute it, and it is worthless with another binding."""
        return hmac.new(self._csrf_key, binding.encode(), hashlib.sha256).hexdigest()

    def csrf_matches(self, binding: str, token: str) -> bool:
        # Bytes: compare_digest refuses str with non-ASCII characters, which a form may send.
        return hmac.compare_digest(self.csrf_token(binding).encode(), token.encode())

    def encrypt(self, plaintext: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), None)
        return _ENCRYPTION_PREFIX + base64.b64encode(nonce + sealed).decode()

    def decrypt(self, stored: str) -> str:
        if not stored.startswith(_ENCRYPTION_PREFIX):
            raise ValueError("unknown encryption format")
        raw = base64.b64decode(stored[len(_ENCRYPTION_PREFIX):])
        return self._aead.decrypt(raw[:12], raw[12:], None).decode()


def random_secret(prefix: str = "") -> str:
    """256 random bits as base64url text, with an optional recognisable prefix."""
    return prefix + secrets.token_urlsafe(32)


def random_client_id(length: int = 20) -> str:
    return "".join(secrets.choice(_ALPHANUMERIC) for _ in range(length))

"""Secrets at rest: keyed hashes for what we issue, authenticated encryption for what we send out.

The hash, CSRF and first encryption keys are derived from the one configured secret key with
HKDF, each for one purpose, so a leak of hashes says nothing about the encryption key and the
other way round. Encryption keys can be rotated (docs/adr/0004): with encryption keys
configured, the first encrypts (``v2:<key id>:...``) and every one of them, and the derived key
of ``v1:`` values, decrypts; ``marketlink keys rotate`` re-encrypts what is stored.
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

_ENCRYPTION_PREFIX = "v1:"  # the key derived from the secret key
_KEYED_PREFIX = "v2:"  # v2:<key id>:<nonce and sealed text, base64>
_ALPHANUMERIC = string.ascii_letters + string.digits


def _derive(secret_key: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret_key)


def key_id(encryption_key: bytes) -> str:
    """A short name of an encryption key that says nothing about the key."""
    return hmac.new(encryption_key, b"marketlink/key-id", hashlib.sha256).hexdigest()[:8]


class Keyring:
    """Holds the derived keys; made once at start from the settings' secret key and the
    encryption keys (``encryption_keys[0]`` encrypts; none: the derived key encrypts)."""

    def __init__(self, secret_key: bytes, encryption_keys: tuple[bytes, ...] = ()) -> None:
        self._hash_key = _derive(secret_key, b"marketlink/keyed-hash/v1")
        self._aead = AESGCM(_derive(secret_key, b"marketlink/encryption-at-rest/v1"))
        self._csrf_key = _derive(secret_key, b"marketlink/csrf/v1")
        self._keyed = {key_id(key): AESGCM(key) for key in encryption_keys}
        self.current_key_id = key_id(encryption_keys[0]) if encryption_keys else None

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
        if self.current_key_id is None:
            sealed = self._aead.encrypt(nonce, plaintext.encode(), None)
            return _ENCRYPTION_PREFIX + base64.b64encode(nonce + sealed).decode()
        sealed = self._keyed[self.current_key_id].encrypt(nonce, plaintext.encode(), None)
        return f"{_KEYED_PREFIX}{self.current_key_id}:" + base64.b64encode(nonce + sealed).decode()

    def decrypt(self, stored: str) -> str:
        aead, text = self._aead_of(stored)
        raw = base64.b64decode(text)
        return aead.decrypt(raw[:12], raw[12:], None).decode()

    def is_current(self, stored: str) -> bool:
        """Whether ``stored`` was encrypted with the key that encrypts now."""
        if self.current_key_id is None:
            return stored.startswith(_ENCRYPTION_PREFIX)
        return stored.startswith(f"{_KEYED_PREFIX}{self.current_key_id}:")

    def _aead_of(self, stored: str) -> tuple[AESGCM, str]:
        if stored.startswith(_ENCRYPTION_PREFIX):
            return self._aead, stored[len(_ENCRYPTION_PREFIX):]
        if stored.startswith(_KEYED_PREFIX):
            kid, _, text = stored[len(_KEYED_PREFIX):].partition(":")
            if kid in self._keyed:
                return self._keyed[kid], text
            raise ValueError(f"encrypted with key {kid}, which is not among the configured "
                             "encryption keys (MARKETLINK_ENCRYPTION_KEYS)")
        raise ValueError("unknown encryption format")


def random_secret(prefix: str = "") -> str:
    """256 random bits as base64url text, with an optional recognisable prefix."""
    return prefix + secrets.token_urlsafe(32)


def random_client_id(length: int = 20) -> str:
    return "".join(secrets.choice(_ALPHANUMERIC) for _ in range(length))

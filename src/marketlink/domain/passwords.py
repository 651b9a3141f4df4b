"""Password hashing with argon2id, off the event loop and a bounded number at a time.

A hash takes tens to hundreds of milliseconds of CPU and ``password_hash_memory_kib`` of memory
by design, so it runs in a worker thread (the argon2 C code releases the GIL) and at most
``password_hashes_at_once`` run together: a burst of logins queues instead of exhausting memory.
"""

import asyncio
import base64
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from marketlink.config import Settings

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024


@dataclass(frozen=True)
class Verdict:
    matches: bool
    needs_rehash: bool = False


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None. Length is the only rule (NIST SP 800-63B)."""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        return f"a password is {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters"
    return None


class Passwords:
    """Hashes and verifies passwords with the configured argon2id parameters."""

    def __init__(self, settings: Settings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.password_hash_time_cost,
            memory_cost=settings.password_hash_memory_kib,
            parallelism=settings.password_hash_parallelism,
            hash_len=32, salt_len=16, type=Type.ID)
        self._slots = asyncio.Semaphore(settings.password_hashes_at_once)
        self._decoy = _decoy_hash(settings)

    async def hash(self, password: str) -> str:
        """The PHC string to store: ``$argon2id$v=19$m=...,t=...,p=...$salt$hash``."""
        async with self._slots:
            return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, stored_hash: str | None, password: str) -> Verdict:
        """Whether ``password`` matches. Without a stored hash (unknown email, no password set)
        a decoy hash of the same cost is verified, so the answer takes as long either way."""
        async with self._slots:
            return await asyncio.to_thread(self._verify, stored_hash, password)

    def _verify(self, stored_hash: str | None, password: str) -> Verdict:
        try:
            self._hasher.verify(stored_hash or self._decoy, password)
        except (VerificationError, InvalidHashError):
            return Verdict(False)
        if stored_hash is None:  # the decoy cannot match, but say so in code too
            return Verdict(False)
        return Verdict(True, self._hasher.check_needs_rehash(stored_hash))


def _decoy_hash(settings: Settings) -> str:
    """A well-formed hash with the current parameters that no password matches (random bytes
    in place of a digest): verifying it costs what a real verification costs."""
    def b64(size: int) -> str:
        return base64.b64encode(secrets.token_bytes(size)).decode().rstrip("=")

    return (f"$argon2id$v=19$m={settings.password_hash_memory_kib},"
            f"t={settings.password_hash_time_cost},p={settings.password_hash_parallelism}"
            f"${b64(16)}${b64(32)}")

"""The provider's RS256 signing keys (docs/adr/0012).

One key signs: the newest that is not retired. ``rotate`` adds a key and retires the others;
a retired key is still published at ``/oauth2/certs`` until every id_token it signed has
expired (``expires_on`` = retirement + id_token lifetime + allowed clock skew), then dropped.
Private keys are stored as JWK JSON encrypted with the keyring (AES-256-GCM).
"""

import asyncio
import json
from typing import Any

from joserfc.jwk import RSAKey

from marketlink.domain.services import Services
from marketlink.storage import oidc as store
from marketlink.storage.database import Database

ALGORITHM = "RS256"
KEY_BITS = 2048
CLOCK_SKEW_MS = 300_000
MAX_CACHED_KEYS = 16


def new_key_row(services: Services) -> dict[str, Any]:
    """A fresh RS256 key as a row (about 0.1 s of CPU: callers run it in a thread)."""
    key = RSAKey.generate_key(KEY_BITS, parameters={"use": "sig", "alg": ALGORITHM}, auto_kid=True)
    return {"kid": key.kid, "private_jwk": services.keyring.encrypt(json.dumps(key.as_dict(private=True))),
            "public_jwk": key.as_dict(private=False), "created_on": services.clock.now_ms(),
            "retired_on": None, "expires_on": None}


class SigningKeys:
    """Reads, creates and rotates keys. Imported private keys are cached by kid: importing a
    private RSA JWK checks the key, which takes tens of milliseconds."""

    def __init__(self, db: Database, services: Services) -> None:
        self.db, self.services = db, services
        self._imported: dict[str, RSAKey] = {}
        self._creating = asyncio.Lock()

    async def signing_key(self, current: Any = None) -> RSAKey:
        """The key that signs now (``current``: its row, when the caller has read it); the
        first is created on first need."""
        if current is None:
            async with self.db.read() as conn:
                current = await store.current_signing_key(conn)
        if current is None:
            current = await self._first_key()
        return await self._imported_key(current)

    async def rotate(self) -> str:
        """Add a key that signs from now on; the previous ones retire. Returns the new kid."""
        row = await asyncio.to_thread(new_key_row, self.services)
        now = self.services.clock.now_ms()
        expires_on = now + self.services.settings.oidc_id_token_lifetime_s * 1000 + CLOCK_SKEW_MS
        async with self.db.write() as conn:
            await store.insert_signing_key(conn, row)
            await store.retire_signing_keys(conn, row["kid"], now, expires_on)
        return row["kid"]

    async def published(self) -> dict[str, list[dict[str, Any]]]:
        """The JWKS: the signing key and the retired keys not yet expired."""
        async with self.db.read() as conn:
            rows = await store.published_signing_keys(conn, self.services.clock.now_ms())
        return {"keys": [dict(row["public_jwk"]) for row in rows]}

    async def _first_key(self) -> Any:
        """Create the first key, once per process; another process may have made one meanwhile
        (then both are published and the newer signs: harmless)."""
        async with self._creating:
            async with self.db.read() as conn:
                row = await store.current_signing_key(conn)
            if row is None:
                row = await asyncio.to_thread(new_key_row, self.services)
                async with self.db.write() as conn:
                    await store.insert_signing_key(conn, row)
            return row

    async def _imported_key(self, row: Any) -> RSAKey:
        key = self._imported.get(row["kid"])
        if key is None:
            plain = json.loads(self.services.keyring.decrypt(row["private_jwk"]))
            key = await asyncio.to_thread(RSAKey.import_key, plain)
            if len(self._imported) >= MAX_CACHED_KEYS:
                self._imported.clear()
            self._imported[row["kid"]] = key
        return key

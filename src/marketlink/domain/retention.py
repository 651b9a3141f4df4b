"""Retention (``marketlink prune``): resolved events older than the retention age go, with
their attempts, in batches of one short write transaction each, so that the API and the
workers keep running meanwhile. Unresolved events (queued, delivering, pending) are never
deleted, whatever their age: they are the outbox."""

from dataclasses import dataclass

from marketlink.domain.services import Services
from marketlink.storage import retention as store
from marketlink.storage.oidc import CODE_RETENTION_MS
from marketlink.storage.database import Database

MAX_BATCH = 10_000
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400}


@dataclass(frozen=True)
class Pruned:
    events: int
    attempts: int
    sign_in_rows: int  # expired sessions, codes, tokens, SAML request IDs


def age_ms(text: str) -> int:
    """``90d``, ``12h``, ``30m`` or ``3600s`` as milliseconds; ``ValueError`` otherwise."""
    number, unit = text[:-1], text[-1:]
    if unit not in _UNITS or not (number.isascii() and number.isdigit()) or int(number) <= 0:
        raise ValueError("give the age as a whole number and a unit: 90d, 12h, 30m or 3600s")
    return int(number) * _UNITS[unit] * 1000


async def prune(db: Database, services: Services, older_than_ms: int, batch: int = 1000) -> Pruned:
    """Delete events resolved more than ``older_than_ms`` ago (and their attempts), then the
    expired sign-in rows. What a batch deleted stays deleted if a later batch fails."""
    if not 1 <= batch <= MAX_BATCH:
        raise ValueError(f"the batch size must be 1 to {MAX_BATCH}")
    now = services.clock.now_ms()
    before, events, attempts = now - older_than_ms, 0, 0
    while True:
        async with db.write() as conn:
            ids = await store.resolved_events_before(conn, before, batch)
            if ids:
                deleted_events, deleted_attempts = await store.delete_events(conn, ids)
                events, attempts = events + deleted_events, attempts + deleted_attempts
        if len(ids) < batch:
            break
    async with db.write() as conn:
        sign_in_rows = await store.delete_expired_sign_in_rows(conn, now, CODE_RETENTION_MS)
    return Pruned(events, attempts, sign_in_rows)

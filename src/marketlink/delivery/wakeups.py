"""Waking workers of other processes: on PostgreSQL, ``record_event`` issues
``pg_notify('marketlink_events')`` in the event's transaction (delivered at commit) and each
worker LISTENs on a connection of its own. On SQLite (one process) the in-process signal is
enough. Polling remains the fallback either way."""

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.domain.services import Signal
from marketlink.storage.database import Database

CHANNEL = "marketlink_events"
log = structlog.get_logger("marketlink.delivery")


class Listener:
    """Holds the LISTEN connection; :meth:`close` releases it."""

    def __init__(self, conn: AsyncConnection | None) -> None:
        self._conn = conn

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None


async def listen(db: Database, signal: Signal) -> Listener:
    """LISTEN for new events on PostgreSQL; a no-op elsewhere or if it cannot (then polling)."""
    if db.sqlite:
        return Listener(None)
    conn = await db.engine.connect()
    try:
        raw = await conn.get_raw_connection()
        await raw.driver_connection.add_listener(CHANNEL, lambda *_: signal.notify())
    except Exception:  # noqa: BLE001 - waking is an optimisation; polling still delivers
        log.warning("delivery.listen_failed", exc_info=True)
        await conn.close()
        return Listener(None)
    return Listener(conn)

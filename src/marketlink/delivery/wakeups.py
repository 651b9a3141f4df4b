"""Waking workers of other processes: on PostgreSQL, ``record_event`` issues
``pg_notify('marketlink_events')`` in the event's transaction (delivered at commit) and each
worker LISTENs on a connection of its own. On SQLite (one process) the in-process signal is
enough. Polling remains the fallback either way."""

import asyncio
import contextlib

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.domain.services import Signal
from marketlink.storage.database import Database

CHANNEL = "marketlink_events"
RETRY_S = 1.0  # between attempts to LISTEN again
log = structlog.get_logger("marketlink.delivery")


class Listener:
    """Holds the LISTEN connection, and makes it again when the database drops it (a restart,
    a failover) or cannot be reached at first: every ``RETRY_S`` until it is back, then wakes
    the worker once for what was queued meanwhile. :meth:`close` releases it."""

    def __init__(self, db: Database, signal: Signal) -> None:
        self._db, self._signal = db, signal
        self._conn: AsyncConnection | None = None
        self._again: asyncio.Task[None] | None = None
        self._closed = False

    async def close(self) -> None:
        self._closed = True
        if self._again is not None:
            self._again.cancel()
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def start(self) -> None:
        if not await self._listen():
            self._listen_later()

    async def _listen(self) -> bool:
        conn = None
        try:
            conn = await self._db.engine.connect()
            raw = (await conn.get_raw_connection()).driver_connection
            await raw.add_listener(CHANNEL, lambda *_: self._signal.notify())
            raw.add_termination_listener(self._lost)
        except Exception:  # noqa: BLE001 - waking is an optimisation; polling still delivers
            log.warning("delivery.listen_failed", exc_info=True)
            await _discard(conn)
            return False
        self._conn = conn
        return True

    def _lost(self, _: object) -> None:  # asyncpg calls it when the connection ends
        self._listen_later()

    def _listen_later(self) -> None:
        if not self._closed and (self._again is None or self._again.done()):
            self._again = asyncio.create_task(self._listen_again())

    async def _listen_again(self) -> None:
        await _discard(self._conn)
        self._conn = None
        while not self._closed:
            await asyncio.sleep(RETRY_S)
            if await self._listen():
                self._signal.notify()
                return


async def _discard(conn: AsyncConnection | None) -> None:
    """Close a connection that may be broken (its pool then replaces it)."""
    if conn is None:
        return
    with contextlib.suppress(Exception):
        await conn.invalidate()
        await conn.close()


async def listen(db: Database, signal: Signal) -> Listener:
    """LISTEN for new events on PostgreSQL (a no-op on SQLite); while the database cannot be
    reached, polling delivers and the listener tries again."""
    listener = Listener(db, signal)
    if not db.sqlite:
        await listener.start()
    return listener

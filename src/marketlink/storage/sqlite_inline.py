"""aiosqlite's connection, with each call run at once on the event loop's thread.

aiosqlite hands every call (cursor, execute, fetch, close, commit) to a thread of its own and
back. For SQLite, whose calls on our small indexed queries take microseconds, those hand-offs
were the cost: about 70 µs of CPU each, seven or more per transaction, and while a writer waited
for its turn on a busy loop it held SQLite's single write lock (3.6 ms mean under load, against
1.2 ms inline; see docs/adr/0007). The queue aiosqlite puts calls on is replaced by one that runs
them immediately, so the future it awaits is already done and nothing suspends.

The price: a statement blocks the loop while it runs. Statements are short; waiting for another
process's write lock is bounded by ``BUSY_TIMEOUT_S`` per statement, and a writer that still
finds the database locked retries without blocking (``Database.write``).
"""

import asyncio
import sqlite3
from collections.abc import Callable
from functools import partial
from typing import Any

import aiosqlite

BUSY_TIMEOUT_S = 0.1


class _RunNow:
    """Takes aiosqlite's (future, function) work items and runs them on the spot."""

    def put_nowait(self, item: tuple[asyncio.Future | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting caller
            if future is not None and not future.done():
                future.set_exception(exc)
            return
        if future is not None and not future.done():
            future.set_result(result)


class InlineConnection(aiosqlite.Connection):
    def __init__(self, connector: Callable[[], sqlite3.Connection]) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._tx = _RunNow()  # type: ignore[assignment]

    def __await__(self):  # type: ignore[no-untyped-def]
        return self._connect().__await__()  # no worker thread to start


async def connect_inline(path: str) -> InlineConnection:
    """The ``async_creator`` of the SQLite engine."""
    connector = partial(sqlite3.connect, path, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                        check_same_thread=False)
    return await InlineConnection(connector)

"""The engine and the two ways to use it: ``read()`` and ``write()`` transactions.

SQLite (the embedded default) allows one writer at a time. Writers take the lock up front with
``BEGIN IMMEDIATE`` (so two deferred transactions never deadlock upgrading their locks) and are
queued on an in-process lock before that, so they wait in order. SQLite calls run on the event
loop's thread (``sqlite_inline``); a writer that finds another process holding the database
retries without blocking the loop. PostgreSQL needs none of this.
"""

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import partial
from typing import Any, Protocol, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from marketlink.storage.sqlite_inline import BUSY_TIMEOUT_S, connect_inline

_BEGIN_OPTION = "marketlink_begin"
APPLICATION_NAME = "marketlink"
SQLITE_LOCK_WAIT_S = 30.0
SQLITE_MMAP_BYTES = 1 << 30  # address space only: the OS keeps what is used


class HasErrors(Protocol):
    @property
    def errors(self) -> list: ...


R = TypeVar("R", bound=HasErrors)


class _Abort(Exception):
    def __init__(self, result: object) -> None:
        self.result = result


def async_database_url(url: str) -> str:
    """Accept plain ``sqlite://`` / ``postgresql://`` URLs and name the async driver we use."""
    parsed = make_url(url)
    if parsed.drivername in {"sqlite", "sqlite+pysqlite"}:
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif parsed.drivername in {"postgresql", "postgres", "postgresql+psycopg2"}:
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


class Database:
    """Owns the engine. ``read()`` and ``write()`` yield a connection inside one transaction;
    ``write()`` commits on normal exit and rolls back on an exception. :meth:`command` runs a
    domain command and rolls back when it returns errors, so nothing is written on a mistake."""

    def __init__(self, url: str, *, search_path: str | None = None, pool_size: int = 10) -> None:
        self.url = async_database_url(url)
        self.sqlite = is_sqlite(self.url)
        self.engine: AsyncEngine = _make_engine(self.url, search_path, pool_size)
        self._write_lock = asyncio.Lock() if self.sqlite else None

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn:
            async with conn.begin():
                yield conn

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        if self._write_lock is None:
            async with self.engine.begin() as conn:
                yield conn
            return
        async with self._write_lock:
            async with self.engine.connect() as conn:
                conn = await conn.execution_options(**{_BEGIN_OPTION: ""})
                async with conn.begin():
                    await _begin_immediate(conn)
                    yield conn

    async def command(self, run: Callable[[AsyncConnection], Awaitable[R]]) -> R:
        """Run a domain command in one write transaction that begins at its first statement
        (so checks that need no data run before SQLite's write lock is taken) and is rolled
        back when the command returns errors."""
        transaction = LazyWriteTransaction(self)
        try:
            result = await run(transaction)  # type: ignore[arg-type]
        except BaseException:
            await transaction.end(commit=False)
            raise
        await transaction.end(commit=not result.errors)
        return result

    async def dispose(self) -> None:
        await self.engine.dispose()


async def _begin_immediate(conn: AsyncConnection) -> None:
    """Take SQLite's write lock; while another process holds it, wait without blocking the
    loop (no busy handler for this statement: retry after a sleep instead)."""
    deadline = time.monotonic() + SQLITE_LOCK_WAIT_S
    await conn.exec_driver_sql("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                await conn.exec_driver_sql("BEGIN IMMEDIATE")
                return
            except OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
            await asyncio.sleep(0.005)
    finally:
        await conn.exec_driver_sql(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")


class LazyWriteTransaction:
    """Stands in for the connection a command receives: ``write()`` is entered on the first
    ``execute`` and left by :meth:`end`."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._context: Any = None
        self._conn: AsyncConnection | None = None

    @property
    def dialect(self) -> Any:
        return self._db.engine.dialect

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        if self._conn is None:
            self._context = self._db.write()
            self._conn = await self._context.__aenter__()
        return await self._conn.execute(*args, **kwargs)

    async def end(self, *, commit: bool) -> None:
        if self._context is None:
            return
        context, self._context, self._conn = self._context, None, None
        if commit:
            await context.__aexit__(None, None, None)
        else:
            await context.__aexit__(_Abort, _Abort(None), None)


def _make_engine(url: str, search_path: str | None, pool_size: int) -> AsyncEngine:
    if not is_sqlite(url):
        # application_name: operators (and tests/faults/test_single_faults.py) find our sessions
        server_settings = {"application_name": APPLICATION_NAME} | (
            {"search_path": search_path} if search_path else {})
        connect_args = {"server_settings": server_settings}
        return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size // 2,
                                   pool_pre_ping=True, connect_args=connect_args)
    # Every read() and write() ends its own transaction, so the pool's rollback on return would
    # be a wasted statement; calls run on the loop's thread (sqlite_inline, ADR 0007).
    path = make_url(url).database or ":memory:"
    engine = create_async_engine(url, async_creator=partial(connect_inline, path),
                                 pool_size=pool_size, max_overflow=pool_size,
                                 pool_reset_on_return=None)
    _take_over_sqlite_transactions(engine)
    return engine


def _take_over_sqlite_transactions(engine: AsyncEngine) -> None:
    """The SQLAlchemy recipe for SQLite: disable the driver's own BEGIN handling and emit ours,
    so that writers can use BEGIN IMMEDIATE and pragmas apply to every connection."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        # The driver connection is made with isolation_level=None (sqlite_inline).
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Large tables of random (UUID) keys: index pages are read through a shared memory map
        # rather than copied into each connection's small page cache (2 MB by default).
        cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        statement = conn.get_execution_options().get(_BEGIN_OPTION, "BEGIN")
        if statement:
            conn.exec_driver_sql(statement)

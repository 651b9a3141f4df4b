"""The engine and the two ways to use it: ``read()`` and ``write()`` transactions.

SQLite (the embedded default) allows one writer at a time. Writers take the lock up front with
``BEGIN IMMEDIATE`` (so two deferred transactions never deadlock upgrading their locks) and are
queued on an in-process lock before that, so they wait in order instead of spinning on
``busy_timeout``. PostgreSQL needs neither.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Protocol, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

_BEGIN_OPTION = "marketlink_begin"


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

    def __init__(self, url: str, *, search_path: str | None = None, pool_size: int = 5) -> None:
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
                conn = await conn.execution_options(**{_BEGIN_OPTION: "BEGIN IMMEDIATE"})
                async with conn.begin():
                    yield conn

    async def command(self, run: Callable[[AsyncConnection], Awaitable[R]]) -> R:
        try:
            async with self.write() as conn:
                result = await run(conn)
                if result.errors:
                    raise _Abort(result)
                return result
        except _Abort as abort:
            return abort.result  # type: ignore[return-value]

    async def dispose(self) -> None:
        await self.engine.dispose()


def _make_engine(url: str, search_path: str | None, pool_size: int) -> AsyncEngine:
    if not is_sqlite(url):
        connect_args = {"server_settings": {"search_path": search_path}} if search_path else {}
        return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size,
                                   pool_pre_ping=True, connect_args=connect_args)
    engine = create_async_engine(url, connect_args={"timeout": 30})
    _take_over_sqlite_transactions(engine)
    return engine


def _take_over_sqlite_transactions(engine: AsyncEngine) -> None:
    """The SQLAlchemy recipe for SQLite: disable the driver's own BEGIN handling and emit ours,
    so that writers can use BEGIN IMMEDIATE and pragmas apply to every connection."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        conn.exec_driver_sql(conn.get_execution_options().get(_BEGIN_OPTION, "BEGIN"))

"""Shared fixtures: every API test runs on SQLite and, when MARKETLINK_TEST_DATABASE_URL is
set, on PostgreSQL too (the ``database_url`` parameter)."""

import asyncio
import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from marketlink.storage.database import Database
from marketlink.storage.migrate import migrate
from marketlink.storage.tables import metadata

PG_URL = os.environ.get("MARKETLINK_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once is much faster)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = Database(f"sqlite:///{path}")

    async def run() -> None:
        await migrate(db)
        async with db.engine.connect() as conn:
            await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        await db.dispose()

    asyncio.run(run())
    return path


@pytest.fixture(scope="session")
def pg_schema() -> str | None:
    """A schema of our own in the PostgreSQL test database, migrated once, dropped at the end."""
    if not PG_URL:
        yield None
        return
    schema = f"mltest_{os.getpid()}_{uuid.uuid4().hex[:8]}"

    async def setup() -> None:
        db = Database(PG_URL)
        async with db.engine.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        await db.dispose()
        db = Database(PG_URL, search_path=schema)
        await migrate(db)
        await db.dispose()

    async def teardown() -> None:
        db = Database(PG_URL)
        async with db.engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await db.dispose()

    asyncio.run(setup())
    yield schema
    asyncio.run(teardown())


async def empty_database(backend: str, directory: Path, sqlite_template: Path, pg_schema: str | None) -> Database:
    """A migrated, empty database of ``backend``: a copy of the SQLite template in
    ``directory``, or the session's PostgreSQL schema with every table emptied."""
    if backend == "sqlite":
        path = directory / "marketlink.db"
        shutil.copy(sqlite_template, path)
        return Database(f"sqlite:///{path}")
    database = Database(PG_URL, search_path=pg_schema)
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    async with database.engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {tables} CASCADE"))
    return database


@pytest.fixture(params=BACKENDS)
async def db(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path, pg_schema: str | None):
    """A migrated, empty database of the parametrised backend."""
    database = await empty_database(request.param, tmp_path, sqlite_template, pg_schema)
    yield database
    await database.dispose()

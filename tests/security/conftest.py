"""Fixtures of the security tests: a database per backend shared by a whole module (the
access matrix builds its world once per backend)."""

import shutil

import pytest_asyncio
from sqlalchemy import text

from marketlink.storage.database import Database
from marketlink.storage.tables import metadata
from tests.conftest import BACKENDS, PG_URL


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=BACKENDS)
async def module_db(request, tmp_path_factory, sqlite_template, pg_schema):
    """A migrated, empty database of the parametrised backend, for one module."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("security") / "marketlink.db"
        shutil.copy(sqlite_template, path)
        database = Database(f"sqlite:///{path}")
    else:
        database = Database(PG_URL, search_path=pg_schema)
        tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        async with database.engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {tables} CASCADE"))
    yield database
    await database.dispose()

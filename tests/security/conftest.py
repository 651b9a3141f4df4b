"""Fixtures of the security tests: a database per backend shared by a whole module (the
access matrix builds its world once per backend)."""

import pytest_asyncio

from tests.conftest import BACKENDS, empty_database


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=BACKENDS)
async def module_db(request, tmp_path_factory, sqlite_template, pg_schema):
    """A migrated, empty database of the parametrised backend, for one module."""
    database = await empty_database(request.param, tmp_path_factory.mktemp("security"),
                                    sqlite_template, pg_schema)
    yield database
    await database.dispose()

"""Queries on ping tests: the last run per integration version and its per-URL results."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.storage.tables import ping_test_results, ping_tests

Row = Mapping[str, Any]


async def replace_test(conn: AsyncConnection, test: dict[str, Any], results: list[dict[str, Any]]) -> None:
    """Store ``test`` as the version's last run, dropping the run before it."""
    old = select(ping_tests.c.id).where(
        ping_tests.c.integration_version_id == test["integration_version_id"])
    await conn.execute(delete(ping_test_results).where(ping_test_results.c.test_id.in_(old)))
    await conn.execute(delete(ping_tests).where(
        ping_tests.c.integration_version_id == test["integration_version_id"]))
    await conn.execute(ping_tests.insert().values(**test))
    if results:
        await conn.execute(ping_test_results.insert(), results)


async def last_test(conn: AsyncConnection, version_id: str) -> tuple[Row, list[Row]] | None:
    test = (await conn.execute(
        select(ping_tests).where(ping_tests.c.integration_version_id == version_id)
    )).mappings().first()
    if test is None:
        return None
    results = (await conn.execute(
        select(ping_test_results).where(ping_test_results.c.test_id == test["id"])
        .order_by(ping_test_results.c.position)
    )).mappings()
    return test, list(results)

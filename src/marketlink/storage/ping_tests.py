"""Queries on ping tests: the last run per integration version and its per-URL results."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select, update
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


async def record_result(conn: AsyncConnection, result_id: str, values: dict[str, Any], now: int) -> None:
    """Fill in one result; when none is left pending, the run is PASSED or FAILED. The run's
    row is locked first, so two answers settling at once see each other's result (PostgreSQL)."""
    test_id = (await conn.execute(select(ping_test_results.c.test_id)
                                  .where(ping_test_results.c.id == result_id))).scalar_one_or_none()
    if test_id is None:  # a newer run replaced this one
        return
    await conn.execute(select(ping_tests.c.id).where(ping_tests.c.id == test_id).with_for_update())
    await conn.execute(update(ping_test_results).where(ping_test_results.c.id == result_id).values(values))
    outcomes = (await conn.execute(select(ping_test_results.c.success)
                                   .where(ping_test_results.c.test_id == test_id))).scalars().all()
    if any(success is None for success in outcomes):
        return
    status = "PASSED" if all(outcomes) else "FAILED"
    await conn.execute(update(ping_tests).where(ping_tests.c.id == test_id).values(
        status=status, completed_on=now))

"""Writes of many rows in one statement per shape (the delivery worker's group commit)."""

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Table, bindparam, update
from sqlalchemy.ext.asyncio import AsyncConnection


async def update_rows(conn: AsyncConnection, table: Table, changes: Iterable[tuple[str, dict[str, Any]]]) -> None:
    """Apply each row's own values, one executemany per distinct set of columns."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row_id, values in changes:
        groups.setdefault(tuple(sorted(values)), []).append(
            {"row_id": row_id} | {f"new_{name}": value for name, value in values.items()})
    for columns, rows in groups.items():
        statement = (update(table).where(table.c.id == bindparam("row_id"))
                     .values({name: bindparam(f"new_{name}") for name in columns}))
        await conn.execute(statement, rows)

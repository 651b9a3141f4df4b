"""Queries on companies, users, subscriptions and assignments."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.storage.pages import keyset_page
from marketlink.storage.tables import companies, subscriptions, users

Row = Mapping[str, Any]


async def insert(conn: AsyncConnection, table: Table, values: dict[str, Any]) -> None:
    await conn.execute(table.insert(), values)


async def update(conn: AsyncConnection, table: Table, row_id: str, values: dict[str, Any]) -> None:
    await conn.execute(table.update().where(table.c.id == row_id).values(values))


async def by_id(conn: AsyncConnection, table: Table, row_id: str) -> Row | None:
    return (await conn.execute(select(table).where(table.c.id == row_id))).mappings().first()


async def user_by_email(conn: AsyncConnection, email: str) -> Row | None:
    return (await conn.execute(select(users).where(users.c.email == email))).mappings().first()


async def subscriptions_page(
    conn: AsyncConnection, vendor_id: str | None, company_id: str | None,
    after: tuple[int, str] | None, limit: int,
) -> list[Row]:
    query = select(subscriptions)
    if vendor_id is not None:
        query = query.where(subscriptions.c.vendor_id == vendor_id)
    if company_id is not None:
        query = query.where(subscriptions.c.company_id == company_id)
    return list((await conn.execute(keyset_page(query, subscriptions, after, limit))).mappings())


__all__ = ["companies", "users", "subscriptions", "insert", "update", "by_id"]

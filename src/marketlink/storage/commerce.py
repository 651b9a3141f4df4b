"""Queries on companies, users, subscriptions and assignments."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.storage.pages import keyset_page
from marketlink.storage.tables import assignments, companies, subscriptions, users

Row = Mapping[str, Any]


async def insert(conn: AsyncConnection, table: Table, values: dict[str, Any]) -> None:
    await conn.execute(table.insert(), values)


async def update(conn: AsyncConnection, table: Table, row_id: str, values: dict[str, Any]) -> None:
    await conn.execute(table.update().where(table.c.id == row_id).values(values))


async def by_id(conn: AsyncConnection, table: Table, row_id: str) -> Row | None:
    return (await conn.execute(select(table).where(table.c.id == row_id))).mappings().first()


async def user_by_email(conn: AsyncConnection, email: str) -> Row | None:
    return (await conn.execute(select(users).where(users.c.email == email))).mappings().first()


async def companies_named(conn: AsyncConnection, name: str, limit: int) -> list[Row]:
    query = select(companies).where(companies.c.name == name).order_by(companies.c.id).limit(limit)
    return list((await conn.execute(query)).mappings())


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


async def subscription_for_update(conn: AsyncConnection, subscription_id: str) -> Row | None:
    """The subscription, locked until the end of the transaction on PostgreSQL (on SQLite the
    write transaction is the lock), so that commands on one subscription run one at a time."""
    query = select(subscriptions).where(subscriptions.c.id == subscription_id).with_for_update()
    return (await conn.execute(query)).mappings().first()


async def assignment_of(conn: AsyncConnection, subscription_id: str, user_id: str) -> Row | None:
    query = select(assignments).where(assignments.c.subscription_id == subscription_id,
                                      assignments.c.user_id == user_id)
    return (await conn.execute(query)).mappings().first()


async def assignments_of_subscription(conn: AsyncConnection, subscription_id: str) -> list[Row]:
    query = (select(assignments).where(assignments.c.subscription_id == subscription_id)
             .order_by(assignments.c.created_on, assignments.c.id))
    return list((await conn.execute(query)).mappings())


async def assignments_of_user(conn: AsyncConnection, user_id: str, status: str) -> list[Row]:
    """The user's assignments in ``status``, oldest first."""
    query = (select(assignments).where(assignments.c.user_id == user_id, assignments.c.status == status)
             .order_by(assignments.c.created_on, assignments.c.id))
    return list((await conn.execute(query)).mappings())


__all__ = ["companies", "users", "subscriptions", "assignments", "insert", "update", "by_id"]

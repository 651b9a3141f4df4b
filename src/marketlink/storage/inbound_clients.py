"""Queries on inbound clients (the product host's credentials towards MarketLink)."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.storage.tables import inbound_clients as t

Row = Mapping[str, Any]


async def insert_client(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(t.insert(), values)


async def clients_of(conn: AsyncConnection, integration_id: str) -> list[Row]:
    query = select(t).where(t.c.integration_id == integration_id).order_by(t.c.created_on, t.c.id)
    return list((await conn.execute(query)).mappings())


async def count_active(conn: AsyncConnection, integration_id: str) -> int:
    query = select(func.count()).select_from(t).where(
        t.c.integration_id == integration_id, t.c.revoked_on.is_(None))
    return int((await conn.execute(query)).scalar_one())


async def client_by_client_id(conn: AsyncConnection, client_id: str) -> Row | None:
    return (await conn.execute(select(t).where(t.c.client_id == client_id))).mappings().first()


async def revoke(conn: AsyncConnection, row_id: str, now_ms: int) -> None:
    await conn.execute(t.update().where(t.c.id == row_id).values(revoked_on=now_ms))

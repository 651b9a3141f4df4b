"""Queries on vendors and API tokens."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.storage.tables import api_tokens, vendors

Row = Mapping[str, Any]


async def insert_vendor(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(vendors.insert(), values)


async def vendor_by_id(conn: AsyncConnection, vendor_id: str) -> Row | None:
    return (await conn.execute(select(vendors).where(vendors.c.id == vendor_id))).mappings().first()


async def vendors_by_name(conn: AsyncConnection, limit: int) -> list[Row]:
    query = select(vendors).order_by(vendors.c.name, vendors.c.id).limit(limit)
    return list((await conn.execute(query)).mappings())


async def insert_token(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(api_tokens.insert(), values)


async def active_token_by_hash(conn: AsyncConnection, token_hash: str) -> Row | None:
    query = select(api_tokens).where(
        api_tokens.c.token_hash == token_hash, api_tokens.c.revoked_on.is_(None)
    )
    return (await conn.execute(query)).mappings().first()


async def revoke_tokens_named(conn: AsyncConnection, name: str, now_ms: int) -> None:
    await conn.execute(
        api_tokens.update()
        .where(api_tokens.c.name == name, api_tokens.c.revoked_on.is_(None))
        .values(revoked_on=now_ms)
    )

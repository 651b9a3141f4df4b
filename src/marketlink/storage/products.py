"""Queries on products."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.storage.pages import keyset_page
from marketlink.storage.tables import products as t

Row = Mapping[str, Any]


async def insert_product(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(t.insert(), values)


async def update_product(conn: AsyncConnection, product_id: str, values: dict[str, Any]) -> None:
    await conn.execute(t.update().where(t.c.id == product_id).values(**values))


async def product_by_id(conn: AsyncConnection, product_id: str) -> Row | None:
    return (await conn.execute(select(t).where(t.c.id == product_id))).mappings().first()


async def products_page(
    conn: AsyncConnection, vendor_id: str | None, after: tuple[int, str] | None, limit: int
) -> list[Row]:
    query = select(t)
    if vendor_id is not None:
        query = query.where(t.c.vendor_id == vendor_id)
    return list((await conn.execute(keyset_page(query, t, after, limit))).mappings())


async def count_products(conn: AsyncConnection, vendor_id: str | None) -> int:
    query = select(func.count()).select_from(t)
    if vendor_id is not None:
        query = query.where(t.c.vendor_id == vendor_id)
    return int((await conn.execute(query)).scalar_one())


async def products_linked_to(conn: AsyncConnection, integration_id: str, limit: int) -> list[Row]:
    query = (select(t).where(t.c.integration_id == integration_id)
             .order_by(t.c.created_on, t.c.id).limit(limit))
    return list((await conn.execute(query)).mappings())

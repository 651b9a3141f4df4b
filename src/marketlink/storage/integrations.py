"""Queries on integration versions. Rows come back as plain mappings; the domain builds models."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.storage.pages import keyset_page
from marketlink.storage.tables import integration_versions as t
from marketlink.storage.tables import products

Row = Mapping[str, Any]


async def insert_version(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(t.insert(), values)


async def update_version(conn: AsyncConnection, version_id: str, values: dict[str, Any]) -> None:
    await conn.execute(t.update().where(t.c.id == version_id).values(**values))


async def version_by_id(conn: AsyncConnection, version_id: str, *, lock: bool = False) -> Row | None:
    """The row; with ``lock``, held against concurrent writers until the transaction ends
    (``FOR UPDATE`` on PostgreSQL; SQLite writers are serialized already)."""
    query = select(t).where(t.c.id == version_id)
    if lock:
        query = query.with_for_update()
    return (await conn.execute(query)).mappings().first()


async def latest_published(
    conn: AsyncConnection, integration_id: str, *, sso_type: str | None = None
) -> Row | None:
    """The newest snapshot (with ``sso_type``: the newest one with that SSO kind)."""
    query = select(t).where(t.c.integration_id == integration_id, t.c.version == "PUBLISHED")
    if sso_type is not None:
        query = query.where(t.c.sso_type == sso_type)
    query = query.order_by(t.c.revision.desc()).limit(1)
    return (await conn.execute(query)).mappings().first()


async def published_snapshots(conn: AsyncConnection, integration_id: str, limit: int) -> list[Row]:
    query = (
        select(t)
        .where(t.c.integration_id == integration_id, t.c.version == "PUBLISHED")
        .order_by(t.c.revision.desc())
        .limit(limit)
    )
    return list((await conn.execute(query)).mappings())


async def working_versions(
    conn: AsyncConnection, vendor_id: str | None, after: tuple[int, str] | None, limit: int
) -> list[Row]:
    """WORKING versions in creation order, after the keyset cursor ``after``."""
    query = select(t).where(t.c.version == "WORKING")
    if vendor_id is not None:
        query = query.where(t.c.vendor_id == vendor_id)
    return list((await conn.execute(keyset_page(query, t, after, limit))).mappings())


async def count_working_versions(conn: AsyncConnection, vendor_id: str | None) -> int:
    query = select(func.count()).select_from(t).where(t.c.version == "WORKING")
    if vendor_id is not None:
        query = query.where(t.c.vendor_id == vendor_id)
    return int((await conn.execute(query)).scalar_one())


async def linked_product_count(conn: AsyncConnection, integration_id: str) -> int:
    query = select(func.count()).select_from(products).where(
        products.c.integration_id == integration_id
    )
    return int((await conn.execute(query)).scalar_one())

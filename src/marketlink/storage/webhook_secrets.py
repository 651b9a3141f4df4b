"""Queries on the signing secrets of DIRECT delivery."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.storage.tables import webhook_secrets as t

Row = Mapping[str, Any]


async def active(conn: AsyncConnection, integration_id: str, now: int) -> list[Row]:
    """Secrets not yet expired: the current one (no expiry) first, then newest first."""
    query = (select(t).where(t.c.integration_id == integration_id,
                             or_(t.c.expires_on.is_(None), t.c.expires_on > now))
             .order_by(t.c.expires_on.is_(None).desc(), t.c.created_on.desc(), t.c.id))
    return list((await conn.execute(query)).mappings())


async def rotate(conn: AsyncConnection, values: dict[str, Any], expire_current_on: int, now: int) -> None:
    """Add a secret; the current ones expire at ``expire_current_on``; expired ones go."""
    integration_id = values["integration_id"]
    await conn.execute(delete(t).where(t.c.integration_id == integration_id, t.c.expires_on <= now))
    await conn.execute(update(t).where(t.c.integration_id == integration_id, or_(
        t.c.expires_on.is_(None), t.c.expires_on > expire_current_on)).values(expires_on=expire_current_on))
    await conn.execute(t.insert(), values)

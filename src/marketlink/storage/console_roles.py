"""Queries on ``console_roles``: who may use the console, and as what."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.storage.tables import console_roles

Row = Mapping[str, Any]


async def role_of(conn: AsyncConnection, user_id: str) -> Row | None:
    query = select(console_roles).where(console_roles.c.user_id == user_id)
    return (await conn.execute(query)).mappings().first()


async def replace_role(conn: AsyncConnection, user_id: str, role: str | None,
                       vendor_id: str | None, now_ms: int, company_id: str | None = None) -> None:
    """The user's one role becomes ``role`` (None: no console access)."""
    await conn.execute(delete(console_roles).where(console_roles.c.user_id == user_id))
    if role is not None:
        await conn.execute(console_roles.insert().values(
            user_id=user_id, role=role, vendor_id=vendor_id, company_id=company_id,
            granted_on=now_ms))

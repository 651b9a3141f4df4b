"""Names of things by id, and the companies and users a form offers to pick from: the small
reads the console needs around its lists (one query per kind of name, not one per row)."""

from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.storage.tables import companies, users

Row = Mapping[str, Any]


async def labels(conn: AsyncConnection, table: Table, column: str, ids: Collection[str],
                 vendor_id: str | None = None, company_id: str | None = None) -> dict[str, str]:
    """``{id: column value}`` of the rows with these ids (of ``vendor_id``, of ``company_id``
    when given)."""
    if not ids:
        return {}
    query = select(table.c.id, table.c[column]).where(table.c.id.in_(sorted(set(ids))))
    if vendor_id is not None:
        query = query.where(table.c.vendor_id == vendor_id)
    if company_id is not None:
        query = query.where(table.c.company_id == company_id)
    return {row[0]: row[1] for row in await conn.execute(query)}


async def companies_by_name(conn: AsyncConnection, limit: int) -> tuple[list[Row], int]:
    """The first ``limit`` companies by name, and how many there are."""
    query = select(companies).order_by(companies.c.name, companies.c.id).limit(limit)
    rows = list((await conn.execute(query)).mappings())
    total = (await conn.execute(select(func.count()).select_from(companies))).scalar_one()
    return rows, total


async def users_of_company(conn: AsyncConnection, company_id: str, limit: int) -> tuple[list[Row], int]:
    """The first ``limit`` users of the company by email, and how many there are."""
    query = (select(users).where(users.c.company_id == company_id)
             .order_by(users.c.email).limit(limit))
    rows = list((await conn.execute(query)).mappings())
    total = (await conn.execute(select(func.count()).select_from(users)
                                .where(users.c.company_id == company_id))).scalar_one()
    return rows, total

"""What the console shows next to ids (names instead of UUIDs) and offers in its pickers,
restricted by the same tenancy rule as everything else: companies and their users are the
administrators' (``visible_company``), products and integrations their vendor's."""

from collections.abc import Collection

from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.domain.actors import Actor
from marketlink.domain.models import Company, User
from marketlink.storage import directory as store
from marketlink.storage.tables import companies, integration_versions, products, users


async def product_names(conn: AsyncConnection, actor: Actor, ids: Collection[str]) -> dict[str, str]:
    return await store.labels(conn, products, "name", ids, actor.vendor_scope())


async def integration_names(conn: AsyncConnection, actor: Actor, ids: Collection[str]) -> dict[str, str]:
    """Names of integrations by the id events carry (their WORKING version's)."""
    return await store.labels(conn, integration_versions, "name", ids, actor.vendor_scope())


async def company_names(conn: AsyncConnection, actor: Actor, ids: Collection[str]) -> dict[str, str]:
    return await store.labels(conn, companies, "name", ids) if actor.is_admin else {}


async def user_emails(conn: AsyncConnection, actor: Actor, ids: Collection[str]) -> dict[str, str]:
    return await store.labels(conn, users, "email", ids) if actor.is_admin else {}


async def companies_to_pick(conn: AsyncConnection, actor: Actor, limit: int) -> tuple[list[Company], int]:
    """The first ``limit`` companies by name and their total (administrators only)."""
    if not actor.is_admin:
        return [], 0
    rows, total = await store.companies_by_name(conn, limit)
    return [Company.from_row(r) for r in rows], total


async def users_to_pick(
    conn: AsyncConnection, actor: Actor, company_id: str, limit: int
) -> tuple[list[User], int]:
    """The first ``limit`` users of the company by email and their total (administrators only)."""
    if not actor.is_admin:
        return [], 0
    rows, total = await store.users_of_company(conn, company_id, limit)
    return [User.from_row(r) for r in rows], total

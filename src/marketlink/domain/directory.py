"""What the console shows next to ids (names instead of UUIDs) and offers in its pickers,
restricted by the same tenancy rule as everything else: companies and their users are the
administrators' and, for its own company, a company administrator's (``visible_company``);
products and integrations their vendor's (product names are also the catalog a company
administrator orders from)."""

from collections.abc import Collection

from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.domain.actors import Actor
from marketlink.domain.models import Company, User
from marketlink.domain.products import catalog_scope
from marketlink.storage import directory as store
from marketlink.storage.tables import companies, integration_versions, products, users


async def product_names(conn: AsyncConnection, actor: Actor, ids: Collection[str]) -> dict[str, str]:
    return await store.labels(conn, products, "name", ids, catalog_scope(actor))


async def integration_names(conn: AsyncConnection, actor: Actor, ids: Collection[str]) -> dict[str, str]:
    """Names of integrations by the id events carry (their WORKING version's)."""
    return await store.labels(conn, integration_versions, "name", ids, actor.vendor_scope())


async def company_names(conn: AsyncConnection, actor: Actor, ids: Collection[str]) -> dict[str, str]:
    return await store.labels(conn, companies, "name", [i for i in ids if actor.can_manage_company(i)])


async def user_emails(conn: AsyncConnection, actor: Actor, ids: Collection[str]) -> dict[str, str]:
    """Emails of the users of companies the actor manages."""
    if actor.is_admin:
        return await store.labels(conn, users, "email", ids)
    if actor.is_company_admin and actor.company_id:
        return await store.labels(conn, users, "email", ids, company_id=actor.company_id)
    return {}


async def companies_to_pick(conn: AsyncConnection, actor: Actor, limit: int) -> tuple[list[Company], int]:
    """The first ``limit`` companies by name and their total (administrators only)."""
    if not actor.is_admin:
        return [], 0
    rows, total = await store.companies_by_name(conn, limit)
    return [Company.from_row(r) for r in rows], total


async def users_to_pick(
    conn: AsyncConnection, actor: Actor, company_id: str, limit: int
) -> tuple[list[User], int]:
    """The first ``limit`` users of the company by email and their total (administrators; a
    company administrator for its own company)."""
    if not actor.can_manage_company(company_id):
        return [], 0
    rows, total = await store.users_of_company(conn, company_id, limit)
    return [User.from_row(r) for r in rows], total

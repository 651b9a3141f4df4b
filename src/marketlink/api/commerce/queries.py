"""Queries: company(id), user(id), subscription(id), subscriptions (paginated)."""

import strawberry

from marketlink.api.commerce.types import Company, Subscription, User
from marketlink.api.context import Info
from marketlink.api.pagination import PageInfo, cut_page, decode_cursor, page_size
from marketlink.domain import companies, subscriptions


async def company(info: Info, id: strawberry.ID) -> Company | None:
    async with info.context.db.read() as conn:
        found = await companies.visible_company(conn, info.context.actor, id)
    return Company.of(found) if found else None


async def user(info: Info, id: strawberry.ID) -> User | None:
    async with info.context.db.read() as conn:
        found = await companies.visible_user(conn, info.context.actor, id)
    return User.of(found) if found else None


async def subscription(info: Info, id: strawberry.ID) -> Subscription | None:
    async with info.context.db.read() as conn:
        found = await subscriptions.visible_subscription(conn, info.context.actor, id)
    return Subscription(model=found) if found else None


@strawberry.type
class SubscriptionConnection:
    nodes: list[Subscription]
    page_info: PageInfo


async def subscriptions_list(
    info: Info, first: int = 20, after: str | None = None, company_id: strawberry.ID | None = None
) -> SubscriptionConnection:
    """Subscriptions the caller may see (developers: of their vendor's products), oldest first."""
    limit = page_size(first, info.context.services.settings.max_page_size)
    async with info.context.db.read() as conn:
        found = await subscriptions.subscriptions_page(
            conn, info.context.actor, str(company_id) if company_id else None,
            decode_cursor(after), limit + 1)
    page, page_info = cut_page(found, limit)
    return SubscriptionConnection(nodes=[Subscription(model=s) for s in page], page_info=page_info)

"""Queries: productIntegration(id, version) and productIntegrations (paginated)."""

import strawberry

from marketlink.api.context import Info
from marketlink.api.integrations.types import IntegrationVersionName, ProductIntegration
from marketlink.api.pagination import PageInfo, cut_page, decode_cursor, page_size
from marketlink.domain import integrations


async def product_integration(
    info: Info, id: strawberry.ID, version: IntegrationVersionName | None = None
) -> ProductIntegration | None:
    """Any version by its id; with ``version``, that version of the same integration
    (PUBLISHED: the latest snapshot)."""
    async with info.context.db.read() as conn:
        found = await integrations.find_version(
            conn, info.context.actor, id, version.value if version else None)
    return ProductIntegration(model=found) if found else None


@strawberry.type
class ProductIntegrationConnection:
    nodes: list[ProductIntegration]
    page_info: PageInfo
    total_count: int


async def product_integrations(
    info: Info, first: int = 20, after: str | None = None
) -> ProductIntegrationConnection:
    """The WORKING versions the caller may see, oldest first."""
    limit = page_size(first, info.context.services.settings.max_page_size)
    async with info.context.db.read() as conn:
        found, total = await integrations.integrations_page(
            conn, info.context.actor, decode_cursor(after), limit + 1)
    page, page_info = cut_page(found, limit)
    return ProductIntegrationConnection(nodes=[ProductIntegration(model=v) for v in page],
                          page_info=page_info, total_count=total)

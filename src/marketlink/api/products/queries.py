"""Queries: product(id) and products (paginated)."""

import strawberry

from marketlink.api.context import Info
from marketlink.api.pagination import PageInfo, cut_page, decode_cursor, page_size
from marketlink.api.products.types import Product
from marketlink.domain import products


async def product(info: Info, id: strawberry.ID) -> Product | None:
    async with info.context.db.read() as conn:
        found = await products.visible_product(conn, info.context.actor, id)
    return Product(model=found) if found else None


@strawberry.type
class ProductConnection:
    nodes: list[Product]
    page_info: PageInfo
    total_count: int


async def products_list(info: Info, first: int = 20, after: str | None = None) -> ProductConnection:
    """The products the caller may see, oldest first."""
    limit = page_size(first, info.context.services.settings.max_page_size)
    async with info.context.db.read() as conn:
        found, total = await products.products_page(
            conn, info.context.actor, decode_cursor(after), limit + 1)
    page, page_info = cut_page(found, limit)
    return ProductConnection(nodes=[Product(model=p) for p in page],
                          page_info=page_info, total_count=total)

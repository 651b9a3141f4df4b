"""The queries behind My Apps: a user's ACTIVE subscriptions they are assigned to."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.storage.sign_ins import active_assignments
from marketlink.storage.tables import assignments, products, subscriptions

Row = Mapping[str, Any]
MAX_APPS = 200  # a page of tiles; nobody is assigned to more apps than this


def _assigned(user_id: str) -> Any:
    return (active_assignments(user_id, subscriptions, products.c.name.label("product_name"),
                               assignments.c.user_identifier)
            .join(products, products.c.id == subscriptions.c.product_id))


async def assigned_subscriptions(conn: AsyncConnection, user_id: str) -> list[Row]:
    """Product name first, oldest subscription first within a product."""
    query = _assigned(user_id).order_by(products.c.name, subscriptions.c.created_on,
                                        subscriptions.c.id).limit(MAX_APPS)
    return list((await conn.execute(query)).mappings())


async def assigned_subscription(conn: AsyncConnection, user_id: str, subscription_id: str) -> Row | None:
    query = _assigned(user_id).where(subscriptions.c.id == subscription_id)
    return (await conn.execute(query)).mappings().first()

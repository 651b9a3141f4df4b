"""Publishing snapshots and linking products (SPEC §2 "Versions and links")."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.domain.actors import Actor
from marketlink.domain.errors import Code, Outcome, UserError, error, not_found
from marketlink.domain.ids import new_id
from marketlink.domain.integrations import (
    lock_integration,
    visible_version,
    working_version_for_change,
)
from marketlink.domain.models import PUBLISHED, IntegrationVersion, Product
from marketlink.domain.products import visible_product
from marketlink.domain.services import Services
from marketlink.storage import integrations as integration_store
from marketlink.storage import products as product_store

INPUT = ("input",)
# A product can be sold only through an integration that can at least create and cancel.
REQUIRED_FOR_PUBLISH = (
    ("createUrl", Code.MISSING_CREATE_URL, "Set createUrl before publishing."),
    ("cancelUrl", Code.MISSING_CANCEL_URL, "Set cancelUrl before publishing."),
)


async def publish_integration(
    conn: AsyncConnection, actor: Actor, services: Services, changes: dict[str, Any]
) -> Outcome[IntegrationVersion]:
    """Freeze the WORKING version into a new PUBLISHED snapshot with an id of its own."""
    path = INPUT + ("integrationId",)
    working, errors = await working_version_for_change(conn, actor, changes.get("integrationId"), path)
    if working is None:
        return Outcome.failed(*errors)
    missing = [error(path, code, message)
               for field, code, message in REQUIRED_FOR_PUBLISH if not working.urls[field]]
    if missing:
        return Outcome.failed(*missing)
    await lock_integration(conn, working.id)
    row = dict(await integration_store.version_by_id(conn, working.id))
    latest = await integration_store.latest_published(conn, working.id)
    now = services.clock.now_ms()
    row |= {"id": new_id(), "version": PUBLISHED, "revision": (latest["revision"] if latest else 0) + 1,
            "created_on": now, "last_modified": now}
    await integration_store.insert_version(conn, row)
    return Outcome(IntegrationVersion.from_row(row))


async def link_product(
    conn: AsyncConnection, actor: Actor, services: Services, changes: dict[str, Any]
) -> Outcome[Product]:
    """Link a product to an integration of the same vendor (replacing any earlier link)."""
    product, errors = await _product(conn, actor, changes.get("productId"))
    integration = await visible_version(conn, actor, changes.get("integrationId"))
    if integration is None:
        errors.append(not_found(INPUT + ("integrationId",), "Integration"))
    if errors:
        return Outcome.failed(*errors)
    if integration.vendor_id != product.vendor_id:
        return Outcome.failed(error(INPUT + ("integrationId",), Code.NOT_ALLOWED,
                                    "The product and the integration belong to different vendors."))
    return Outcome(await _set_link(conn, services, product, integration.integration_id))


async def unlink_product(
    conn: AsyncConnection, actor: Actor, services: Services, changes: dict[str, Any]
) -> Outcome[Product]:
    product, errors = await _product(conn, actor, changes.get("productId"))
    if errors:
        return Outcome.failed(*errors)
    if product.integration_id is None:
        return Outcome.failed(error(INPUT + ("productId",), Code.INVALID,
                                    "This product is not linked to an integration."))
    return Outcome(await _set_link(conn, services, product, None))


async def _product(conn: AsyncConnection, actor: Actor, product_id: object) -> tuple[Product | None, list[UserError]]:
    product = await visible_product(conn, actor, product_id)
    return product, [] if product else [not_found(INPUT + ("productId",), "Product")]


async def _set_link(conn: AsyncConnection, services: Services, product: Product,
                    integration_id: str | None) -> Product:
    values = {"integration_id": integration_id, "last_modified": services.clock.now_ms()}
    await product_store.update_product(conn, product.id, values)
    return Product.from_row(await product_store.product_by_id(conn, product.id))

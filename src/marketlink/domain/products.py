"""Products with editions, owned by a vendor, linked to at most one integration."""

import re
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.domain.actors import Actor
from marketlink.domain.errors import Code, Outcome, UserError, error, not_found
from marketlink.domain.names import MAX_NAME_LENGTH, checked_name
from marketlink.domain.ids import new_id, normalized_id
from marketlink.domain.integrations import owning_vendor
from marketlink.domain.models import Product
from marketlink.domain.services import Services
from marketlink.storage import products as store

INPUT = ("input",)
MAX_EDITIONS = 50
USAGE_TYPES = ("SINGLE_USER", "MULTI_USER")
_EDITION_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


async def visible_product(conn: AsyncConnection, actor: Actor, product_id: object) -> Product | None:
    canonical = normalized_id(product_id)
    row = await store.product_by_id(conn, canonical) if canonical else None
    if row is None or not actor.can_see_vendor(row["vendor_id"]):
        return None
    return Product.from_row(row)


def catalog_scope(actor: Actor) -> str | None:
    """The vendor whose products the actor may read as a catalog (names, editions: what a buyer
    orders from): a company administrator every vendor's, others as ``vendor_scope``."""
    return None if actor.is_company_admin else actor.vendor_scope()


async def catalog_product(conn: AsyncConnection, actor: Actor, product_id: object) -> Product | None:
    """The product as a catalog entry: ``visible_product``, and for a company administrator
    any product (to order it, and to name it on its company's subscriptions)."""
    if not actor.is_company_admin:
        return await visible_product(conn, actor, product_id)
    canonical = normalized_id(product_id)
    row = await store.product_by_id(conn, canonical) if canonical else None
    return Product.from_row(row) if row else None


async def create_product(
    conn: AsyncConnection, actor: Actor, services: Services, changes: dict[str, Any]
) -> Outcome[Product]:
    vendor_id, errors = await owning_vendor(conn, actor, changes.get("vendorId"))
    if "name" not in changes:
        errors.append(error(INPUT + ("name",), Code.REQUIRED, "name is required."))
    values, field_errors = _checked_fields(changes)
    errors += field_errors
    if errors:
        return Outcome.failed(*errors)
    now = services.clock.now_ms()
    row = {"usage_type": "SINGLE_USER", "editions": [], "integration_id": None} | values | {
        "id": new_id(), "vendor_id": vendor_id, "created_on": now, "last_modified": now}
    await store.insert_product(conn, row)
    return Outcome(Product.from_row(row))


async def update_product(
    conn: AsyncConnection, actor: Actor, services: Services, changes: dict[str, Any]
) -> Outcome[Product]:
    current = await visible_product(conn, actor, changes.get("id"))
    if current is None:
        return Outcome.failed(not_found(INPUT + ("id",), "Product"))
    values, errors = _checked_fields(changes)
    if errors:
        return Outcome.failed(*errors)
    values["last_modified"] = services.clock.now_ms()
    await store.update_product(conn, current.id, values)
    row = await store.product_by_id(conn, current.id)
    return Outcome(Product.from_row(row))


def _checked_fields(changes: dict[str, Any]) -> tuple[dict[str, Any], list[UserError]]:
    values, errors = checked_name(changes, INPUT)
    if changes.get("usageType") is not None:
        values["usage_type"] = changes["usageType"]
    if changes.get("editions") is not None:
        editions, edition_errors = _checked_editions(changes["editions"])
        values["editions"] = editions
        errors += edition_errors
    return values, errors


def _checked_editions(given: list[dict[str, str]]) -> tuple[list[dict[str, str]], list[UserError]]:
    path = INPUT + ("editions",)
    if len(given) > MAX_EDITIONS:
        return [], [error(path, Code.TOO_MANY, f"A product has at most {MAX_EDITIONS} editions.")]
    errors, seen, editions = [], set(), []
    for index, edition in enumerate(given):
        code, name = edition["code"].strip(), edition["name"].strip()
        at = path + (str(index),)
        if not _EDITION_CODE.match(code):
            errors.append(error(at + ("code",), Code.INVALID,
                                "code is 1 to 64 letters, digits, '_', '.' or '-'."))
        elif code in seen:
            errors.append(error(at + ("code",), Code.DUPLICATE, f"Edition code {code} is used twice."))
        if not name or len(name) > MAX_NAME_LENGTH:
            errors.append(error(at + ("name",), Code.REQUIRED if not name else Code.TOO_LONG,
                                f"name is 1 to {MAX_NAME_LENGTH} characters."))
        seen.add(code)
        editions.append({"code": code, "name": name})
    return editions, errors


async def products_linked_to(conn: AsyncConnection, integration_id: str, limit: int) -> list[Product]:
    return [Product.from_row(r) for r in await store.products_linked_to(conn, integration_id, limit)]


async def products_page(
    conn: AsyncConnection, actor: Actor, after: tuple[int, str] | None, limit: int
) -> tuple[list[Product], int]:
    """A page of the products the caller may see, in creation order, and their total count."""
    scope = actor.vendor_scope()
    rows = await store.products_page(conn, scope, after, limit)
    return [Product.from_row(r) for r in rows], await store.count_products(conn, scope)


async def catalog_page(conn: AsyncConnection, actor: Actor, limit: int) -> tuple[list[Product], int]:
    """The first ``limit`` products the actor may order from (``catalog_scope``), in creation
    order, and their total count: the console's order form."""
    scope = catalog_scope(actor)
    rows = await store.products_page(conn, scope, None, limit)
    return [Product.from_row(r) for r in rows], await store.count_products(conn, scope)


async def vendor_products(conn: AsyncConnection, vendor_id: str, limit: int) -> list[Product]:
    """The first ``limit`` products of one vendor, in creation order (the console's link form)."""
    return [Product.from_row(r) for r in await store.products_page(conn, vendor_id, None, limit)]

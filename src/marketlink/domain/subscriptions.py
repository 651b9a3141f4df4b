"""Subscriptions: a company buys an edition of a product; the order becomes an event; later
changes, cancellation and notices become events too.

The subscription starts INITIALIZED; the delivery engine moves it on as the product host
answers (ACTIVE with its accountIdentifier, FAILED, PENDING_REMOTE_CREATION). Each later
command checks the state machine of ``domain/lifecycle.py`` and queues its event, with the
subscription's accountIdentifier and the latest PUBLISHED snapshot of its integration, in the
command's transaction; the status changes only when the host answers (docs/adr/0010).

Administrators do everything; a company administrator (console, ADR 0014) orders for its own
company, changes and cancels its subscriptions (``company_managers_only``), and finds another
company's subscription, company or user not found; the notices stay the administrators'."""

import re
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.domain import event_documents as docs
from marketlink.domain import lifecycle
from marketlink.domain import oidc_clients
from marketlink.domain import saml_idps
from marketlink.domain.actors import Actor
from marketlink.domain.companies import (
    admin_only,
    company_managers_only,
    visible_company,
    visible_user,
)
from marketlink.domain.errors import Code, Outcome, UserError, error, not_found
from marketlink.domain.events import marketplace, record_event
from marketlink.domain.ids import new_id, normalized_id
from marketlink.domain.models import IntegrationVersion, Product, Subscription
from marketlink.domain.products import catalog_product
from marketlink.domain.services import Services
from marketlink.storage import commerce as store
from marketlink.storage import events as event_store
from marketlink.storage import integrations as integration_store

INPUT = ("input",)
INITIALIZED = "INITIALIZED"
PRICING_DURATIONS = ("DAILY", "WEEKLY", "MONTHLY", "QUARTERLY", "SEMI_ANNUAL", "YEARLY",
                     "TWO_YEARS", "THREE_YEARS", "ONE_TIME")
MAX_ITEMS = 50
MAX_CONFIGURATION_ENTRIES = 50
MAX_CONFIGURATION_VALUE = 1024
_UNIT = re.compile(r"^[A-Z][A-Z0-9_]{0,31}$")


async def create_subscription(
    conn: AsyncConnection, actor: Actor, services: Services, changes: dict[str, Any]
) -> Outcome[Subscription]:
    if errors := company_managers_only(actor):
        return Outcome.failed(*errors)
    product, snapshot, errors = await _sellable_product(conn, actor, changes.get("productId"))
    creator, party_errors = await _buyer(conn, actor, changes)
    errors += party_errors + _order_problems(changes, product)
    if errors:
        return Outcome.failed(*errors)
    subscription = _new_subscription(services, changes, product, snapshot)
    await store.insert(conn, store.subscriptions, subscription)
    company = await store.by_id(conn, store.companies, subscription["company_id"])
    market = marketplace(services)
    document = docs.document("SUBSCRIPTION_ORDER", market, creator=docs.person(creator, market), payload={
        "company": docs.company(company),
        "order": docs.order(subscription["edition_code"], subscription["pricing_duration"],
                            subscription["items"]),
        "configuration": subscription["configuration"],
    }, links=await oidc_clients.order_links(conn, services, snapshot, subscription["id"])
        + await saml_idps.order_links(conn, services, snapshot, subscription["id"]))
    await record_event(conn, services, snapshot, document, product_id=product.id,
                       subscription_id=subscription["id"])
    return Outcome(Subscription.from_row(subscription))


async def change_subscription(
    conn: AsyncConnection, actor: Actor, services: Services, changes: dict[str, Any]
) -> Outcome[Subscription]:
    """Queue a SUBSCRIPTION_CHANGE with the new order (fields left out keep their value) for an
    ACTIVE subscription. The subscription takes the new edition, duration and items only when
    the host accepts; until then the payload shows the order in force."""
    if errors := company_managers_only(actor):
        return Outcome.failed(*errors)
    row, projected, errors = await subscription_for_step(conn, actor, changes.get("id"), lifecycle.CHANGE)
    if row is None:
        return Outcome.failed(*errors)
    wanted = _current_order(row) | {k: v for k, v in changes.items() if v is not None}
    errors += _order_problems(wanted, await catalog_product(conn, actor, row["product_id"]))
    if errors:
        return Outcome.failed(*errors)
    order = docs.order(wanted["editionCode"], wanted["pricingDuration"], wanted["items"])
    await _queue_step(conn, services, row, lifecycle.CHANGE, projected, {"order": order})
    return Outcome(Subscription.from_row(row))


async def cancel_subscription(
    conn: AsyncConnection, actor: Actor, services: Services, changes: dict[str, Any]
) -> Outcome[Subscription]:
    """Queue a SUBSCRIPTION_CANCEL (ACTIVE or SUSPENDED). The host's success makes it CANCELLED,
    a 202 PENDING_REMOTE_CANCELLATION, a failure leaves it as it was."""
    return await _step_command(conn, actor, services, changes, lifecycle.CANCEL, company_managers_only)


async def suspend_subscription(
    conn: AsyncConnection, actor: Actor, services: Services, changes: dict[str, Any]
) -> Outcome[Subscription]:
    """Queue the notice DEACTIVATED (ACTIVE); the host's success makes it SUSPENDED."""
    return await _step_command(conn, actor, services, changes, lifecycle.SUSPEND, admin_only)


async def reactivate_subscription(
    conn: AsyncConnection, actor: Actor, services: Services, changes: dict[str, Any]
) -> Outcome[Subscription]:
    """Queue the notice REACTIVATED (SUSPENDED); the host's success makes it ACTIVE."""
    return await _step_command(conn, actor, services, changes, lifecycle.REACTIVATE, admin_only)


async def close_subscription(
    conn: AsyncConnection, actor: Actor, services: Services, changes: dict[str, Any]
) -> Outcome[Subscription]:
    """Queue the notice CLOSED (SUSPENDED or CANCELLED); the host's success makes it CLOSED."""
    return await _step_command(conn, actor, services, changes, lifecycle.CLOSE, admin_only)


async def notify_upcoming_invoice(
    conn: AsyncConnection, actor: Actor, services: Services, changes: dict[str, Any]
) -> Outcome[Subscription]:
    """Queue the notice UPCOMING_INVOICE (ACTIVE); the status does not change."""
    return await _step_command(conn, actor, services, changes, lifecycle.UPCOMING_INVOICE, admin_only)


async def subscription_for_step(
    conn: AsyncConnection, actor: Actor, subscription_id: object, step: lifecycle.Step,
    path: tuple[str, ...] = INPUT + ("id",),
) -> tuple[Mapping[str, Any] | None, str | None, list[UserError]]:
    """The subscription, locked for this transaction, and its projected status (see
    ``lifecycle``); a NOT_FOUND or INVALID_STATE error when ``step`` cannot be taken now.
    A subscription of a company the actor does not manage is NOT_FOUND (callers have let
    only administrators and company administrators through)."""
    canonical = normalized_id(subscription_id)
    row = await store.subscription_for_update(conn, canonical) if canonical else None
    if row is None or not actor.can_manage_company(row["company_id"]):
        return None, None, [not_found(path, "Subscription")]
    projected = await projected_status(conn, row)
    if problem := lifecycle.state_problem(row["status"], projected, step.allowed_from, step.action):
        return row, projected, [error(path, Code.INVALID_STATE, problem)]
    return row, projected, []


async def projected_status(conn: AsyncConnection, row: Mapping[str, Any]) -> str:
    """The subscription's status once every event still queued for it has succeeded."""
    return lifecycle.projected_status(row["status"], await event_store.unresolved_documents(conn, row["id"]))


async def queue_subscription_event(
    conn: AsyncConnection, services: Services, row: Mapping[str, Any], event_type: str,
    payload: dict[str, Any], *, with_creator: bool, assignment_id: str | None = None,
    links: list[dict[str, str]] | None = None,
) -> None:
    """Queue an event of the subscription ``row`` with the latest PUBLISHED snapshot of its
    integration. The creator is the subscription's buyer (API callers are not people)."""
    snapshot = await integration_store.latest_published(conn, row["integration_id"])
    market = marketplace(services)
    creator = docs.person(await store.by_id(conn, store.users, row["creator_id"]), market) \
        if with_creator else None
    document = docs.document(event_type, market, creator=creator, payload=payload, links=links)
    await record_event(conn, services, IntegrationVersion.from_row(snapshot), document,
                       product_id=row["product_id"], subscription_id=row["id"],
                       assignment_id=assignment_id)


async def _step_command(
    conn: AsyncConnection, actor: Actor, services: Services, changes: dict[str, Any],
    step: lifecycle.Step, allowed: Callable[[Actor], list[UserError]],
) -> Outcome[Subscription]:
    if errors := allowed(actor):
        return Outcome.failed(*errors)
    row, projected, errors = await subscription_for_step(conn, actor, changes.get("id"), step)
    if errors:
        return Outcome.failed(*errors)
    await _queue_step(conn, services, row, step, projected, {})
    return Outcome(Subscription.from_row(row))


async def _queue_step(
    conn: AsyncConnection, services: Services, row: Mapping[str, Any], step: lifecycle.Step,
    projected: str, payload: dict[str, Any],
) -> None:
    """Notices, as in the fixtures, have no creator; a change or cancellation has one."""
    parts = payload | {"account": docs.account(row["account_identifier"], step.account_status or projected)}
    if step.notice:
        parts["notice"] = docs.notice(step.notice)
    await queue_subscription_event(conn, services, row, step.event_type, parts,
                                   with_creator=step.notice is None)


def _current_order(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"editionCode": row["edition_code"], "pricingDuration": row["pricing_duration"],
            "items": [dict(i) for i in row["items"]]}


async def visible_subscription(conn: AsyncConnection, actor: Actor, subscription_id: object) -> Subscription | None:
    """Admins see every subscription; a developer those of its vendor's products (read only);
    a company administrator those of its company."""
    canonical = normalized_id(subscription_id)
    row = await store.by_id(conn, store.subscriptions, canonical) if canonical else None
    if row is None or not (actor.can_see_vendor(row["vendor_id"])
                           or actor.can_manage_company(row["company_id"])):
        return None
    return Subscription.from_row(row)


async def subscriptions_page(
    conn: AsyncConnection, actor: Actor, company_id: str | None, after: tuple[int, str] | None, limit: int
) -> list[Subscription]:
    """Oldest first, of ``company_id`` when given: every one for admins, a developer's vendor's,
    a company administrator's company's (another company given: none)."""
    vendor = actor.vendor_scope()
    if actor.is_company_admin:
        if company_id is not None and company_id != actor.company_id:
            return []
        vendor, company_id = None, actor.company_id
    rows = await store.subscriptions_page(conn, vendor, company_id, after, limit)
    return [Subscription.from_row(r) for r in rows]


async def _sellable_product(
    conn: AsyncConnection, actor: Actor, product_id: object
) -> tuple[Product | None, IntegrationVersion | None, list[UserError]]:
    product = await catalog_product(conn, actor, product_id)
    if product is None:
        return None, None, [not_found(INPUT + ("productId",), "Product")]
    row = (await integration_store.latest_published(conn, product.integration_id)
           if product.integration_id else None)
    if row is None:
        return product, None, [error(INPUT + ("productId",), Code.NOT_PUBLISHED,
                                     "This product has no published integration; it cannot be sold yet.")]
    return product, IntegrationVersion.from_row(row), []


async def _buyer(conn: AsyncConnection, actor: Actor, changes: dict[str, Any]) -> tuple[Any, list[UserError]]:
    company = await visible_company(conn, actor, changes.get("companyId"))
    if company is None:
        return None, [not_found(INPUT + ("companyId",), "Company")]
    creator = await visible_user(conn, actor, changes.get("creatorId"))
    if creator is None or creator.company_id != company.id:
        return None, [error(INPUT + ("creatorId",), Code.NOT_FOUND,
                            "creatorId must be a user of the buying company.")]
    return await store.by_id(conn, store.users, creator.id), []


def _order_problems(changes: dict[str, Any], product: Product | None) -> list[UserError]:
    errors: list[UserError] = []
    codes = {e.code for e in product.editions} if product else None
    if codes is not None and changes.get("editionCode") not in codes:
        errors.append(error(INPUT + ("editionCode",), Code.NOT_FOUND,
                            "editionCode is not an edition of this product."))
    if changes.get("pricingDuration") not in PRICING_DURATIONS:
        errors.append(error(INPUT + ("pricingDuration",), Code.INVALID,
                            f"pricingDuration must be one of {', '.join(PRICING_DURATIONS)}."))
    return errors + _item_problems(changes.get("items") or []) + _configuration_problems(
        changes.get("configuration") or {})


def _item_problems(items: list[dict[str, Any]]) -> list[UserError]:
    if len(items) > MAX_ITEMS:
        return [error(INPUT + ("items",), Code.TOO_MANY, f"An order has at most {MAX_ITEMS} items.")]
    return [error(INPUT + ("items", str(i)), Code.INVALID,
                  "unit is 1 to 32 capital letters, digits or '_' and quantity is 0 or more.")
            for i, item in enumerate(items)
            if not _UNIT.match(item["unit"]) or item["quantity"] < 0]


def _configuration_problems(configuration: Any) -> list[UserError]:
    path = INPUT + ("configuration",)
    if not isinstance(configuration, dict):
        return [error(path, Code.INVALID, "configuration is a JSON object of checkout fields.")]
    if len(configuration) > MAX_CONFIGURATION_ENTRIES:
        return [error(path, Code.TOO_MANY, f"configuration has at most {MAX_CONFIGURATION_ENTRIES} fields.")]
    if any(not isinstance(v, str) or len(v) > MAX_CONFIGURATION_VALUE or len(k) > 100
           for k, v in configuration.items()):
        return [error(path, Code.INVALID, "configuration values are strings of at most "
                                          f"{MAX_CONFIGURATION_VALUE} characters.")]
    return []


def _new_subscription(services: Services, changes: dict[str, Any], product: Product,
                      snapshot: IntegrationVersion) -> dict[str, Any]:
    now = services.clock.now_ms()
    return {
        "id": new_id(), "product_id": product.id, "company_id": normalized_id(changes["companyId"]),
        "creator_id": normalized_id(changes["creatorId"]), "vendor_id": product.vendor_id,
        "integration_id": snapshot.integration_id, "edition_code": changes["editionCode"],
        "pricing_duration": changes["pricingDuration"],
        "items": [{"unit": i["unit"], "quantity": i["quantity"]} for i in changes.get("items") or []],
        "configuration": dict(changes.get("configuration") or {}), "status": INITIALIZED,
        "account_identifier": None, "created_on": now, "last_modified": now,
    }

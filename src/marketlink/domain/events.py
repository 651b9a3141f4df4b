"""Events: their types and URLs (SPEC §3 event table), recording one in the transaction of
the change that caused it, and reading the event log."""

from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.crypto import random_client_id
from marketlink.domain.actors import Actor
from marketlink.domain.event_documents import Marketplace
from marketlink.domain.ids import new_id, normalized_id
from marketlink.domain.models import Event, EventAttempt, IntegrationVersion
from marketlink.domain.services import Services
from marketlink.storage import events as store

# Delivery states (docs/adr/0009): QUEUED -> (DELIVERING) -> SUCCEEDED | FAILED | PENDING
QUEUED = "QUEUED"
STATUSES = ("QUEUED", "DELIVERING", "PENDING", "SUCCEEDED", "FAILED")
TOKEN_LENGTH = 32

EVENT_TYPE_URL_FIELD: dict[str, str] = {
    "SUBSCRIPTION_ORDER": "createUrl",
    "SUBSCRIPTION_CHANGE": "upgradeUrl",
    "SUBSCRIPTION_CANCEL": "cancelUrl",
    "SUBSCRIPTION_NOTICE": "notifyUrl",
    "SUBSCRIPTION_STATUS": "eventStatusUrl",
    "USER_ASSIGNMENT": "assignUrl",
    "USER_UNASSIGNMENT": "unassignUrl",
    "USER_UPDATED": "userUpdatedUrl",
    "ADDON_ORDER": "addonNotificationUrl",
    "ADDON_CHANGE": "addonNotificationUrl",
    "ADDON_CANCEL": "addonNotificationUrl",
}
EVENT_TYPES = tuple(EVENT_TYPE_URL_FIELD)


def target_host(version: IntegrationVersion, event_type: str) -> str | None:
    """``host[:port]`` of the URL an event of this type goes to (None: no URL configured)."""
    template = version.urls.get(EVENT_TYPE_URL_FIELD.get(event_type, ""))
    return urlsplit(template).netloc.lower()[:255] if template else None


def marketplace(services: Services) -> Marketplace:
    return Marketplace(services.settings.partner, services.settings.base_url)


async def record_event(
    conn: AsyncConnection, services: Services, version: IntegrationVersion, document: dict[str, Any],
    *, product_id: str | None, subscription_id: str | None = None, assignment_id: str | None = None,
    ping_result_id: str | None = None,
) -> None:
    """Queue ``document`` for delivery with the snapshot ``version``, in the caller's transaction."""
    now = services.clock.now_ms()
    values = {
        "id": new_id(), "token": random_client_id(TOKEN_LENGTH), "type": document["type"],
        "flag": document.get("flag"), "vendor_id": version.vendor_id,
        "integration_id": version.integration_id, "integration_version_id": version.id,
        "product_id": product_id, "subscription_id": subscription_id,
        "assignment_id": assignment_id, "ping_result_id": ping_result_id,
        "target_host": target_host(version, document["type"]), "document": document,
        "status": QUEUED, "attempts": 0,
        "next_attempt_on": now, "created_on": now,
    }
    await store.insert_event(conn, values)
    # Wake this process's worker. On SQLite its claim waits for our write lock, so it sees the
    # event once we commit; on PostgreSQL, NOTIFY at commit is what wakes workers (wakeups.py).
    services.events_queued.notify()


async def visible_event(conn: AsyncConnection, actor: Actor, event_id: object) -> Event | None:
    canonical = normalized_id(event_id)
    row = await store.event_by_id(conn, canonical) if canonical else None
    if row is None or not actor.can_see_vendor(row["vendor_id"]):
        return None
    return Event.from_row(row)


async def events_page(
    conn: AsyncConnection, actor: Actor, filters: dict[str, Any], before_seq: int | None, limit: int
) -> list[Event]:
    """The event log, newest first, restricted to the caller's vendor for developers."""
    filters = filters | {"vendor_id": actor.vendor_scope()}
    return [Event.from_row(r) for r in await store.events_page(conn, filters, before_seq, limit)]


async def events_of_subscription(conn: AsyncConnection, subscription_id: str, limit: int) -> list[Event]:
    """The subscription's newest ``limit`` events (visibility is the subscription's: the caller
    has read it with ``visible_subscription``)."""
    rows = await store.events_page(conn, {"subscription_id": subscription_id}, None, limit)
    return [Event.from_row(r) for r in rows]


async def attempts_of(conn: AsyncConnection, event_id: str) -> list[EventAttempt]:
    return [EventAttempt.from_row(r) for r in await store.attempts_of(conn, event_id)]


async def event_by_token(conn: AsyncConnection, token: str) -> Event | None:
    """The event named by the token of its URL (the product host's handle on it)."""
    if len(token) > 64:
        return None
    row = await store.event_by_token(conn, token)
    return Event.from_row(row) if row else None

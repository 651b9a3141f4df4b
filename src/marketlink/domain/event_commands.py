"""An administrator's hand on the event log: retry a failed event, resolve a pending one."""

from dataclasses import asdict
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.domain import deliveries, event_status
from marketlink.domain.actors import Actor
from marketlink.domain.companies import admin_only
from marketlink.domain.errors import Code, Outcome, error, not_found
from marketlink.domain.events import visible_event
from marketlink.domain.models import Event
from marketlink.domain.services import Services
from marketlink.storage import events as store
from marketlink.storage import outbox

INPUT = ("input",)
KNOWN_ERROR_CODES = (
    "USER_ALREADY_EXISTS", "USER_NOT_FOUND", "ACCOUNT_NOT_FOUND", "MAX_USERS_REACHED",
    "UNAUTHORIZED", "OPERATION_CANCELLED", "CONFIGURATION_ERROR", "INVALID_RESPONSE",
    "PENDING", "FORBIDDEN", "BINDING_NOT_FOUND", "TRANSPORT_ERROR", "UNKNOWN_ERROR",
)


async def retry_event(
    conn: AsyncConnection, actor: Actor, services: Services, changes: dict[str, Any]
) -> Outcome[Event]:
    """Queue a FAILED event again now. Its attempts so far count against the retry schedule,
    so a retry by hand that meets a transport error is not retried again automatically. While a
    newer event of its subscription is in flight, it waits for that one (storage/outbox.py)."""
    if errors := admin_only(actor):
        return Outcome.failed(*errors)
    event = await visible_event(conn, actor, changes.get("id"))
    if event is None:
        return Outcome.failed(not_found(INPUT + ("id",), "Event"))
    if event.status != "FAILED":
        return Outcome.failed(error(INPUT + ("id",), Code.INVALID, "Only a FAILED event can be retried."))
    await outbox.requeue(conn, event.id, services.clock.now_ms())
    return Outcome(Event.from_row(await store.event_by_id(conn, event.id)))


async def resolve_event(
    conn: AsyncConnection, actor: Actor, services: Services, changes: dict[str, Any]
) -> Outcome[Event]:
    """Settle a PENDING event by hand, as if the host had posted this result."""
    if errors := admin_only(actor):
        return Outcome.failed(*errors)
    event = await visible_event(conn, actor, changes.get("id"))
    if event is None:
        return Outcome.failed(not_found(INPUT + ("id",), "Event"))
    code = changes.get("errorCode")
    if code is not None and code not in KNOWN_ERROR_CODES:
        return Outcome.failed(error(INPUT + ("errorCode",), Code.INVALID,
                                    f"errorCode must be one of {', '.join(KNOWN_ERROR_CODES)}."))
    success = bool(changes.get("success"))
    outcome = deliveries.AttemptOutcome(
        "SUCCEEDED" if success else "FAILED", success=success,
        account_identifier=changes.get("accountIdentifier"), user_identifier=changes.get("userIdentifier"),
        error_code=None if success else (code or "UNKNOWN_ERROR"), message=changes.get("message"))
    resolution = await deliveries.resolve_pending(conn, asdict(event), outcome, services.clock.now_ms())
    if resolution.reason != "resolved":
        return Outcome.failed(error(INPUT + ("id",), Code.INVALID, "Only a PENDING event can be resolved."))
    resolved = await store.event_by_id(conn, event.id)
    await event_status.queue_status_event(conn, services, asdict(event), resolved,
                                          event_status.RESOLVED_BY_MARKETPLACE)
    return Outcome(Event.from_row(resolved))

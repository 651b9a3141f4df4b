"""Queries: the event log (events, newest first) and event(id)."""

import base64
import binascii
from enum import Enum

import strawberry

from marketlink.api.context import Info
from marketlink.api.events.types import Event
from marketlink.api.integrations.types import EventType
from marketlink.api.pagination import PageInfo, page_size
from marketlink.domain import events as event_log
from marketlink.domain.ids import normalized_id
from marketlink.errors import QueryInputError

EventStatus = strawberry.enum(Enum("EventStatus", {s: s for s in event_log.STATUSES}))


async def event(info: Info, id: strawberry.ID) -> Event | None:
    async with info.context.db.read() as conn:
        found = await event_log.visible_event(conn, info.context.actor, id)
    return Event(model=found) if found else None


@strawberry.type
class EventConnection:
    nodes: list[Event]
    page_info: PageInfo


async def events(
    info: Info, first: int = 20, after: str | None = None,
    integration_id: strawberry.ID | None = None, product_id: strawberry.ID | None = None,
    subscription_id: strawberry.ID | None = None,
    type: EventType | None = None, status: EventStatus | None = None,  # type: ignore[valid-type]
) -> EventConnection:
    """Events the caller may see (developers: their vendor's), newest first."""
    limit = page_size(first, info.context.services.settings.max_page_size)
    filters = {"integration_id": _id(integration_id), "product_id": _id(product_id),
               "subscription_id": _id(subscription_id),
               "type": type.value if type else None, "status": status.value if status else None}
    async with info.context.db.read() as conn:
        found = await event_log.events_page(conn, info.context.actor, filters, _seq(after), limit + 1)
    page = found[:limit]
    end = base64.urlsafe_b64encode(str(page[-1].seq).encode()).decode() if page else None
    return EventConnection(nodes=[Event(model=e) for e in page],
                           page_info=PageInfo.of(len(found) > limit, end))


def _id(value: strawberry.ID | None) -> str | None:
    """A filter id; one that is not a UUID matches nothing (the nil UUID)."""
    if value is None:
        return None
    return normalized_id(value) or "00000000-0000-0000-0000-000000000000"


def _seq(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        seq = int(base64.urlsafe_b64decode(cursor.encode()).decode())
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise QueryInputError("after is not a cursor returned by this API.") from None
    if not 0 < seq < 2**63:
        raise QueryInputError("after is not a cursor returned by this API.")
    return seq

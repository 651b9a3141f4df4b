"""``/console/events``: the event log, newest first, filtered by a GET form (product,
integration, subscription, type, status, created from/to), a page at a time, with a live
region that the console script refreshes (``/console/events/live``, same query)."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from marketlink.domain import directory
from marketlink.domain import events as event_log
from marketlink.domain.ids import normalized_id
from marketlink.domain.integrations import integrations_page
from marketlink.domain.products import products_page
from marketlink.web.console import event_activity, event_pages
from marketlink.web.console.access import ConsoleUser, console_page, fragment, render
from marketlink.web.console.commands import FormErrors, when

PAGE_SIZE = 50
PICKER_SIZE = 100  # products and integrations offered in the filter form
REFRESH_MS = 2000
NO_MATCH = "00000000-0000-0000-0000-000000000000"  # a filter id that is not a UUID matches nothing
ID_FILTERS = {"product": "product_id", "integration": "integration_id", "subscription": "subscription_id"}
FILTER_NAMES = ("product", "integration", "subscription", "type", "status", "from", "to")


@dataclass
class EventQuery:
    """The filter form as given (``given``, echoed back) and as the domain takes it."""

    given: dict[str, str]
    filters: dict[str, Any]
    before: int | None
    errors: FormErrors = field(default_factory=FormErrors)

    def query_string(self, **extra: object) -> str:
        return urlencode({k: v for k, v in (self.given | extra).items() if v not in ("", None)})


def event_query(params: Mapping[str, str]) -> EventQuery:
    given = {name: params.get(name, "").strip()[:100] for name in FILTER_NAMES}
    query = EventQuery(given, {}, None)
    for name, column in ID_FILTERS.items():
        if given[name]:
            query.filters[column] = normalized_id(given[name]) or NO_MATCH
    for name, allowed in (("type", event_log.EVENT_TYPES), ("status", event_log.STATUSES)):
        if given[name] and given[name] not in allowed:
            query.errors.add(name, f"{name} must be one of {', '.join(allowed)}.")
        query.filters[name] = given[name] or None
    query.filters["created_from"] = _time(query, "from")
    query.filters["created_before"] = _time(query, "to")
    before = params.get("before", "")
    if before.isdigit() and 0 < int(before) < 2**63:
        query.before = int(before)
    return query


def _time(query: EventQuery, name: str) -> int | None:
    """A ``datetime-local`` value read as UTC, in epoch milliseconds."""
    text = query.given[name]
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        query.errors.add(name, f"{'From' if name == 'from' else 'To'} is a date and time such "
                               "as 2025-11-24T16:00 (UTC).")
        return None
    return int(moment.replace(tzinfo=moment.tzinfo or UTC).timestamp() * 1000)


async def _listing(request: Request, user: ConsoleUser, query: EventQuery) -> dict[str, Any]:
    """What the list (page or live fragment) shows: a page of events and their names."""
    found: list[Any] = []
    async with request.app.state.db.read() as conn:
        if not query.errors:
            found = await event_log.events_page(conn, user.actor, query.filters, query.before,
                                                PAGE_SIZE + 1)
        products = await directory.product_names(conn, user.actor, {e.product_id for e in found if e.product_id})
        integrations = await directory.integration_names(conn, user.actor, {e.integration_id for e in found})
    page = found[:PAGE_SIZE]
    older = query.query_string(before=page[-1].seq) if len(found) > PAGE_SIZE else None
    live = None if query.before else "/console/events/live?" + query.query_string()
    return {"events": page, "product_names": products, "integration_names": integrations,
            "older": older, "live_url": live, "refresh_ms": REFRESH_MS, "when": when}


@console_page
async def event_list(request: Request, user: ConsoleUser) -> Response:
    query = event_query(request.query_params)
    listing = await _listing(request, user, query)
    async with request.app.state.db.read() as conn:
        products, _ = await products_page(conn, user.actor, None, PICKER_SIZE)
        integrations, _ = await integrations_page(conn, user.actor, None, PICKER_SIZE)
    chart = await event_activity.chart_for(request, user, query.filters.get("integration_id"))
    return render(request, user, "console/events.html", status_code=400 if query.errors else 200,
                  query=query, errors=query.errors, products=products, integrations=integrations,
                  types=event_log.EVENT_TYPES, statuses=event_log.STATUSES, chart=chart,
                  newest="/console/events?" + query.query_string(), **listing)


@console_page
async def event_list_live(request: Request, user: ConsoleUser) -> Response:
    """The list alone, for the live region (only the newest page refreshes)."""
    query = event_query(request.query_params)
    return fragment("console/events_list.html", **await _listing(request, user, query))


ROUTES = [
    Route("/console/events", event_list, methods=["GET"]),
    Route("/console/events/live", event_list_live, methods=["GET"]),
    *event_pages.ROUTES,
    *event_activity.ROUTES,
]

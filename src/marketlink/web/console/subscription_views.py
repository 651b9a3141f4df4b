"""One subscription's page: its order, its status and events and assignments (the part that
the host's answers change, refreshed while anything is on its way), and for administrators
and its company's administrator the forms that change it, each with its own errors. A company
administrator sees the status of the subscription's events here, not the vendor's event log."""

from collections.abc import Iterable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from marketlink.domain import directory
from marketlink.domain import events as event_log
from marketlink.domain.assignments import assignments_of
from marketlink.domain.models import Subscription
from marketlink.domain.products import catalog_product
from marketlink.domain.subscriptions import PRICING_DURATIONS, visible_subscription
from marketlink.web.console.access import VENDOR_SIDE, ConsoleUser, render
from marketlink.web.console.commands import FormErrors, when

EVENTS_SHOWN = 20
PICKER_SIZE = 100  # users offered in the assign form
REFRESH_MS = 1000
SETTLED_EVENTS = ("SUCCEEDED", "FAILED")
IN_FLIGHT_ASSIGNMENTS = ("ASSIGNING", "UNASSIGNING")
FORMS = ("change", "cancel", "assign", "unassign")


def items_text(items: Iterable[Mapping[str, Any]]) -> str:
    """Order items as the items field shows them: a line ``UNIT QUANTITY`` each."""
    return "\n".join(f"{i['unit']} {i['quantity']}" for i in items)


async def visible(request: Request, user: ConsoleUser) -> Subscription | None:
    async with request.app.state.db.read() as conn:
        return await visible_subscription(conn, user.actor, request.path_params["id"])


async def live_view(request: Request, user: ConsoleUser, subscription: Subscription) -> dict[str, Any]:
    """What the refreshing part of the page shows: status, events, assignments. The status is
    read last: a host's answer changes it with its event in one transaction, so settled events
    are never shown (and the refreshing stopped) next to a status from before them."""
    async with request.app.state.db.read() as conn:
        events = await event_log.events_of_subscription(conn, subscription.id, EVENTS_SHOWN)
        assignments = await assignments_of(conn, subscription.id)
        emails = await directory.user_emails(conn, user.actor, {a.user_id for a in assignments})
        subscription = await visible_subscription(conn, user.actor, subscription.id) or subscription
    settled = all(e.status in SETTLED_EVENTS for e in events) and not any(
        a.status in IN_FLIGHT_ASSIGNMENTS for a in assignments)
    return {"subscription": subscription, "events": events, "assignments": assignments,
            "user_emails": emails, "settled": settled, "when": when,
            "can_change": user.actor.can_manage_company(subscription.company_id),
            "event_log": user.actor.role in VENDOR_SIDE,  # links to the events' pages
            "csrf_token": user.csrf_token, "refresh_ms": REFRESH_MS,
            "live_url": f"/console/subscriptions/{subscription.id}/live"}


async def detail_page(request: Request, user: ConsoleUser, subscription: Subscription,
                      status_code: int = 200, errors: dict[str, FormErrors] | None = None,
                      form: dict[str, str] | None = None) -> Response:
    """The subscription's page; ``errors`` per form (change, cancel, assign, unassign)."""
    async with request.app.state.db.read() as conn:
        product = await catalog_product(conn, user.actor, subscription.product_id)
        companies = await directory.company_names(conn, user.actor, {subscription.company_id})
        creators = await directory.user_emails(conn, user.actor, {subscription.creator_id})
        users, total_users = await directory.users_to_pick(conn, user.actor, subscription.company_id,
                                                           PICKER_SIZE)
    errors = errors or {}
    return render(request, user, "console/subscription.html", status_code=status_code,
                  product=product, company_name=companies.get(subscription.company_id),
                  creator_email=creators.get(subscription.creator_id), company_users=users,
                  more_users=total_users > len(users), durations=PRICING_DURATIONS,
                  errors={name: errors.get(name, FormErrors()) for name in FORMS},
                  form=form or {}, items_text=items_text(subscription.items),
                  **{k: v for k, v in (await live_view(request, user, subscription)).items()
                     if k != "csrf_token"})  # render gives it


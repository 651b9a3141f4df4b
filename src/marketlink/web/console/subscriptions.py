"""``/console/subscriptions``: the subscriptions a console user may see (administrators: all;
a DEVELOPER: those of its vendor's products, read only, as in the API; a COMPANY_ADMIN: those
of its company), a page at a time, and one subscription (``subscription_views``); creating one
(``subscription_new``) and changing it (``subscription_changes``) are the administrators' and
the company administrator's (for its company). The only console pages a COMPANY_ADMIN has."""

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from marketlink.api.pagination import decode_cursor, encode_cursor
from marketlink.domain import directory
from marketlink.domain.companies import company_managers_only
from marketlink.domain.subscriptions import subscriptions_page
from marketlink.errors import QueryInputError
from marketlink.web.console import subscription_changes, subscription_new
from marketlink.web.console.access import (
    EVERY_ROLE,
    ConsoleUser,
    console_page_for,
    fragment,
    not_found,
    render,
)
from marketlink.web.console.commands import when
from marketlink.web.console.subscription_views import detail_page, live_view, visible

PAGE_SIZE = 50


def _after(given: str) -> tuple[int, str] | None:
    try:
        return decode_cursor(given) if given else None
    except QueryInputError:
        return None


@console_page_for(EVERY_ROLE)
async def subscription_list(request: Request, user: ConsoleUser) -> Response:
    after = _after(request.query_params.get("after", "")[:200])
    async with request.app.state.db.read() as conn:
        found = await subscriptions_page(conn, user.actor, None, after, PAGE_SIZE + 1)
        page = found[:PAGE_SIZE]
        products = await directory.product_names(conn, user.actor, {s.product_id for s in page})
        companies = await directory.company_names(conn, user.actor, {s.company_id for s in page})
    older = encode_cursor(page[-1]) if len(found) > PAGE_SIZE else None
    return render(request, user, "console/subscriptions.html", subscriptions=page,
                  product_names=products, company_names=companies, next_cursor=older,
                  paged=after is not None, when=when, may_order=not company_managers_only(user.actor))


@console_page_for(EVERY_ROLE)
async def subscription_page(request: Request, user: ConsoleUser) -> Response:
    subscription = await visible(request, user)
    if subscription is None:
        return not_found(request, user)
    return await detail_page(request, user, subscription)


@console_page_for(EVERY_ROLE)
async def subscription_live(request: Request, user: ConsoleUser) -> Response:
    subscription = await visible(request, user)
    if subscription is None:
        return not_found(request, user)
    return fragment("console/subscription_live.html", **await live_view(request, user, subscription))


ROUTES = [
    Route("/console/subscriptions", subscription_list, methods=["GET"]),
    *subscription_new.ROUTES,
    Route("/console/subscriptions/{id}", subscription_page, methods=["GET"]),
    Route("/console/subscriptions/{id}/live", subscription_live, methods=["GET"]),
    *subscription_changes.ROUTES,
]

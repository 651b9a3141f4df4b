"""``/console/integrations``: the list of the integrations the console user may see, and one
integration's page (its WORKING version, what publishing would change, SSO, credentials,
inbound clients). The forms live in ``integration_edit``, ``integration_sso`` and
``inbound_clients``; their routes are collected here."""

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from marketlink.domain.integrations import integrations_page
from marketlink.domain.vendors import vendor_names
from marketlink.web.console import inbound_clients, integration_edit, integration_sso
from marketlink.web.console.access import ConsoleUser, console_page, not_found, render
from marketlink.web.console.integration_page import detail_page
from marketlink.web.console.integration_views import (
    integration_status,
    ping_badge,
    utc_time,
    working_version,
)

PAGE_SIZE = 100
MAX_VENDORS = 500


@console_page
async def integration_list(request: Request, user: ConsoleUser) -> Response:
    async with request.app.state.db.read() as conn:
        items, total = await integrations_page(conn, user.actor, None, PAGE_SIZE)
        rows = [await integration_status(conn, item) for item in items]
        vendors = await vendor_names(conn, user.actor, MAX_VENDORS)
    return render(request, user, "console/integrations.html", rows=rows, total=total,
                  vendors=vendors, when=utc_time, ping_badge=ping_badge)


@console_page
async def integration_detail(request: Request, user: ConsoleUser) -> Response:
    async with request.app.state.db.read() as conn:
        working = await working_version(conn, user.actor, request.path_params["id"])
        if working is None:
            return not_found(request, user)
        status = await integration_status(conn, working)
    return await detail_page(request, user, status)


ROUTES = [
    Route("/console/integrations", integration_list, methods=["GET"]),
    *integration_edit.ROUTES,  # /new before /{id}
    Route("/console/integrations/{id}", integration_detail, methods=["GET"]),
    *integration_sso.ROUTES,
    *inbound_clients.ROUTES,
]

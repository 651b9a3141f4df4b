"""The console's routes: each area of the console lists its own in its module's ``ROUTES``."""

from starlette.responses import RedirectResponse, Response
from starlette.requests import Request
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from marketlink.web.console import integrations
from marketlink.web.console import events, subscriptions
from marketlink.web.console import ping_tests, product_links, publishing
from marketlink.web.console.access import EVERY_ROLE, ConsoleUser, console_page_for


@console_page_for(EVERY_ROLE)
async def console_home(_: Request, user: ConsoleUser) -> Response:
    """The first area of the user's console (a company administrator's: its subscriptions)."""
    return RedirectResponse(user.home, status_code=303)


def console_routes() -> list[BaseRoute]:
    areas: list[BaseRoute] = [
        *integrations.ROUTES,
        *events.ROUTES,
        *subscriptions.ROUTES,
        *ping_tests.ROUTES,
        *publishing.ROUTES,
        *product_links.ROUTES,
    ]
    return [
        Route("/console", console_home, methods=["GET"]),
        Mount("/console/static", StaticFiles(packages=[("marketlink.web", "static")]),
              name="console_static"),
        *areas,
    ]

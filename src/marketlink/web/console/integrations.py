"""``/console/integrations``: the integrations the console user may see."""

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from marketlink.domain.integrations import integrations_page
from marketlink.web.console.access import ConsoleUser, console_page, render

PAGE_SIZE = 100


@console_page
async def integration_list(request: Request, user: ConsoleUser) -> Response:
    async with request.app.state.db.read() as conn:
        items, total = await integrations_page(conn, user.actor, None, PAGE_SIZE)
    return render(request, user, "console/integrations.html", items=items, total=total)


ROUTES = [
    Route("/console/integrations", integration_list, methods=["GET"]),
]

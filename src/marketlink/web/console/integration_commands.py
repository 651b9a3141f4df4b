"""The integration pages' side of the console's read-only rule (an integration linked to two or
more products is read-only here, ``domain.integrations.read_only_in_console``): the 409 page,
and finding the WORKING version a form may change. Commands run through
``web/console/commands.run_command``, which checks the rule again in the write transaction."""

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from marketlink.domain import integrations
from marketlink.domain.errors import Outcome
from marketlink.domain.models import IntegrationVersion
from marketlink.web.console.access import ConsoleUser, not_found, render
from marketlink.web.console.commands import READ_ONLY
from marketlink.web.console.integration_views import working_version


def refused_as_read_only(outcome: Outcome[Any]) -> bool:
    return READ_ONLY in outcome.errors


async def read_only_page(request: Request, user: ConsoleUser, working: IntegrationVersion) -> Response:
    """409: the console does not change this integration, and says why."""
    async with request.app.state.db.read() as conn:
        count = await integrations.linked_product_count(conn, working.integration_id)
    return render(request, user, "console/integration_read_only.html", status_code=409,
                  integration=working, linked_count=count)


async def editable_integration(request: Request, user: ConsoleUser) -> IntegrationVersion | Response:
    """The WORKING version named by the path's ``id`` that the console may change, or the
    answer instead: 404 (unknown, a snapshot, another vendor's) or 409 (read-only)."""
    async with request.app.state.db.read() as conn:
        working = await working_version(conn, user.actor, request.path_params["id"])
        if working is None:
            return not_found(request, user)
        read_only = await integrations.read_only_in_console(conn, working.integration_id)
    if read_only:
        return await read_only_page(request, user, working)
    return working

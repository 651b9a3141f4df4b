"""``POST /console/integrations/{id}/inbound-clients`` (generate) and
``POST .../inbound-clients/{client}/revoke``: the commands of
``generateProductIntegrationInboundClient`` and ``revokeProductIntegrationInboundClient``.

A new client's secret is on the answer to the generating POST and nowhere else: that page is
not a redirect target, never cached (``Cache-Control: no-store`` on every console page), and no
other page can show the secret again, since only its keyed hash is stored."""

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from marketlink.domain.errors import Outcome
from marketlink.domain.inbound_clients import generate_client, revoke_client
from marketlink.domain.models import IntegrationVersion
from marketlink.web.console.access import ConsoleUser, console_page, render
from marketlink.web.console.commands import run_command
from marketlink.web.console.integration_commands import (
    editable_integration,
    read_only_page,
    refused_as_read_only,
)
from marketlink.web.console.integration_page import detail_page
from marketlink.web.console.integration_views import integration_status, utc_time


@console_page
async def generate(request: Request, user: ConsoleUser) -> Response:
    working = await editable_integration(request, user)
    if isinstance(working, Response):
        return working
    outcome = await run_command(request, user, generate_client, {"id": working.id},
                                        working.integration_id)
    if outcome.errors:
        return await _refused(request, user, working, outcome)
    return render(request, user, "console/inbound_client_created.html", integration=working,
                  issued=outcome.value, when=utc_time)


@console_page
async def revoke(request: Request, user: ConsoleUser) -> Response:
    working = await editable_integration(request, user)
    if isinstance(working, Response):
        return working
    changes = {"id": working.id, "clientId": request.path_params["client"]}
    outcome = await run_command(request, user, revoke_client, changes, working.integration_id)
    if outcome.errors:
        return await _refused(request, user, working, outcome)
    return RedirectResponse(f"/console/integrations/{working.id}#inbound-clients", status_code=303)


async def _refused(request: Request, user: ConsoleUser, working: IntegrationVersion,
                   outcome: Outcome[object]) -> Response:
    """409 with the read-only notice, or the integration's page saying what went wrong."""
    if refused_as_read_only(outcome):
        return await read_only_page(request, user, working)
    async with request.app.state.db.read() as conn:
        status = await integration_status(conn, working)
    return await detail_page(request, user, status, [e.message for e in outcome.errors],
                             status_code=409)


ROUTES = [
    Route("/console/integrations/{id}/inbound-clients", generate, methods=["POST"]),
    Route("/console/integrations/{id}/inbound-clients/{client}/revoke", revoke, methods=["POST"]),
]

"""One integration's page, shown by its GET and re-shown by a button that did nothing."""

from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import Response

from marketlink.domain import inbound_clients as clients
from marketlink.domain.sso import validation_errors
from marketlink.domain.vendors import vendor_name
from marketlink.domain.version_diff import changes_since
from marketlink.web.console.access import ConsoleUser, render
from marketlink.web.console.integration_forms import URL_LABELS
from marketlink.web.console.integration_views import (
    IntegrationStatus,
    credential_rows,
    ping_badge,
    utc_time,
)
from marketlink.web.console.sso_forms import KIND_LABELS as SSO_KIND_LABELS
from marketlink.web.console.sso_forms import shown_rows

async def detail_page(request: Request, user: ConsoleUser, status: IntegrationStatus,
                      problems: Sequence[str] = (), status_code: int = 200) -> Response:
    """The integration's page; ``problems``: why the last button did nothing."""
    working = status.working
    async with request.app.state.db.read() as conn:
        inbound = await clients.clients_of(conn, working.integration_id)
        vendor = await vendor_name(conn, working.vendor_id) if user.is_admin else None
    sso = working.sso
    return render(
        request, user, "console/integration.html", status_code=status_code,
        s=status, integration=working, problems=list(problems), url_labels=URL_LABELS,
        credentials=credential_rows(working), vendor=vendor,
        sso_kind=SSO_KIND_LABELS[sso.kind] if sso else None,
        sso_rows=shown_rows(sso.kind, sso.fields) if sso else [],
        sso_problems=validation_errors(sso), clients=inbound,
        changes=changes_since(status.published, working), when=utc_time, ping_badge=ping_badge,
    )

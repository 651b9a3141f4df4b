"""``/console/integrations/new`` and ``/console/integrations/{id}/edit``: the integration form,
posted to the same domain commands as ``createProductIntegration`` and
``updateProductIntegration`` (same validation, same messages; nothing written on an error)."""

from collections.abc import Mapping, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from marketlink.domain.credentials import KINDS
from marketlink.domain.errors import Outcome, UserError
from marketlink.domain.integrations import create_integration, update_integration
from marketlink.domain.commands import Command
from marketlink.domain.models import IntegrationVersion
from marketlink.domain.vendors import vendor_names
from marketlink.web.console.access import ConsoleUser, console_page, render
from marketlink.web.console.commands import run_command
from marketlink.web.console.integration_commands import (
    editable_integration,
    read_only_page,
    refused_as_read_only,
)
from marketlink.web.console.integration_forms import (
    CREDENTIAL_LABELS,
    DELIVERY_MODES,
    INTERACTIVE_LABELS,
    KIND_LABELS,
    URL_LABELS,
    credential_fields,
    errors_by_field,
    form_problems,
    form_values,
    integration_changes,
    integration_form_fields,
    is_secret,
)

MAX_VENDORS = 500
FIELDS = integration_form_fields()


@console_page
async def new_integration(request: Request, user: ConsoleUser) -> Response:
    if request.method == "GET":
        return await form_page(request, user, None, {"deliveryMode": DELIVERY_MODES[0]})
    changes = integration_changes(user.form, creating=True)
    outcome = await _checked(request, user, create_integration, changes, None)
    if outcome.errors:
        return await form_page(request, user, None, user.form, outcome.errors)
    return RedirectResponse(f"/console/integrations/{outcome.value.id}", status_code=303)


@console_page
async def edit_integration(request: Request, user: ConsoleUser) -> Response:
    working = await editable_integration(request, user)
    if isinstance(working, Response):
        return working
    if request.method == "GET":
        return await form_page(request, user, working, form_values(working))
    changes = integration_changes(user.form, creating=False) | {"id": working.id}
    outcome = await _checked(request, user, update_integration, changes, working.integration_id)
    if refused_as_read_only(outcome):
        return await read_only_page(request, user, working)
    if outcome.errors:
        return await form_page(request, user, working, user.form, outcome.errors)
    return RedirectResponse(f"/console/integrations/{working.id}", status_code=303)


async def _checked(request: Request, user: ConsoleUser, command: Command[IntegrationVersion],
                   changes: dict[str, Any], integration_id: str | None) -> Outcome[IntegrationVersion]:
    """The form's own problems, else the domain command's outcome."""
    if problems := form_problems(changes):
        return Outcome.failed(*problems)
    return await run_command(request, user, command, changes, integration_id)


async def form_page(request: Request, user: ConsoleUser, working: IntegrationVersion | None,
                    values: Mapping[str, str], errors: Sequence[UserError] = ()) -> Response:
    """The form with ``values`` (never a secret) and each error next to its field."""
    field_errors, general = errors_by_field(errors, FIELDS)
    vendors = {}
    if working is None and user.is_admin:
        async with request.app.state.db.read() as conn:
            vendors = await vendor_names(conn, user.actor, MAX_VENDORS)
    return render(
        request, user, "console/integration_form.html", status_code=400 if errors else 200,
        integration=working, vendors=vendors, errors=field_errors, general_errors=general,
        values={k: v for k, v in values.items() if not is_secret(k.rpartition(".")[2])},
        url_labels=URL_LABELS, interactive_labels=INTERACTIVE_LABELS,
        delivery_modes=DELIVERY_MODES, credential_kinds=KIND_LABELS,
        credential_fields={kind: credential_fields(kind) for kind in KINDS},
        credential_labels=CREDENTIAL_LABELS, is_secret=is_secret,
        stored_secret=bool(working and working.credentials and working.credentials.has_secret),
    )


ROUTES = [
    Route("/console/integrations/new", new_integration, methods=["GET", "POST"]),
    Route("/console/integrations/{id}/edit", edit_integration, methods=["GET", "POST"]),
]

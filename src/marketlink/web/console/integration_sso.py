"""``/console/integrations/{id}/sso``: add, change or remove the integration's SSO configuration
(Bookmark, OpenID Connect, SAML) through the domain commands of the ``...SsoConfiguration``
mutations. Saving another kind than the stored one replaces it: removal and addition in one
transaction, so a refused addition leaves the old configuration in place."""

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from marketlink.domain.actors import Actor
from marketlink.domain.errors import Outcome, UserError
from marketlink.domain.models import IntegrationVersion
from marketlink.domain.services import Services
from marketlink.domain.sso_configurations import (
    ID_FIELD,
    add_configuration,
    remove_configuration,
    update_configuration,
)
from marketlink.web.console import sso_forms
from marketlink.web.console.access import ConsoleUser, console_page, render
from marketlink.web.console.commands import run_command
from marketlink.web.console.integration_commands import (
    editable_integration,
    read_only_page,
    refused_as_read_only,
)
from marketlink.web.console.integration_forms import errors_by_field


async def save_configuration(
    conn: AsyncConnection, actor: Actor, services: Services, changes: dict[str, Any], *,
    kind: str, stored_kind: str | None,
) -> Outcome[IntegrationVersion]:
    """Add, update, or replace (another kind) the configuration as one command."""
    if stored_kind is None:
        return await add_configuration(conn, actor, services, changes, kind=kind)
    if stored_kind == kind:
        return await update_configuration(conn, actor, services, changes, kind=kind)
    removed = await remove_configuration(conn, actor, services, {ID_FIELD: changes[ID_FIELD]})
    if removed.errors:
        return removed
    return await add_configuration(conn, actor, services, changes, kind=kind)


@console_page
async def sso_page(request: Request, user: ConsoleUser) -> Response:
    working = await editable_integration(request, user)
    if isinstance(working, Response):
        return working
    if request.method == "GET":
        return _shown(request, user, working)
    return await _saved(request, user, working)


def _shown(request: Request, user: ConsoleUser, working: IntegrationVersion) -> Response:
    """The form of the kind asked for (``?kind=``), else of the stored kind, else the choice."""
    kind = request.query_params.get("kind") or (working.sso.kind if working.sso else None)
    if kind not in sso_forms.KINDS:
        return _form(request, user, working, None, {})
    stored = working.sso.fields if working.sso and working.sso.kind == kind else None
    return _form(request, user, working, kind, sso_forms.form_values(kind, stored))


async def _saved(request: Request, user: ConsoleUser, working: IntegrationVersion) -> Response:
    kind = user.form.get("kind", "")
    if kind not in sso_forms.KINDS:
        return _form(request, user, working, None, {}, status_code=400)
    changes, problems = sso_forms.sso_changes(kind, user.form)
    outcome: Outcome[IntegrationVersion] = Outcome.failed(*problems)
    if not problems:
        command = partial(save_configuration, kind=kind,
                          stored_kind=working.sso.kind if working.sso else None)
        outcome = await run_command(request, user, command, changes | {ID_FIELD: working.id},
                                            working.integration_id)
    if refused_as_read_only(outcome):
        return await read_only_page(request, user, working)
    if outcome.errors:
        return _form(request, user, working, kind, user.form, outcome.errors, status_code=400)
    return RedirectResponse(f"/console/integrations/{working.id}#sso", status_code=303)


@console_page
async def remove_sso(request: Request, user: ConsoleUser) -> Response:
    working = await editable_integration(request, user)
    if isinstance(working, Response):
        return working
    outcome = await run_command(request, user, remove_configuration,
                                        {ID_FIELD: working.id}, working.integration_id)
    if refused_as_read_only(outcome):
        return await read_only_page(request, user, working)
    if outcome.errors:
        return _form(request, user, working, None, {}, outcome.errors, status_code=400)
    return RedirectResponse(f"/console/integrations/{working.id}#sso", status_code=303)


def _form(request: Request, user: ConsoleUser, working: IntegrationVersion, kind: str | None,
          values: Mapping[str, str], errors: Sequence[UserError] = (), status_code: int = 200) -> Response:
    """The kind's form (or, without a kind, the choice of one), each error by its field."""
    names = sso_forms.form_field_names(kind) if kind else []
    field_errors, general = errors_by_field(errors, names)
    return render(
        request, user, "console/integration_sso.html", status_code=status_code,
        integration=working, kind=kind, kinds=sso_forms.KIND_LABELS,
        specs=sso_forms.fields_of(kind) if kind else (), labels=sso_forms.LABELS,
        hints=sso_forms.HINTS, values=dict(values), errors=field_errors, general_errors=general,
    )


ROUTES = [
    Route("/console/integrations/{id}/sso", sso_page, methods=["GET", "POST"]),
    Route("/console/integrations/{id}/sso/remove", remove_sso, methods=["POST"]),
]

"""``/console/events/{id}``: one event (its document, its attempts, its result) with a live
part that refreshes until the event is settled, and the administrators' hand on it: retry a
FAILED event, resolve a PENDING one (``domain/event_commands.py``, as retryEvent and
resolveEvent do; a DEVELOPER is refused with 403 whatever the event, as the API refuses it
with NOT_ALLOWED before looking the event up)."""

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from marketlink.domain import directory
from marketlink.domain import events as event_log
from marketlink.domain.errors import Code
from marketlink.domain.event_commands import KNOWN_ERROR_CODES, resolve_event, retry_event
from marketlink.domain.models import Event
from marketlink.web.console.access import ConsoleUser, console_page, fragment, not_found, render
from marketlink.web.console.commands import FormErrors, form_errors, refused, run_command, when

REFRESH_MS = 1000
SETTLED = ("SUCCEEDED", "FAILED")
RESOLVE_FIELDS = {"success": "outcome", "accountIdentifier": "accountIdentifier",
                  "userIdentifier": "userIdentifier", "errorCode": "errorCode", "message": "message"}


async def _event_view(request: Request, user: ConsoleUser, event: Event) -> dict[str, Any]:
    """What the event's page and its live part show."""
    async with request.app.state.db.read() as conn:
        attempts = await event_log.attempts_of(conn, event.id)
        products = await directory.product_names(conn, user.actor, {event.product_id} - {None})
        integrations = await directory.integration_names(conn, user.actor, {event.integration_id})
    return {"event": event, "attempts": attempts, "when": when, "is_admin": user.is_admin,
            "csrf_token": user.csrf_token, "error_codes": KNOWN_ERROR_CODES,
            "live_url": f"/console/events/{event.id}/live", "refresh_ms": REFRESH_MS,
            "settled": event.status in SETTLED,
            "product_name": products.get(event.product_id or ""),
            "integration_name": integrations.get(event.integration_id)}


async def _visible(request: Request, user: ConsoleUser) -> Event | None:
    async with request.app.state.db.read() as conn:
        return await event_log.visible_event(conn, user.actor, request.path_params["id"])


def _event_page(request: Request, user: ConsoleUser, view: dict[str, Any], status_code: int = 200,
                errors: FormErrors | None = None, form: dict[str, str] | None = None) -> Response:
    return render(request, user, "console/event.html", status_code=status_code,
                  document=json.dumps(view["event"].document, indent=2, ensure_ascii=False),
                  errors=errors or FormErrors(), form=form or {},
                  **{k: v for k, v in view.items() if k != "csrf_token"})  # render gives it


@console_page
async def event_page(request: Request, user: ConsoleUser) -> Response:
    event = await _visible(request, user)
    if event is None:
        return not_found(request, user)
    return _event_page(request, user, await _event_view(request, user, event))


@console_page
async def event_live(request: Request, user: ConsoleUser) -> Response:
    event = await _visible(request, user)
    if event is None:
        return not_found(request, user)
    view = await _event_view(request, user, event)
    return fragment("console/event_live.html", errors=FormErrors(), form={}, **view)


@console_page
async def event_retry(request: Request, user: ConsoleUser) -> Response:
    outcome = await run_command(request, user, retry_event, {"id": request.path_params["id"]})
    return await _answer(request, user, outcome, {})


@console_page
async def event_resolve(request: Request, user: ConsoleUser) -> Response:
    form = user.form
    changes: dict[str, Any] = {"id": request.path_params["id"]}
    for name in ("accountIdentifier", "userIdentifier", "errorCode", "message"):
        if form.get(name, "").strip():
            changes[name] = form[name].strip()
    if form.get("outcome") not in ("success", "failure"):
        if not user.is_admin:  # the API's rule comes first: a developer may not resolve at all
            return await _answer(request, user, await run_command(request, user, resolve_event, changes), form)
        return await _refused_form(request, user, "outcome", "Choose whether the event succeeded or failed.", form)
    changes["success"] = form["outcome"] == "success"
    return await _answer(request, user, await run_command(request, user, resolve_event, changes), form)


async def _answer(request: Request, user: ConsoleUser, outcome: Any, form: dict[str, str]) -> Response:
    """303 to the event's page after a change; else the refusal, nothing written."""
    if not outcome.errors:
        return RedirectResponse(f"/console/events/{outcome.value.id}", status_code=303)
    if refused(outcome, Code.NOT_ALLOWED):
        return render(request, user, "console/event_refused.html", status_code=403,
                      message=outcome.errors[0].message)
    event = await _visible(request, user)
    if event is None or refused(outcome, Code.NOT_FOUND):
        return not_found(request, user)
    view = await _event_view(request, user, event)
    return _event_page(request, user, view, 400, form_errors(outcome.errors, RESOLVE_FIELDS), form)


async def _refused_form(request: Request, user: ConsoleUser, name: str, message: str,
                        form: dict[str, str]) -> Response:
    event = await _visible(request, user)
    if event is None:
        return not_found(request, user)
    errors = FormErrors()
    errors.add(name, message)
    return _event_page(request, user, await _event_view(request, user, event), 400, errors, form)


ROUTES = [
    Route("/console/events/{id}", event_page, methods=["GET"]),
    Route("/console/events/{id}/live", event_live, methods=["GET"]),
    Route("/console/events/{id}/retry", event_retry, methods=["POST"]),
    Route("/console/events/{id}/resolve", event_resolve, methods=["POST"]),
]

"""The forms on a subscription's page: change the order, cancel, assign and unassign a user
of the company (changeSubscription, cancelSubscription, assignUser, unassignUser: the same
domain commands and messages), for administrators and the company's administrator. Each
queues its event; the status follows when the product host answers. A DEVELOPER is refused
with 403 (NOT_ALLOWED); another company's subscription is 404 for a company administrator."""

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from marketlink.domain.assignments import assign_user, unassign_user
from marketlink.domain.companies import company_managers_only
from marketlink.domain.errors import Code, Outcome
from marketlink.domain.subscriptions import cancel_subscription, change_subscription
from marketlink.web.console.access import EVERY_ROLE, ConsoleUser, console_page_for, not_found, render
from marketlink.web.console.commands import FormErrors, form_errors, refused, run_command
from marketlink.web.console.subscription_new import parsed_items
from marketlink.web.console.subscription_views import detail_page, visible

FIELDS = {"editionCode": "editionCode", "pricingDuration": "pricingDuration", "items": "items",
          "userId": "userId"}
THE_SUBSCRIPTION = ("id", "subscriptionId")  # a NOT_FOUND there: the page itself is missing


async def _answer(request: Request, user: ConsoleUser, form_name: str, outcome: Outcome[Any]) -> Response:
    """303 back to the page after the change; else the refusal (nothing was written)."""
    subscription_id = request.path_params["id"]
    if not outcome.errors:
        return RedirectResponse(f"/console/subscriptions/{subscription_id}", status_code=303)
    if refused(outcome, Code.NOT_ALLOWED):
        return render(request, user, "console/event_refused.html", status_code=403,
                      message=outcome.errors[0].message)
    subscription = await visible(request, user)
    if subscription is None or any(e.code is Code.NOT_FOUND and e.path[1:] and e.path[1] in THE_SUBSCRIPTION
                                   for e in outcome.errors):
        return not_found(request, user)
    return await detail_page(request, user, subscription, 400,
                             {form_name: form_errors(outcome.errors, FIELDS)}, user.form)


@console_page_for(EVERY_ROLE)
async def change(request: Request, user: ConsoleUser) -> Response:
    errors = FormErrors()
    changes = {"id": request.path_params["id"], "editionCode": user.form.get("editionCode", ""),
               "pricingDuration": user.form.get("pricingDuration", ""),
               "items": parsed_items(user.form.get("items", ""), errors)}
    if errors and not company_managers_only(user.actor):  # else the command's refusal
        subscription = await visible(request, user)
        if subscription is None:
            return not_found(request, user)
        return await detail_page(request, user, subscription, 400, {"change": errors}, user.form)
    return await _answer(request, user, "change", await run_command(request, user, change_subscription, changes))


@console_page_for(EVERY_ROLE)
async def cancel(request: Request, user: ConsoleUser) -> Response:
    outcome = await run_command(request, user, cancel_subscription, {"id": request.path_params["id"]})
    return await _answer(request, user, "cancel", outcome)


@console_page_for(EVERY_ROLE)
async def assign(request: Request, user: ConsoleUser) -> Response:
    changes = {"subscriptionId": request.path_params["id"], "userId": user.form.get("userId", "")}
    return await _answer(request, user, "assign", await run_command(request, user, assign_user, changes))


@console_page_for(EVERY_ROLE)
async def unassign(request: Request, user: ConsoleUser) -> Response:
    changes = {"subscriptionId": request.path_params["id"], "userId": user.form.get("userId", "")}
    return await _answer(request, user, "unassign", await run_command(request, user, unassign_user, changes))


ROUTES = [
    Route("/console/subscriptions/{id}/change", change, methods=["POST"]),
    Route("/console/subscriptions/{id}/cancel", cancel, methods=["POST"]),
    Route("/console/subscriptions/{id}/assign", assign, methods=["POST"]),
    Route("/console/subscriptions/{id}/unassign", unassign, methods=["POST"]),
]

"""``/console/subscriptions/new``: an administrator orders an edition for a company, as
createSubscription does (same domain command, same messages). First the company (a GET form,
so that the buyer can be picked among its users without script), then the order. A company
administrator skips the first step: the company is its own."""

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from marketlink.domain import directory
from marketlink.domain.companies import company_managers_only, visible_company
from marketlink.domain.products import catalog_page
from marketlink.domain.subscriptions import PRICING_DURATIONS, create_subscription
from marketlink.web.console.access import EVERY_ROLE, ConsoleUser, console_page_for, render
from marketlink.web.console.commands import FormErrors, form_errors, run_command

PICKER_SIZE = 100  # companies, users and products offered
MAX_QUANTITY = 2**31 - 1  # the API's Int
ITEMS_HELP = "Each line is a unit and a quantity, such as USER 10."
FIELDS = {"productId": "offer", "editionCode": "offer", "companyId": "companyId",
          "creatorId": "creatorId", "pricingDuration": "pricingDuration", "items": "items"}


def parsed_items(text: str, errors: FormErrors) -> list[dict[str, Any]]:
    """The items field (a line ``UNIT QUANTITY`` each); a mistake goes to ``errors``."""
    items = []
    for line in text.splitlines():
        if not line.strip():
            continue
        words = line.split()
        if len(words) != 2 or not words[1].isdigit() or int(words[1]) > MAX_QUANTITY:
            errors.add("items", ITEMS_HELP)
            return []
        items.append({"unit": words[0], "quantity": int(words[1])})
    return items


def refusal(request: Request, user: ConsoleUser) -> Response | None:
    """403 for whoever may not order (the domain's own rule and message)."""
    if errors := company_managers_only(user.actor):
        return render(request, user, "console/event_refused.html", status_code=403,
                      message=errors[0].message)
    return None


async def _order_page(request: Request, user: ConsoleUser, company_id: str, form: dict[str, str],
                      errors: FormErrors, status_code: int = 200) -> Response:
    async with request.app.state.db.read() as conn:
        company = await visible_company(conn, user.actor, company_id)
        companies, total_companies = await directory.companies_to_pick(conn, user.actor, PICKER_SIZE)
        users, total_users = (await directory.users_to_pick(conn, user.actor, company.id, PICKER_SIZE)
                              if company else ([], 0))
        products, total_products = await catalog_page(conn, user.actor, PICKER_SIZE)
    if company_id and company is None:
        errors.add("companyId", "Company not found.")
        status_code = 400
    return render(request, user, "console/subscription_new.html", status_code=status_code,
                  company=company, companies=companies, more_companies=total_companies > len(companies),
                  users=users, more_users=total_users > len(users), products=products,
                  more_products=total_products > len(products), durations=PRICING_DURATIONS,
                  form=form, errors=errors, items_help=ITEMS_HELP, pick_company=user.is_admin)


@console_page_for(EVERY_ROLE)
async def new_subscription_form(request: Request, user: ConsoleUser) -> Response:
    if refused := refusal(request, user):
        return refused
    company_id = request.query_params.get("companyId", "")[:100] or (user.actor.company_id or "")
    buyer = {"creatorId": user.signed.user.id}  # preselected when the user is of the company
    return await _order_page(request, user, company_id, buyer, FormErrors())


@console_page_for(EVERY_ROLE)
async def new_subscription(request: Request, user: ConsoleUser) -> Response:
    if refused := refusal(request, user):
        return refused
    form = user.form
    errors = FormErrors()
    product_id, _, edition = form.get("offer", "").partition(" ")
    changes = {"productId": product_id, "editionCode": edition, "companyId": form.get("companyId", ""),
               "creatorId": form.get("creatorId", ""), "pricingDuration": form.get("pricingDuration", ""),
               "items": parsed_items(form.get("items", ""), errors)}
    if not errors:
        outcome = await run_command(request, user, create_subscription, changes)
        if not outcome.errors:
            return RedirectResponse(f"/console/subscriptions/{outcome.value.id}", status_code=303)
        errors = form_errors(outcome.errors, FIELDS)
    return await _order_page(request, user, changes["companyId"], form, errors, 400)


ROUTES = [
    Route("/console/subscriptions/new", new_subscription_form, methods=["GET"]),
    Route("/console/subscriptions/new", new_subscription, methods=["POST"]),
]

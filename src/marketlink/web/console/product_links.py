"""``/console/integrations/{id}/products``: the products linked to an integration, linking
another of the vendor's products, unlinking one (SPEC §2 "Versions and links").

Linking a second product makes the integration read-only in the console: from then on the page
says why, offers no link or unlink, and refuses those POSTs with 409 (nothing written).
"""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from marketlink.domain.errors import Code, Outcome, error
from marketlink.domain.integrations import CONSOLE_READ_ONLY_AT, read_only_in_console
from marketlink.domain.models import IntegrationVersion, Product
from marketlink.domain.products import products_linked_to, vendor_products, visible_product
from marketlink.domain.publishing import link_product, unlink_product
from marketlink.web.console.access import ConsoleUser, console_page, not_found, render
from marketlink.web.console.commands import run_in_transaction
from marketlink.web.console.integration_views import working_of_path
from marketlink.web.console.read_only import (
    READ_ONLY,
    READ_ONLY_REASON,
    READ_ONLY_STATUS,
)

PRODUCTS_SHOWN = 200
NOT_LINKED_HERE = error(("productId",), Code.NOT_FOUND, "Product not found.")


@dataclass(frozen=True)
class ProductsView:
    working: IntegrationVersion
    linked: list[Product]
    candidates: list[Product]  # the vendor's products not linked to this integration
    read_only: bool

    @property
    def link_makes_read_only(self) -> bool:
        return len(self.linked) + 1 >= CONSOLE_READ_ONLY_AT


async def products_view(conn: AsyncConnection, working: IntegrationVersion) -> ProductsView:
    linked = await products_linked_to(conn, working.integration_id, PRODUCTS_SHOWN)
    mine = await vendor_products(conn, working.vendor_id, PRODUCTS_SHOWN)
    candidates = [p for p in mine if p.integration_id != working.integration_id]
    return ProductsView(working, linked, candidates,
                        await read_only_in_console(conn, working.integration_id))


async def _page(request: Request, user: ConsoleUser, working: IntegrationVersion,
                errors: list[str] | None = None, status_code: int = 200) -> Response:
    async with request.app.state.db.read() as conn:
        view = await products_view(conn, working)
    return render(request, user, "console/products.html", status_code=status_code, view=view,
                  errors=errors or [], read_only_reason=READ_ONLY_REASON)


async def _refused(request: Request, user: ConsoleUser, working: IntegrationVersion,
                   outcome: Outcome[Product]) -> Response:
    """The page again with the errors: 409 when read-only, 400 for the domain's user errors."""
    status = READ_ONLY_STATUS if READ_ONLY in outcome.errors else 400
    return await _page(request, user, working, [e.message for e in outcome.errors], status)


@console_page
async def products_page(request: Request, user: ConsoleUser) -> Response:
    working = await working_of_path(request, user.actor)
    if working is None:
        return not_found(request, user)
    return await _page(request, user, working)


@console_page
async def link(request: Request, user: ConsoleUser) -> Response:
    working = await working_of_path(request, user.actor)
    if working is None:
        return not_found(request, user)
    services = request.app.state.services
    changes = {"productId": user.form.get("productId", ""), "integrationId": working.id}
    outcome = await run_in_transaction(
        request.app.state.db, user.form,
        lambda conn: link_product(conn, user.actor, services, changes), working.integration_id)
    if outcome.errors:
        return await _refused(request, user, working, outcome)
    return RedirectResponse(f"/console/integrations/{working.id}/products", 303)


@console_page
async def unlink(request: Request, user: ConsoleUser) -> Response:
    working = await working_of_path(request, user.actor)
    if working is None:
        return not_found(request, user)
    services = request.app.state.services
    product_id = request.path_params["product"]

    async def run(conn: AsyncConnection) -> Outcome[Product]:
        product = await visible_product(conn, user.actor, product_id)
        if product is None or product.integration_id != working.integration_id:
            return Outcome.failed(NOT_LINKED_HERE)
        return await unlink_product(conn, user.actor, services, {"productId": product.id})

    outcome = await run_in_transaction(request.app.state.db, {}, run, working.integration_id)
    if NOT_LINKED_HERE in outcome.errors:
        return not_found(request, user)
    if outcome.errors:
        return await _refused(request, user, working, outcome)
    return RedirectResponse(f"/console/integrations/{working.id}/products", 303)


ROUTES = [
    Route("/console/integrations/{id}/products", products_page, methods=["GET"]),
    Route("/console/integrations/{id}/products", link, methods=["POST"]),
    Route("/console/integrations/{id}/products/{product}/unlink", unlink, methods=["POST"]),
]

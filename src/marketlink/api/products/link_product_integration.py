"""linkProductIntegration: link a product to an integration of the same vendor."""

import strawberry

from marketlink.api.commands import run_command
from marketlink.api.context import Info
from marketlink.api.errors import MutationErrors
from marketlink.api.products.types import Product
from marketlink.domain.errors import Code
from marketlink.domain.publishing import link_product

ERRORS = MutationErrors("LinkProductIntegration", [Code.NOT_FOUND, Code.NOT_ALLOWED])


@strawberry.input
class LinkProductIntegrationInput:
    product_id: strawberry.ID
    integration_id: strawberry.ID


@strawberry.type
class LinkProductIntegrationPayload:
    product: Product | None
    user_errors: list[ERRORS.type]  # type: ignore[valid-type]


async def link_product_integration(
    info: Info, input: LinkProductIntegrationInput
) -> LinkProductIntegrationPayload:
    outcome = await run_command(info, link_product, input)
    return LinkProductIntegrationPayload(
        product=Product(model=outcome.value) if outcome.value else None,
        user_errors=ERRORS.of(outcome.errors),
    )

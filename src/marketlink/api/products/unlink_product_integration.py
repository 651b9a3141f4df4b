"""unlinkProductIntegration: a product stops using its integration."""

import strawberry

from marketlink.api.commands import run_command
from marketlink.api.context import Info
from marketlink.api.errors import MutationErrors
from marketlink.api.products.types import Product
from marketlink.domain.errors import Code
from marketlink.domain.publishing import unlink_product

ERRORS = MutationErrors("UnlinkProductIntegration", [Code.NOT_FOUND, Code.INVALID])


@strawberry.input
class UnlinkProductIntegrationInput:
    product_id: strawberry.ID


@strawberry.type
class UnlinkProductIntegrationPayload:
    product: Product | None
    user_errors: list[ERRORS.type]  # type: ignore[valid-type]


async def unlink_product_integration(
    info: Info, input: UnlinkProductIntegrationInput
) -> UnlinkProductIntegrationPayload:
    outcome = await run_command(info, unlink_product, input)
    return UnlinkProductIntegrationPayload(
        product=Product(model=outcome.value) if outcome.value else None,
        user_errors=ERRORS.of(outcome.errors),
    )

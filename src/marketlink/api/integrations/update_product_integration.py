"""updateProductIntegration: change fields of the WORKING version (fields left out stay)."""

import strawberry

from marketlink.api.commands import run_command
from marketlink.api.context import Info
from marketlink.api.errors import MutationErrors
from marketlink.api.integrations.inputs import IntegrationFieldsInput
from marketlink.api.integrations.types import ProductIntegration
from marketlink.domain.errors import Code
from marketlink.domain.integrations import update_integration

ERRORS = MutationErrors("UpdateProductIntegration", [
    Code.REQUIRED, Code.INVALID, Code.INVALID_URL, Code.TOO_LONG, Code.NOT_FOUND, Code.NOT_ALLOWED,
    Code.PUBLISHED_SNAPSHOT,
])


@strawberry.input
class UpdateProductIntegrationInput(IntegrationFieldsInput):
    id: strawberry.ID


@strawberry.type
class UpdateProductIntegrationPayload:
    product_integration: ProductIntegration | None
    user_errors: list[ERRORS.type]  # type: ignore[valid-type]


async def update_product_integration(
    info: Info, input: UpdateProductIntegrationInput
) -> UpdateProductIntegrationPayload:
    outcome = await run_command(info, update_integration, input)
    return UpdateProductIntegrationPayload(
        product_integration=ProductIntegration(model=outcome.value) if outcome.value else None,
        user_errors=ERRORS.of(outcome.errors),
    )

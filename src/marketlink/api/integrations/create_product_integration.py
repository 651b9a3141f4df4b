"""createProductIntegration: a new integration configuration (its WORKING version)."""

import strawberry

from marketlink.api.commands import run_command
from marketlink.api.context import Info
from marketlink.api.errors import MutationErrors
from marketlink.api.integrations.inputs import IntegrationFieldsInput
from marketlink.api.integrations.types import ProductIntegration
from marketlink.domain.errors import Code
from marketlink.domain.integrations import create_integration

ERRORS = MutationErrors("CreateProductIntegration", [
    Code.REQUIRED, Code.INVALID, Code.INVALID_URL, Code.TOO_LONG, Code.NOT_FOUND, Code.NOT_ALLOWED,
])


@strawberry.input
class CreateProductIntegrationInput(IntegrationFieldsInput):
    vendor_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="The owning vendor; administrators only.")


@strawberry.type
class CreateProductIntegrationPayload:
    product_integration: ProductIntegration | None
    user_errors: list[ERRORS.type]  # type: ignore[valid-type]


async def create_product_integration(
    info: Info, input: CreateProductIntegrationInput
) -> CreateProductIntegrationPayload:
    outcome = await run_command(info, create_integration, input)
    return CreateProductIntegrationPayload(
        product_integration=ProductIntegration(model=outcome.value) if outcome.value else None,
        user_errors=ERRORS.of(outcome.errors),
    )

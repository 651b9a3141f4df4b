"""publishProductIntegration: freeze the WORKING version into a new PUBLISHED snapshot."""

import strawberry

from marketlink.api.commands import run_command
from marketlink.api.context import Info
from marketlink.api.errors import MutationErrors
from marketlink.api.integrations.types import ProductIntegration
from marketlink.domain.errors import Code
from marketlink.domain.publishing import publish_integration

ERRORS = MutationErrors("PublishProductIntegration", [
    Code.NOT_FOUND, Code.PUBLISHED_SNAPSHOT, Code.MISSING_CREATE_URL, Code.MISSING_CANCEL_URL,
])


@strawberry.input
class PublishProductIntegrationInput:
    integration_id: strawberry.ID


@strawberry.type
class PublishProductIntegrationPayload:
    product_integration: ProductIntegration | None = strawberry.field(
        description="The new snapshot (an id of its own, version PUBLISHED).")
    user_errors: list[ERRORS.type]  # type: ignore[valid-type]


async def publish_product_integration(
    info: Info, input: PublishProductIntegrationInput
) -> PublishProductIntegrationPayload:
    outcome = await run_command(info, publish_integration, input)
    return PublishProductIntegrationPayload(
        product_integration=ProductIntegration(model=outcome.value) if outcome.value else None,
        user_errors=ERRORS.of(outcome.errors),
    )

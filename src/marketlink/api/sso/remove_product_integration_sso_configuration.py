"""removeProductIntegrationSsoConfiguration: drop the WORKING version's SSO configuration
(published snapshots keep theirs)."""

import strawberry

from marketlink.api.commands import run_command
from marketlink.api.context import Info
from marketlink.api.errors import MutationErrors
from marketlink.api.integrations.types import ProductIntegration
from marketlink.domain.errors import Code
from marketlink.domain.sso_configurations import remove_configuration

ERRORS = MutationErrors("RemoveProductIntegrationSsoConfiguration", [
    Code.NOT_FOUND, Code.PUBLISHED_SNAPSHOT, Code.SSO_NOT_CONFIGURED,
])


@strawberry.input
class RemoveProductIntegrationSsoConfigurationInput:
    integration_configuration_id: strawberry.ID


@strawberry.type
class RemoveProductIntegrationSsoConfigurationPayload:
    product_integration: ProductIntegration | None
    user_errors: list[ERRORS.type]  # type: ignore[valid-type]


async def remove_product_integration_sso_configuration(
    info: Info, input: RemoveProductIntegrationSsoConfigurationInput
) -> RemoveProductIntegrationSsoConfigurationPayload:
    outcome = await run_command(info, remove_configuration, input)
    return RemoveProductIntegrationSsoConfigurationPayload(
        product_integration=ProductIntegration(model=outcome.value) if outcome.value else None,
        user_errors=ERRORS.of(outcome.errors),
    )

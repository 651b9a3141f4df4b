"""addProductIntegrationSamlConfiguration: give the integration's WORKING version a SAML SSO configuration."""

from functools import partial

import strawberry

from marketlink.api.commands import run_command
from marketlink.api.context import Info
from marketlink.api.errors import MutationErrors
from marketlink.api.integrations.types import ProductIntegration
from marketlink.api.sso.inputs import SamlConfigurationFields
from marketlink.api.sso.types import SamlConfiguration, saml_type
from marketlink.domain import sso
from marketlink.domain.errors import Code
from marketlink.domain.sso_configurations import add_configuration

ERRORS = MutationErrors("AddProductIntegrationSamlConfiguration", [
    Code.NOT_FOUND, Code.PUBLISHED_SNAPSHOT, Code.SSO_ALREADY_CONFIGURED,
    Code.REQUIRED, Code.INVALID, Code.TOO_LONG, Code.TOO_MANY, Code.DUPLICATE, Code.FROZEN_AFTER_PUBLISH,
])


@strawberry.input
class AddProductIntegrationSamlConfigurationInput(SamlConfigurationFields):
    pass


@strawberry.type
class AddProductIntegrationSamlConfigurationPayload:
    saml_configuration: SamlConfiguration | None
    product_integration: ProductIntegration | None
    user_errors: list[ERRORS.type]  # type: ignore[valid-type]


async def add_product_integration_saml_configuration(
    info: Info, input: AddProductIntegrationSamlConfigurationInput
) -> AddProductIntegrationSamlConfigurationPayload:
    outcome = await run_command(info, partial(add_configuration, kind=sso.SAML), input)
    version = outcome.value
    return AddProductIntegrationSamlConfigurationPayload(
        saml_configuration=saml_type(dict(version.sso.fields)) if version else None,
        product_integration=ProductIntegration(model=version) if version else None,
        user_errors=ERRORS.of(outcome.errors),
    )

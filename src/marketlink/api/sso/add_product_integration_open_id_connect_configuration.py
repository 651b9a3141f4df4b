"""addProductIntegrationOpenIdConnectConfiguration: give the integration's WORKING version an OpenID Connect SSO configuration."""

from functools import partial

import strawberry

from marketlink.api.commands import run_command
from marketlink.api.context import Info
from marketlink.api.errors import MutationErrors
from marketlink.api.integrations.types import ProductIntegration
from marketlink.api.sso.inputs import OpenIdConnectConfigurationFields
from marketlink.api.sso.types import OpenIdConnectConfiguration, oidc_type
from marketlink.domain import sso
from marketlink.domain.errors import Code
from marketlink.domain.sso_configurations import add_configuration

ERRORS = MutationErrors("AddProductIntegrationOpenIdConnectConfiguration", [
    Code.NOT_FOUND, Code.PUBLISHED_SNAPSHOT, Code.SSO_ALREADY_CONFIGURED,
    Code.REQUIRED, Code.INVALID, Code.TOO_LONG, Code.TOO_MANY, Code.DUPLICATE, Code.FROZEN_AFTER_PUBLISH,
])


@strawberry.input
class AddProductIntegrationOpenIdConnectConfigurationInput(OpenIdConnectConfigurationFields):
    pass


@strawberry.type
class AddProductIntegrationOpenIdConnectConfigurationPayload:
    open_id_connect_configuration: OpenIdConnectConfiguration | None
    product_integration: ProductIntegration | None
    user_errors: list[ERRORS.type]  # type: ignore[valid-type]


async def add_product_integration_open_id_connect_configuration(
    info: Info, input: AddProductIntegrationOpenIdConnectConfigurationInput
) -> AddProductIntegrationOpenIdConnectConfigurationPayload:
    outcome = await run_command(info, partial(add_configuration, kind=sso.OPENID_CONNECT), input)
    version = outcome.value
    return AddProductIntegrationOpenIdConnectConfigurationPayload(
        open_id_connect_configuration=oidc_type(dict(version.sso.fields)) if version else None,
        product_integration=ProductIntegration(model=version) if version else None,
        user_errors=ERRORS.of(outcome.errors),
    )

"""Input fields of the three SSO configuration kinds, shared by their add and update
mutations. Choice fields are strings, validated by the domain (see ``types``)."""

import strawberry

from marketlink.api.sso.types import SamlAttributeInput


@strawberry.input
class BookmarkConfigurationFields:
    integration_configuration_id: strawberry.ID
    url: str | None = strawberry.UNSET


@strawberry.input
class OpenIdConnectConfigurationFields:
    integration_configuration_id: strawberry.ID
    client_creation_method: str | None = strawberry.field(
        default=strawberry.UNSET, description="PER_SUBSCRIPTION, PER_MARKETPLACE or PER_ENVIRONMENT.")
    grant_types: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description="AUTHORIZATION_CODE, optionally REFRESH_TOKEN.")
    redirect_urls: list[str] | None = strawberry.UNSET
    allow_oidc_scope: bool | None = strawberry.UNSET
    allow_user_scopes: bool | None = strawberry.UNSET
    allow_role_scopes: bool | None = strawberry.UNSET
    initiate_login_url: str | None = strawberry.UNSET
    logout_url: str | None = strawberry.UNSET


@strawberry.input
class SamlConfigurationFields:
    integration_configuration_id: strawberry.ID
    version: str | None = strawberry.UNSET
    idp_configuration_creation_method: str | None = strawberry.UNSET
    service_provider_entity_id: str | None = strawberry.UNSET
    assertion_consumer_service_url: str | None = strawberry.UNSET
    service_provider_initiated_login_url: str | None = strawberry.UNSET
    name_id: str | None = strawberry.UNSET
    name_id_format: str | None = strawberry.UNSET
    response_signature_mode: str | None = strawberry.UNSET
    response_signature_algorithm: str | None = strawberry.UNSET
    relay_state: str | None = strawberry.UNSET
    response_field: str | None = strawberry.UNSET
    encode_response: bool | None = strawberry.UNSET
    assertion_attributes: list[SamlAttributeInput] | None = strawberry.UNSET
    not_before_minutes: int | None = strawberry.UNSET
    not_after_minutes: int | None = strawberry.UNSET

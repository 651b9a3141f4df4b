"""GraphQL types of the three SSO configuration kinds. Choice inputs are strings (the seed
passes ``clientCreationMethod: "PER_SUBSCRIPTION"``); outputs are enums built from the same
domain choices, so the two never drift apart."""

from enum import Enum
from typing import Annotated

import strawberry

from marketlink.domain import sso
from marketlink.domain.models import SsoConfiguration as SsoModel


def _choice_enum(name: str, field_kind: str, field: str) -> type[Enum]:
    spec = next(f for f in sso.FIELDS[field_kind] if f.name == field)
    return strawberry.enum(Enum(name, {c: c for c in spec.choices}))  # type: ignore[return-value]


ClientCreationMethod = _choice_enum("ClientCreationMethod", sso.OPENID_CONNECT, "clientCreationMethod")
OidcGrantType = _choice_enum("OidcGrantType", sso.OPENID_CONNECT, "grantTypes")
IdpConfigurationCreationMethod = _choice_enum(
    "IdpConfigurationCreationMethod", sso.SAML, "idpConfigurationCreationMethod")
NameIdFormat = _choice_enum("NameIdFormat", sso.SAML, "nameIdFormat")
ResponseSignatureMode = _choice_enum("ResponseSignatureMode", sso.SAML, "responseSignatureMode")
ResponseSignatureAlgorithm = _choice_enum(
    "ResponseSignatureAlgorithm", sso.SAML, "responseSignatureAlgorithm")


@strawberry.type
class BookmarkConfiguration:
    url: str


@strawberry.type
class OpenIdConnectConfiguration:
    client_creation_method: ClientCreationMethod  # type: ignore[valid-type]
    grant_types: list[OidcGrantType]  # type: ignore[valid-type]
    redirect_urls: list[str]
    allow_oidc_scope: bool
    allow_user_scopes: bool
    allow_role_scopes: bool
    initiate_login_url: str | None
    logout_url: str | None


@strawberry.type
class SamlAttribute:
    name: str
    value: str


@strawberry.input
class SamlAttributeInput:
    name: str
    value: str


@strawberry.type
class SamlConfiguration:
    version: str
    idp_configuration_creation_method: IdpConfigurationCreationMethod  # type: ignore[valid-type]
    service_provider_entity_id: str
    assertion_consumer_service_url: str
    service_provider_initiated_login_url: str | None
    name_id: str
    name_id_format: NameIdFormat  # type: ignore[valid-type]
    response_signature_mode: ResponseSignatureMode  # type: ignore[valid-type]
    response_signature_algorithm: ResponseSignatureAlgorithm  # type: ignore[valid-type]
    relay_state: str | None
    response_field: str
    encode_response: bool
    assertion_attributes: list[SamlAttribute]
    not_before_minutes: int
    not_after_minutes: int


SsoConfiguration = Annotated[
    BookmarkConfiguration | OpenIdConnectConfiguration | SamlConfiguration,
    strawberry.union("SsoConfiguration"),
]


def bookmark_type(fields: dict) -> BookmarkConfiguration:
    return BookmarkConfiguration(url=fields["url"])


def oidc_type(f: dict) -> OpenIdConnectConfiguration:
    return OpenIdConnectConfiguration(
        client_creation_method=ClientCreationMethod[f["clientCreationMethod"]],
        grant_types=[OidcGrantType[g] for g in f["grantTypes"]],
        redirect_urls=list(f["redirectUrls"]),
        allow_oidc_scope=f["allowOidcScope"], allow_user_scopes=f["allowUserScopes"],
        allow_role_scopes=f["allowRoleScopes"], initiate_login_url=f["initiateLoginUrl"],
        logout_url=f["logoutUrl"],
    )


def saml_type(f: dict) -> SamlConfiguration:
    return SamlConfiguration(
        version=f["version"],
        idp_configuration_creation_method=IdpConfigurationCreationMethod[f["idpConfigurationCreationMethod"]],
        service_provider_entity_id=f["serviceProviderEntityId"],
        assertion_consumer_service_url=f["assertionConsumerServiceUrl"],
        service_provider_initiated_login_url=f["serviceProviderInitiatedLoginUrl"],
        name_id=f["nameId"], name_id_format=NameIdFormat[f["nameIdFormat"]],
        response_signature_mode=ResponseSignatureMode[f["responseSignatureMode"]],
        response_signature_algorithm=ResponseSignatureAlgorithm[f["responseSignatureAlgorithm"]],
        relay_state=f["relayState"], response_field=f["responseField"],
        encode_response=f["encodeResponse"],
        assertion_attributes=[SamlAttribute(name=a["name"], value=a["value"])
                              for a in f["assertionAttributes"]],
        not_before_minutes=f["notBeforeMinutes"], not_after_minutes=f["notAfterMinutes"],
    )


_BUILDERS = {sso.BOOKMARK: bookmark_type, sso.OPENID_CONNECT: oidc_type, sso.SAML: saml_type}


def sso_type(model: SsoModel | None):  # -> SsoConfiguration | None
    return _BUILDERS[model.kind](dict(model.fields)) if model else None

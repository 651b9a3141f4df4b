"""What the console's publish confirmation lists: WORKING against the latest PUBLISHED snapshot."""

from dataclasses import replace

from marketlink.domain.models import (
    EVENT_URL_FIELDS,
    INTERACTIVE_FIELDS,
    Credentials,
    IntegrationVersion,
    SsoConfiguration,
)
from marketlink.domain.version_diff import FieldChange, changes_since

OIDC = {
    "clientCreationMethod": "PER_SUBSCRIPTION", "grantTypes": ["AUTHORIZATION_CODE"],
    "redirectUrls": ["https://app.example/cb"], "allowOidcScope": True, "allowUserScopes": False,
    "allowRoleScopes": False, "initiateLoginUrl": "https://app.example/login", "logoutUrl": None,
}


def version(version: str = "WORKING", **fields) -> IntegrationVersion:
    urls = {api: None for api, _ in EVENT_URL_FIELDS} | fields.pop("urls", {})
    interactive = {api: False for api, _ in INTERACTIVE_FIELDS} | fields.pop("interactive", {})
    defaults = dict(id="v1", integration_id="i1", vendor_id="vendor", version=version, revision=0,
                    name="Acme", urls=urls, interactive=interactive, credentials=None, sso=None,
                    created_on=1, last_modified=1)
    return IntegrationVersion(**(defaults | fields))


def oauth2(fingerprint: str = "f1", **public) -> Credentials:
    return Credentials("OAUTH2", {"clientId": "acme", "tokenUri": "https://app.example/token",
                                  "grantType": "client_credentials"} | public, True, fingerprint)


def published(working: IntegrationVersion) -> IntegrationVersion:
    return replace(working, id="p1", version="PUBLISHED", revision=1)


def test_an_unchanged_working_version_has_no_changes():
    working = version(urls={"createUrl": "https://app.example/create"}, credentials=oauth2(),
                      sso=SsoConfiguration("OPENID_CONNECT", OIDC))

    assert changes_since(published(working), working) == []


def test_never_published_lists_every_set_field_with_nothing_before():
    working = version(urls={"createUrl": "https://app.example/create?u={eventUrl}",
                            "cancelUrl": "https://app.example/cancel"},
                      interactive={"createUrlInteractive": True}, credentials=oauth2(),
                      sso=SsoConfiguration("BOOKMARK", {"url": "https://app.example/{company.uuid}"}))

    assert changes_since(None, working) == [
        FieldChange("name", None, "Acme"),
        FieldChange("createUrl", None, "https://app.example/create?u={eventUrl}"),
        FieldChange("cancelUrl", None, "https://app.example/cancel"),
        FieldChange("createUrlInteractive", None, "true"),
        FieldChange("outboundCredentials.type", None, "OAUTH2"),
        FieldChange("outboundCredentials.clientId", None, "acme"),
        FieldChange("outboundCredentials.tokenUri", None, "https://app.example/token"),
        FieldChange("outboundCredentials.grantType", None, "client_credentials"),
        FieldChange("outboundCredentials.clientSecret", None, "••••"),
        FieldChange("ssoConfiguration.type", None, "BOOKMARK"),
        FieldChange("ssoConfiguration.url", None, "https://app.example/{company.uuid}"),
    ]


def test_never_published_with_only_a_name():
    assert changes_since(None, version()) == [FieldChange("name", None, "Acme")]


def test_names_urls_flags_and_delivery_mode_in_api_order():
    before = version(urls={"createUrl": "https://a.example/create", "notifyUrl": "https://a.example/n"},
                     interactive={"cancelUrlInteractive": True})
    working = version(name="Acme 2",
                      urls={"createUrl": "https://b.example/create", "assignUrl": "https://b.example/a"},
                      interactive={"createUrlInteractive": True}, delivery_mode="DIRECT")

    assert changes_since(published(before), working) == [
        FieldChange("name", "Acme", "Acme 2"),
        FieldChange("createUrl", "https://a.example/create", "https://b.example/create"),
        FieldChange("notifyUrl", "https://a.example/n", None),
        FieldChange("assignUrl", None, "https://b.example/a"),
        FieldChange("createUrlInteractive", "false", "true"),
        FieldChange("cancelUrlInteractive", "true", "false"),
        FieldChange("deliveryMode", "NOTIFY_THEN_FETCH", "DIRECT"),
    ]


def test_a_secret_entered_again_shows_as_changed_never_as_a_value():
    before = version(credentials=oauth2("f1"))
    working = version(credentials=oauth2("f2", scope="events"))

    assert changes_since(published(before), working) == [
        FieldChange("outboundCredentials.scope", None, "events"),
        FieldChange("outboundCredentials.clientSecret", "••••", "•••• (changed)"),
    ]


def test_another_credential_type_replaces_fields_and_secret():
    before = version(credentials=oauth2("f1"))
    working = version(credentials=Credentials("BASIC", {"username": "acme"}, True, "f9"))

    assert changes_since(published(before), working) == [
        FieldChange("outboundCredentials.type", "OAUTH2", "BASIC"),
        FieldChange("outboundCredentials.clientId", "acme", None),
        FieldChange("outboundCredentials.tokenUri", "https://app.example/token", None),
        FieldChange("outboundCredentials.grantType", "client_credentials", None),
        FieldChange("outboundCredentials.username", None, "acme"),
        FieldChange("outboundCredentials.clientSecret", "••••", None),
        FieldChange("outboundCredentials.password", None, "••••"),
    ]


def test_removed_credentials():
    assert changes_since(published(version(credentials=oauth2())), version()) == [
        FieldChange("outboundCredentials.type", "OAUTH2", None),
        FieldChange("outboundCredentials.clientId", "acme", None),
        FieldChange("outboundCredentials.tokenUri", "https://app.example/token", None),
        FieldChange("outboundCredentials.grantType", "client_credentials", None),
        FieldChange("outboundCredentials.clientSecret", "••••", None),
    ]


def test_sso_fields_lists_as_comma_separated_text():
    before = version(sso=SsoConfiguration("OPENID_CONNECT", OIDC))
    working = version(sso=SsoConfiguration("OPENID_CONNECT", OIDC | {
        "grantTypes": ["AUTHORIZATION_CODE", "REFRESH_TOKEN"],
        "redirectUrls": ["https://app.example/cb", "https://app.example/cb2"],
        "allowUserScopes": True, "logoutUrl": "https://app.example/logout"}))

    assert changes_since(published(before), working) == [
        FieldChange("ssoConfiguration.grantTypes", "AUTHORIZATION_CODE",
                    "AUTHORIZATION_CODE, REFRESH_TOKEN"),
        FieldChange("ssoConfiguration.redirectUrls", "https://app.example/cb",
                    "https://app.example/cb, https://app.example/cb2"),
        FieldChange("ssoConfiguration.allowUserScopes", "false", "true"),
        FieldChange("ssoConfiguration.logoutUrl", None, "https://app.example/logout"),
    ]


def test_another_sso_kind_and_saml_attributes():
    saml = {"version": "2.0", "serviceProviderEntityId": "acme", "notAfterMinutes": 5,
            "assertionAttributes": [{"name": "email", "value": "{user.email}"},
                                    {"name": "uid", "value": "{user.uuid}"}]}
    before = version(sso=SsoConfiguration("BOOKMARK", {"url": "https://app.example/"}))
    working = version(sso=SsoConfiguration("SAML", saml))

    assert changes_since(published(before), working) == [
        FieldChange("ssoConfiguration.type", "BOOKMARK", "SAML"),
        FieldChange("ssoConfiguration.url", "https://app.example/", None),
        FieldChange("ssoConfiguration.version", None, "2.0"),
        FieldChange("ssoConfiguration.serviceProviderEntityId", None, "acme"),
        FieldChange("ssoConfiguration.assertionAttributes", None,
                    "email={user.email}, uid={user.uuid}"),
        FieldChange("ssoConfiguration.notAfterMinutes", None, "5"),
    ]


def test_a_snapshot_read_back_from_its_row_has_the_working_fingerprint():
    row = {"id": "v1", "integration_id": "v1", "vendor_id": "x", "version": "WORKING",
           "revision": 0, "name": "Acme", "credentials_type": "BASIC",
           "credentials": {"username": "acme"}, "credentials_secret": "enc:v1:abc",
           "sso_type": None, "sso_config": None, "created_on": 1, "last_modified": 1}
    row |= {column: None for _, column in EVENT_URL_FIELDS}
    row |= {column: False for _, column in INTERACTIVE_FIELDS}
    working = IntegrationVersion.from_row(row)
    snapshot = IntegrationVersion.from_row(row | {"id": "p1", "version": "PUBLISHED"})
    entered_again = IntegrationVersion.from_row(row | {"credentials_secret": "enc:v1:def"})

    assert changes_since(snapshot, working) == []
    assert changes_since(snapshot, entered_again) == [
        FieldChange("outboundCredentials.password", "••••", "•••• (changed)")]
    assert "abc" not in repr(changes_since(None, working))

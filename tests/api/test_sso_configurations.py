"""SSO configurations: add (Bookmark, OpenID Connect, SAML), update, remove, and how they read
back, per caller: anonymous, other vendor's developer, own developer, admin."""

import pytest

from tests.helpers import START_MS, dump_tables

OIDC_FIELDS = ("clientCreationMethod grantTypes redirectUrls allowOidcScope allowUserScopes "
               "allowRoleScopes initiateLoginUrl logoutUrl")
SAML_FIELDS = ("version idpConfigurationCreationMethod serviceProviderEntityId "
               "assertionConsumerServiceUrl serviceProviderInitiatedLoginUrl nameId nameIdFormat "
               "responseSignatureMode responseSignatureAlgorithm relayState responseField "
               "encodeResponse assertionAttributes { name value } notBeforeMinutes notAfterMinutes")
INTEGRATION = f"""
  id version lastModified
  ssoConfiguration {{
    __typename
    ... on BookmarkConfiguration {{ url }}
    ... on OpenIdConnectConfiguration {{ {OIDC_FIELDS} }}
    ... on SamlConfiguration {{ {SAML_FIELDS} }}
  }}
  validationErrors {{ path code message }}
"""
ERRORS = "userErrors { __typename message path code }"

ADD_BOOKMARK = f"""
mutation Add($input: AddProductIntegrationBookmarkConfigurationInput!) {{
  addProductIntegrationBookmarkConfiguration(input: $input) {{
    bookmarkConfiguration {{ url }} productIntegration {{ {INTEGRATION} }} {ERRORS}
  }}
}}"""
UPDATE_BOOKMARK = f"""
mutation Update($input: UpdateProductIntegrationBookmarkConfigurationInput!) {{
  updateProductIntegrationBookmarkConfiguration(input: $input) {{
    bookmarkConfiguration {{ url }} productIntegration {{ {INTEGRATION} }} {ERRORS}
  }}
}}"""
ADD_OIDC = f"""
mutation Add($input: AddProductIntegrationOpenIdConnectConfigurationInput!) {{
  addProductIntegrationOpenIdConnectConfiguration(input: $input) {{
    openIdConnectConfiguration {{ {OIDC_FIELDS} }} productIntegration {{ {INTEGRATION} }} {ERRORS}
  }}
}}"""
UPDATE_OIDC = f"""
mutation Update($input: UpdateProductIntegrationOpenIdConnectConfigurationInput!) {{
  updateProductIntegrationOpenIdConnectConfiguration(input: $input) {{
    openIdConnectConfiguration {{ {OIDC_FIELDS} }} productIntegration {{ {INTEGRATION} }} {ERRORS}
  }}
}}"""
ADD_SAML = f"""
mutation Add($input: AddProductIntegrationSamlConfigurationInput!) {{
  addProductIntegrationSamlConfiguration(input: $input) {{
    samlConfiguration {{ {SAML_FIELDS} }} productIntegration {{ {INTEGRATION} }} {ERRORS}
  }}
}}"""
UPDATE_SAML = f"""
mutation Update($input: UpdateProductIntegrationSamlConfigurationInput!) {{
  updateProductIntegrationSamlConfiguration(input: $input) {{
    samlConfiguration {{ {SAML_FIELDS} }} productIntegration {{ {INTEGRATION} }} {ERRORS}
  }}
}}"""
REMOVE = f"""
mutation Remove($input: RemoveProductIntegrationSsoConfigurationInput!) {{
  removeProductIntegrationSsoConfiguration(input: $input) {{
    productIntegration {{ {INTEGRATION} }} {ERRORS}
  }}
}}"""
READ = f"""
query Read($id: ID!) {{ productIntegration(id: $id) {{ {INTEGRATION} }} }}"""
CREATE = """
mutation Create($input: CreateProductIntegrationInput!) {
  createProductIntegration(input: $input) { productIntegration { id } userErrors { message } }
}"""
PUBLISH = """
mutation Publish($input: PublishProductIntegrationInput!) {
  publishProductIntegration(input: $input) { productIntegration { id } userErrors { message } }
}"""

# The seed's step 2, character for character except the integration id.
SEED_OIDC = """mutation {
addProductIntegrationOpenIdConnectConfiguration(
input: {
integrationConfigurationId: "%s"
clientCreationMethod: "PER_SUBSCRIPTION"
grantTypes: ["AUTHORIZATION_CODE"]
redirectUrls: ["YOUR_REDIRECT_URLS"]
allowOidcScope: false
allowUserScopes: false
allowRoleScopes: false
initiateLoginUrl: "YOUR_INITIATE_LOGIN_URL"
logoutUrl: "YOUR_LOGOUT_URL"
}
) {
openIdConnectConfiguration {
clientCreationMethod
grantTypes
redirectUrls
}
}
}"""

BOOKMARK = {"url": "https://app.example/launch?company={company.uuid}"}
OIDC = {"clientCreationMethod": "PER_SUBSCRIPTION", "grantTypes": ["AUTHORIZATION_CODE"],
        "redirectUrls": ["https://app.example/callback"],
        "initiateLoginUrl": "https://app.example/login", "logoutUrl": "https://app.example/logout"}
SAML = {"serviceProviderEntityId": "https://app.example/saml",
        "assertionConsumerServiceUrl": "https://app.example/saml/acs"}

OIDC_STORED = {"clientCreationMethod": "PER_SUBSCRIPTION", "grantTypes": ["AUTHORIZATION_CODE"],
               "redirectUrls": ["https://app.example/callback"], "allowOidcScope": True,
               "allowUserScopes": False, "allowRoleScopes": False,
               "initiateLoginUrl": "https://app.example/login",
               "logoutUrl": "https://app.example/logout"}
SAML_DEFAULTS = {
    "version": "2.0", "idpConfigurationCreationMethod": "PER_SUBSCRIPTION",
    "serviceProviderEntityId": "https://app.example/saml",
    "assertionConsumerServiceUrl": "https://app.example/saml/acs",
    "serviceProviderInitiatedLoginUrl": None, "nameId": "{user.email}", "nameIdFormat": "EMAIL",
    "responseSignatureMode": "ASSERTION", "responseSignatureAlgorithm": "RSA_SHA256",
    "relayState": None, "responseField": "SAMLResponse", "encodeResponse": True,
    "assertionAttributes": [], "notBeforeMinutes": 5, "notAfterMinutes": 5,
}


async def create_integration(world, token=None) -> str:
    data = await world.api.data(CREATE, {"input": {
        "name": "SSO Integration", "createUrl": "https://host.example/create",
        "cancelUrl": "https://host.example/cancel"}}, token or world.dev_a)
    return data["createProductIntegration"]["productIntegration"]["id"]


async def publish(world, integration_id: str) -> str:
    data = await world.api.data(PUBLISH, {"input": {"integrationId": integration_id}}, world.dev_a)
    assert data["publishProductIntegration"]["userErrors"] == []
    return data["publishProductIntegration"]["productIntegration"]["id"]


async def call(world, document: str, integration_id: str, fields: dict, token=None) -> dict:
    data = await world.api.data(
        document, {"input": {"integrationConfigurationId": integration_id} | fields},
        token or world.dev_a)
    return next(iter(data.values()))


async def read(world, integration_id: str) -> dict:
    return (await world.api.data(READ, {"id": integration_id}, world.dev_a))["productIntegration"]


def user_error(mutation: str, message: str, path: list[str], code: str) -> dict:
    return {"__typename": f"{mutation}Error", "message": message, "path": path, "code": code}


@pytest.fixture
async def integration(world) -> str:
    return await create_integration(world)


# --- every mutation, per caller -------------------------------------------------------------

# (GraphQL name, document, the SSO kind that must exist first, valid fields, payload object key)
MUTATIONS = [
    ("addProductIntegrationBookmarkConfiguration", ADD_BOOKMARK, None, BOOKMARK, "bookmarkConfiguration"),
    ("addProductIntegrationOpenIdConnectConfiguration", ADD_OIDC, None, OIDC, "openIdConnectConfiguration"),
    ("addProductIntegrationSamlConfiguration", ADD_SAML, None, SAML, "samlConfiguration"),
    ("updateProductIntegrationBookmarkConfiguration", UPDATE_BOOKMARK, ADD_BOOKMARK,
     {"url": "https://app.example/other"}, "bookmarkConfiguration"),
    ("updateProductIntegrationOpenIdConnectConfiguration", UPDATE_OIDC, ADD_OIDC,
     {"allowUserScopes": True}, "openIdConnectConfiguration"),
    ("updateProductIntegrationSamlConfiguration", UPDATE_SAML, ADD_SAML,
     {"relayState": "/home"}, "samlConfiguration"),
    ("removeProductIntegrationSsoConfiguration", REMOVE, ADD_BOOKMARK, {}, None),
]
PREREQUISITE_FIELDS = {ADD_BOOKMARK: BOOKMARK, ADD_OIDC: OIDC, ADD_SAML: SAML}
EXPECTED_TYPENAME = {
    "addProductIntegrationBookmarkConfiguration": "BookmarkConfiguration",
    "addProductIntegrationOpenIdConnectConfiguration": "OpenIdConnectConfiguration",
    "addProductIntegrationSamlConfiguration": "SamlConfiguration",
    "updateProductIntegrationBookmarkConfiguration": "BookmarkConfiguration",
    "updateProductIntegrationOpenIdConnectConfiguration": "OpenIdConnectConfiguration",
    "updateProductIntegrationSamlConfiguration": "SamlConfiguration",
    "removeProductIntegrationSsoConfiguration": None,
}
by_name = pytest.mark.parametrize("name, document, prerequisite, fields, key", MUTATIONS,
                                  ids=[m[0] for m in MUTATIONS])


async def prepared(world, prerequisite) -> str:
    integration_id = await create_integration(world)
    if prerequisite:
        await call(world, prerequisite, integration_id, PREREQUISITE_FIELDS[prerequisite])
    return integration_id


@by_name
async def test_anonymous_caller_is_refused_and_nothing_written(world, name, document, prerequisite,
                                                                fields, key):
    integration_id = await prepared(world, prerequisite)
    before = await dump_tables(world.db)

    response = await world.api.post(
        document, {"input": {"integrationConfigurationId": integration_id} | fields})

    assert response.status_code == 401
    assert response.json() == {"errors": [{
        "message": "Authentication required: send Authorization: Bearer <API token>.",
        "extensions": {"code": "UNAUTHENTICATED"}}]}
    assert await dump_tables(world.db) == before


@by_name
async def test_other_vendors_developer_gets_not_found_and_nothing_written(
        world, name, document, prerequisite, fields, key):
    integration_id = await prepared(world, prerequisite)
    before = await dump_tables(world.db)

    payload = await call(world, document, integration_id, fields, world.dev_b)

    assert payload["userErrors"] == [user_error(
        name[0].upper() + name[1:], "Integration not found.",
        ["input", "integrationConfigurationId"], "NOT_FOUND")]
    assert {k: v for k, v in payload.items() if k != "userErrors"} == (
        {key: None, "productIntegration": None} if key else {"productIntegration": None})
    assert await dump_tables(world.db) == before


@by_name
async def test_own_developer_succeeds(world, name, document, prerequisite, fields, key):
    integration_id = await prepared(world, prerequisite)
    world.clock.advance(1000)

    payload = await call(world, document, integration_id, fields, world.dev_a)

    assert payload["userErrors"] == []
    stored = await read(world, integration_id)
    assert payload["productIntegration"] == stored
    assert stored["lastModified"] == START_MS + 1000
    typename = EXPECTED_TYPENAME[name]
    assert (stored["ssoConfiguration"] or {}).get("__typename") == typename
    if key:
        assert payload[key] == {k: v for k, v in stored["ssoConfiguration"].items()
                                if k != "__typename"}


@by_name
async def test_admin_succeeds_on_any_vendors_integration(world, name, document, prerequisite,
                                                         fields, key):
    integration_id = await prepared(world, prerequisite)

    payload = await call(world, document, integration_id, fields, world.admin)

    assert payload["userErrors"] == []
    assert payload["productIntegration"]["id"] == integration_id
    stored = (await read(world, integration_id))["ssoConfiguration"]
    assert (stored or {}).get("__typename") == EXPECTED_TYPENAME[name]


@by_name
async def test_unknown_or_integer_id_is_not_found_and_nothing_written(
        world, name, document, prerequisite, fields, key):
    await prepared(world, prerequisite)
    before = await dump_tables(world.db)

    payload = await call(world, document, 34827, fields, world.admin)

    assert payload["userErrors"] == [user_error(
        name[0].upper() + name[1:], "Integration not found.",
        ["input", "integrationConfigurationId"], "NOT_FOUND")]
    assert await dump_tables(world.db) == before


@by_name
async def test_published_snapshot_cannot_be_changed(world, name, document, prerequisite, fields, key):
    integration_id = await prepared(world, prerequisite)
    snapshot_id = await publish(world, integration_id)
    before = await dump_tables(world.db)

    payload = await call(world, document, snapshot_id, fields)

    assert payload["userErrors"] == [user_error(
        name[0].upper() + name[1:],
        "Published snapshots cannot be changed; edit the WORKING version.",
        ["input", "integrationConfigurationId"], "PUBLISHED_SNAPSHOT")]
    assert await dump_tables(world.db) == before


# --- the seed's OpenID Connect step ------------------------------------------------------------

async def test_seed_openid_connect_mutation_runs_verbatim(world, integration):
    data = await world.api.data(SEED_OIDC % integration, None, world.dev_a)

    assert data == {"addProductIntegrationOpenIdConnectConfiguration": {
        "openIdConnectConfiguration": {"clientCreationMethod": "PER_SUBSCRIPTION",
                                       "grantTypes": ["AUTHORIZATION_CODE"],
                                       "redirectUrls": ["YOUR_REDIRECT_URLS"]}}}


async def test_seed_placeholders_are_stored_as_given(world, integration):
    await world.api.data(SEED_OIDC % integration, None, world.dev_a)

    stored = await read(world, integration)

    assert stored["ssoConfiguration"] == {
        "__typename": "OpenIdConnectConfiguration", "clientCreationMethod": "PER_SUBSCRIPTION",
        "grantTypes": ["AUTHORIZATION_CODE"], "redirectUrls": ["YOUR_REDIRECT_URLS"],
        "allowOidcScope": False, "allowUserScopes": False, "allowRoleScopes": False,
        "initiateLoginUrl": "YOUR_INITIATE_LOGIN_URL", "logoutUrl": "YOUR_LOGOUT_URL"}


async def test_seed_placeholders_are_listed_as_validation_errors(world, integration):
    await world.api.data(SEED_OIDC % integration, None, world.dev_a)

    stored = await read(world, integration)

    assert stored["validationErrors"] == [
        {"path": ["ssoConfiguration", "redirectUrls", "0"], "code": "INVALID_URL",
         "message": "redirectUrls must be an absolute http(s) URL."},
        {"path": ["ssoConfiguration", "initiateLoginUrl"], "code": "INVALID_URL",
         "message": "initiateLoginUrl must be an absolute http(s) URL."},
        {"path": ["ssoConfiguration", "logoutUrl"], "code": "INVALID_URL",
         "message": "logoutUrl must be an absolute http(s) URL."},
    ]


async def test_seed_configuration_still_publishes(world, integration):
    await world.api.data(SEED_OIDC % integration, None, world.dev_a)

    snapshot_id = await publish(world, integration)

    snapshot = await read(world, snapshot_id)
    assert snapshot["version"] == "PUBLISHED"
    assert snapshot["ssoConfiguration"]["redirectUrls"] == ["YOUR_REDIRECT_URLS"]
    assert len(snapshot["validationErrors"]) == 3


# --- OpenID Connect ------------------------------------------------------------------------

async def test_oidc_with_valid_urls_has_no_validation_errors(world, integration):
    payload = await call(world, ADD_OIDC, integration, OIDC)

    assert payload["openIdConnectConfiguration"] == OIDC_STORED
    assert payload["productIntegration"]["validationErrors"] == []


async def test_oidc_defaults_apply_to_fields_left_out(world, integration):
    payload = await call(world, ADD_OIDC, integration, {
        "clientCreationMethod": "PER_ENVIRONMENT", "grantTypes": ["AUTHORIZATION_CODE"]})

    assert payload["openIdConnectConfiguration"] == {
        "clientCreationMethod": "PER_ENVIRONMENT", "grantTypes": ["AUTHORIZATION_CODE"],
        "redirectUrls": [], "allowOidcScope": True, "allowUserScopes": False,
        "allowRoleScopes": False, "initiateLoginUrl": None, "logoutUrl": None}


async def test_oidc_without_redirect_urls_is_listed_as_validation_error(world, integration):
    payload = await call(world, ADD_OIDC, integration, OIDC | {"redirectUrls": []})

    assert payload["userErrors"] == []
    assert payload["productIntegration"]["validationErrors"] == [
        {"path": ["ssoConfiguration", "redirectUrls"], "code": "REQUIRED",
         "message": "At least one redirect URL is needed for OpenID Connect logins."}]


async def test_oidc_grant_types_are_deduplicated_in_order(world, integration):
    payload = await call(world, ADD_OIDC, integration, OIDC | {
        "grantTypes": ["AUTHORIZATION_CODE", "REFRESH_TOKEN", "AUTHORIZATION_CODE"]})

    assert payload["openIdConnectConfiguration"]["grantTypes"] == ["AUTHORIZATION_CODE",
                                                                  "REFRESH_TOKEN"]


async def test_oidc_invalid_choices_are_refused_and_nothing_written(world, integration):
    before = await dump_tables(world.db)

    payload = await call(world, ADD_OIDC, integration, OIDC | {
        "clientCreationMethod": "PER_USER", "grantTypes": ["AUTHORIZATION_CODE", "IMPLICIT"]})

    assert payload == {"openIdConnectConfiguration": None, "productIntegration": None, "userErrors": [
        user_error("AddProductIntegrationOpenIdConnectConfiguration",
                   "clientCreationMethod must be one of PER_SUBSCRIPTION, PER_MARKETPLACE, "
                   "PER_ENVIRONMENT.", ["input", "clientCreationMethod"], "INVALID"),
        user_error("AddProductIntegrationOpenIdConnectConfiguration",
                   "grantTypes must be among AUTHORIZATION_CODE, REFRESH_TOKEN.",
                   ["input", "grantTypes"], "INVALID"),
    ]}
    assert await dump_tables(world.db) == before


async def test_oidc_grant_types_must_include_authorization_code(world, integration):
    before = await dump_tables(world.db)

    payload = await call(world, ADD_OIDC, integration, OIDC | {"grantTypes": ["REFRESH_TOKEN"]})

    assert payload["userErrors"] == [user_error(
        "AddProductIntegrationOpenIdConnectConfiguration",
        "grantTypes must include AUTHORIZATION_CODE.", ["input", "grantTypes"], "INVALID")]
    assert await dump_tables(world.db) == before


async def test_oidc_required_fields_are_reported_and_nothing_written(world, integration):
    before = await dump_tables(world.db)

    payload = await call(world, ADD_OIDC, integration, {"redirectUrls": ["https://app.example/cb"]})

    assert payload["userErrors"] == [
        user_error("AddProductIntegrationOpenIdConnectConfiguration",
                   "clientCreationMethod is required.", ["input", "clientCreationMethod"], "REQUIRED"),
        user_error("AddProductIntegrationOpenIdConnectConfiguration",
                   "grantTypes is required.", ["input", "grantTypes"], "REQUIRED"),
    ]
    assert await dump_tables(world.db) == before


async def test_oidc_accepts_twenty_redirect_urls(world, integration):
    urls = [f"https://app.example/cb/{i}" for i in range(20)]

    payload = await call(world, ADD_OIDC, integration, OIDC | {"redirectUrls": urls})

    assert payload["userErrors"] == []
    assert payload["openIdConnectConfiguration"]["redirectUrls"] == urls


async def test_oidc_refuses_too_many_redirect_urls_and_nothing_written(world, integration):
    before = await dump_tables(world.db)
    urls = [f"https://app.example/cb/{i}" for i in range(21)]

    payload = await call(world, ADD_OIDC, integration, OIDC | {"redirectUrls": urls})

    assert payload["userErrors"] == [user_error(
        "AddProductIntegrationOpenIdConnectConfiguration", "redirectUrls takes at most 20 URLs.",
        ["input", "redirectUrls"], "TOO_MANY")]
    assert await dump_tables(world.db) == before


async def test_oidc_refuses_a_too_long_url_and_nothing_written(world, integration):
    before = await dump_tables(world.db)

    payload = await call(world, ADD_OIDC, integration,
                         OIDC | {"logoutUrl": "https://app.example/" + "x" * 1005})

    assert payload["userErrors"] == [user_error(
        "AddProductIntegrationOpenIdConnectConfiguration",
        "logoutUrl must be at most 1024 characters.", ["input", "logoutUrl"], "TOO_LONG")]
    assert await dump_tables(world.db) == before


# --- SAML --------------------------------------------------------------------------------

async def test_saml_defaults_apply_to_fields_left_out(world, integration):
    payload = await call(world, ADD_SAML, integration, SAML)

    assert payload["userErrors"] == []
    assert payload["samlConfiguration"] == SAML_DEFAULTS
    assert payload["productIntegration"]["validationErrors"] == []


async def test_saml_stores_every_field_given(world, integration):
    given = SAML | {
        "idpConfigurationCreationMethod": "PER_MARKETPLACE",
        "serviceProviderInitiatedLoginUrl": "https://app.example/saml/login",
        "nameId": "{user.uuid}", "nameIdFormat": "PERSISTENT",
        "responseSignatureMode": "RESPONSE_AND_ASSERTION", "responseSignatureAlgorithm": "RSA_SHA512",
        "relayState": "/dashboard", "responseField": "Response", "encodeResponse": False,
        "assertionAttributes": [{"name": " company ", "value": "{company.uuid}"}],
        "notBeforeMinutes": 0, "notAfterMinutes": 1440,
    }

    payload = await call(world, ADD_SAML, integration, given)

    assert payload["samlConfiguration"] == SAML_DEFAULTS | given | {
        "assertionAttributes": [{"name": "company", "value": "{company.uuid}"}]}


async def test_saml_invalid_choices_are_refused_and_nothing_written(world, integration):
    before = await dump_tables(world.db)

    payload = await call(world, ADD_SAML, integration, SAML | {
        "version": "1.1", "idpConfigurationCreationMethod": "PER_USER", "nameIdFormat": "X509",
        "responseSignatureMode": "NONE", "responseSignatureAlgorithm": "HMAC_SHA256"})

    name = "AddProductIntegrationSamlConfiguration"
    assert payload["userErrors"] == [
        user_error(name, "version must be one of 2.0.", ["input", "version"], "INVALID"),
        user_error(name, "idpConfigurationCreationMethod must be one of PER_SUBSCRIPTION, "
                   "PER_MARKETPLACE, PER_ENVIRONMENT.", ["input", "idpConfigurationCreationMethod"],
                   "INVALID"),
        user_error(name, "nameIdFormat must be one of EMAIL, UNSPECIFIED, PERSISTENT, TRANSIENT.",
                   ["input", "nameIdFormat"], "INVALID"),
        user_error(name, "responseSignatureMode must be one of RESPONSE, ASSERTION, "
                   "RESPONSE_AND_ASSERTION.", ["input", "responseSignatureMode"], "INVALID"),
        user_error(name, "responseSignatureAlgorithm must be one of RSA_SHA1, RSA_SHA256, RSA_SHA512.",
                   ["input", "responseSignatureAlgorithm"], "INVALID"),
    ]
    assert await dump_tables(world.db) == before


async def test_saml_required_fields_are_reported_and_nothing_written(world, integration):
    before = await dump_tables(world.db)

    payload = await call(world, ADD_SAML, integration, {"serviceProviderEntityId": ""})

    assert payload == {"samlConfiguration": None, "productIntegration": None, "userErrors": [
        user_error("AddProductIntegrationSamlConfiguration", "serviceProviderEntityId is required.",
                   ["input", "serviceProviderEntityId"], "REQUIRED"),
        user_error("AddProductIntegrationSamlConfiguration",
                   "assertionConsumerServiceUrl is required.",
                   ["input", "assertionConsumerServiceUrl"], "REQUIRED"),
    ]}
    assert await dump_tables(world.db) == before


async def test_saml_duplicate_attribute_names_are_refused_and_nothing_written(world, integration):
    before = await dump_tables(world.db)

    payload = await call(world, ADD_SAML, integration, SAML | {"assertionAttributes": [
        {"name": "email", "value": "{user.email}"}, {"name": " email ", "value": "{user.uuid}"}]})

    assert payload["userErrors"] == [user_error(
        "AddProductIntegrationSamlConfiguration", "assertionAttributes names must be unique.",
        ["input", "assertionAttributes"], "DUPLICATE")]
    assert await dump_tables(world.db) == before


async def test_saml_attribute_without_name_is_refused(world, integration):
    before = await dump_tables(world.db)

    payload = await call(world, ADD_SAML, integration, SAML | {"assertionAttributes": [
        {"name": "  ", "value": "{user.email}"}]})

    assert payload["userErrors"] == [user_error(
        "AddProductIntegrationSamlConfiguration",
        "each of assertionAttributes needs a name and a value of at most 1024 characters.",
        ["input", "assertionAttributes"], "INVALID")]
    assert await dump_tables(world.db) == before


@pytest.mark.parametrize("minutes", [0, 1440])
async def test_saml_not_before_minutes_accepts_its_bounds(world, integration, minutes):
    payload = await call(world, ADD_SAML, integration, SAML | {"notBeforeMinutes": minutes})

    assert payload["userErrors"] == []
    assert payload["samlConfiguration"]["notBeforeMinutes"] == minutes


@pytest.mark.parametrize("minutes", [-1, 1441])
async def test_saml_not_before_minutes_out_of_range_is_refused(world, integration, minutes):
    before = await dump_tables(world.db)

    payload = await call(world, ADD_SAML, integration, SAML | {"notBeforeMinutes": minutes})

    assert payload["userErrors"] == [user_error(
        "AddProductIntegrationSamlConfiguration", "notBeforeMinutes must be between 0 and 1440.",
        ["input", "notBeforeMinutes"], "INVALID")]
    assert await dump_tables(world.db) == before


async def test_saml_not_after_minutes_must_be_at_least_one(world, integration):
    before = await dump_tables(world.db)

    payload = await call(world, ADD_SAML, integration, SAML | {"notAfterMinutes": 0})

    assert payload["userErrors"] == [user_error(
        "AddProductIntegrationSamlConfiguration", "notAfterMinutes must be between 1 and 1440.",
        ["input", "notAfterMinutes"], "INVALID")]
    assert await dump_tables(world.db) == before


async def test_saml_unknown_placeholders_are_listed_as_validation_errors(world, integration):
    payload = await call(world, ADD_SAML, integration, SAML | {
        "nameId": "{user.shoeSize}",
        "assertionAttributes": [{"name": "shoe", "value": "{user.shoeSize} {company.uuid}"}]})

    assert payload["userErrors"] == []
    assert payload["productIntegration"]["validationErrors"] == [
        {"path": ["ssoConfiguration", "nameId"], "code": "UNKNOWN_PLACEHOLDER",
         "message": "Unknown placeholder {user.shoeSize}."},
        {"path": ["ssoConfiguration", "assertionAttributes", "0", "value"],
         "code": "UNKNOWN_PLACEHOLDER", "message": "Unknown placeholder {user.shoeSize}."},
    ]


# --- Bookmark ------------------------------------------------------------------------------

async def test_bookmark_with_known_placeholder_has_no_validation_errors(world, integration):
    payload = await call(world, ADD_BOOKMARK, integration, BOOKMARK)

    assert payload["bookmarkConfiguration"] == BOOKMARK
    assert payload["productIntegration"]["validationErrors"] == []


async def test_bookmark_url_is_required(world, integration):
    before = await dump_tables(world.db)

    payload = await call(world, ADD_BOOKMARK, integration, {})

    assert payload == {"bookmarkConfiguration": None, "productIntegration": None, "userErrors": [
        user_error("AddProductIntegrationBookmarkConfiguration", "url is required.",
                   ["input", "url"], "REQUIRED")]}
    assert await dump_tables(world.db) == before


async def test_bookmark_unknown_placeholder_is_listed_as_validation_error(world, integration):
    payload = await call(world, ADD_BOOKMARK, integration,
                         {"url": "https://app.example/launch?size={user.shoeSize}"})

    assert payload["userErrors"] == []
    assert payload["productIntegration"]["validationErrors"] == [
        {"path": ["ssoConfiguration", "url"], "code": "UNKNOWN_PLACEHOLDER",
         "message": "Unknown placeholder {user.shoeSize}."}]


async def test_bookmark_placeholder_url_is_accepted_and_listed(world, integration):
    payload = await call(world, ADD_BOOKMARK, integration, {"url": "YOUR_BOOKMARK_URL"})

    assert payload["bookmarkConfiguration"] == {"url": "YOUR_BOOKMARK_URL"}
    assert payload["productIntegration"]["validationErrors"] == [
        {"path": ["ssoConfiguration", "url"], "code": "INVALID_URL",
         "message": "url must be an absolute http(s) URL."}]


# --- one configuration per integration -----------------------------------------------------

async def test_second_add_is_refused_with_sso_already_configured(world, integration):
    await call(world, ADD_OIDC, integration, OIDC)
    before = await dump_tables(world.db)

    payload = await call(world, ADD_SAML, integration, SAML)

    assert payload == {"samlConfiguration": None, "productIntegration": None, "userErrors": [
        user_error("AddProductIntegrationSamlConfiguration",
                   "This integration already has an OpenID Connect configuration; "
                   "update or remove it instead.",
                   ["input", "integrationConfigurationId"], "SSO_ALREADY_CONFIGURED")]}
    assert await dump_tables(world.db) == before


async def test_adding_the_same_kind_twice_is_refused(world, integration):
    await call(world, ADD_BOOKMARK, integration, BOOKMARK)
    before = await dump_tables(world.db)

    payload = await call(world, ADD_BOOKMARK, integration, {"url": "https://app.example/other"})

    assert payload["userErrors"] == [user_error(
        "AddProductIntegrationBookmarkConfiguration",
        "This integration already has a Bookmark configuration; update or remove it instead.",
        ["input", "integrationConfigurationId"], "SSO_ALREADY_CONFIGURED")]
    assert await dump_tables(world.db) == before


async def test_update_without_any_configuration_is_sso_not_configured(world, integration):
    before = await dump_tables(world.db)

    payload = await call(world, UPDATE_SAML, integration, {"relayState": "/home"})

    assert payload == {"samlConfiguration": None, "productIntegration": None, "userErrors": [
        user_error("UpdateProductIntegrationSamlConfiguration",
                   "This integration has no SAML configuration to update.",
                   ["input", "integrationConfigurationId"], "SSO_NOT_CONFIGURED")]}
    assert await dump_tables(world.db) == before


async def test_update_of_another_kind_is_sso_not_configured(world, integration):
    await call(world, ADD_BOOKMARK, integration, BOOKMARK)
    before = await dump_tables(world.db)

    payload = await call(world, UPDATE_OIDC, integration, {"allowUserScopes": True})

    assert payload["userErrors"] == [user_error(
        "UpdateProductIntegrationOpenIdConnectConfiguration",
        "This integration has no OpenID Connect configuration to update.",
        ["input", "integrationConfigurationId"], "SSO_NOT_CONFIGURED")]
    assert await dump_tables(world.db) == before


async def test_remove_without_configuration_is_sso_not_configured(world, integration):
    before = await dump_tables(world.db)

    payload = await call(world, REMOVE, integration, {})

    assert payload == {"productIntegration": None, "userErrors": [
        user_error("RemoveProductIntegrationSsoConfiguration",
                   "This integration has no SSO configuration.",
                   ["input", "integrationConfigurationId"], "SSO_NOT_CONFIGURED")]}
    assert await dump_tables(world.db) == before


async def test_remove_clears_configuration_and_its_validation_errors(world, integration):
    await world.api.data(SEED_OIDC % integration, None, world.dev_a)

    payload = await call(world, REMOVE, integration, {})

    assert payload["productIntegration"]["ssoConfiguration"] is None
    assert payload["productIntegration"]["validationErrors"] == []
    assert (await read(world, integration))["ssoConfiguration"] is None


async def test_after_remove_another_kind_can_be_added(world, integration):
    await call(world, ADD_OIDC, integration, OIDC)
    await call(world, REMOVE, integration, {})

    payload = await call(world, ADD_SAML, integration, SAML)

    assert payload["userErrors"] == []
    assert (await read(world, integration))["ssoConfiguration"]["__typename"] == "SamlConfiguration"


# --- updates -------------------------------------------------------------------------------

async def test_oidc_update_changes_only_the_fields_given(world, integration):
    await call(world, ADD_OIDC, integration, OIDC)
    world.clock.advance(5000)

    payload = await call(world, UPDATE_OIDC, integration, {
        "grantTypes": ["AUTHORIZATION_CODE", "REFRESH_TOKEN"], "allowRoleScopes": True})

    assert payload["openIdConnectConfiguration"] == OIDC_STORED | {
        "grantTypes": ["AUTHORIZATION_CODE", "REFRESH_TOKEN"], "allowRoleScopes": True}
    assert payload["productIntegration"]["lastModified"] == START_MS + 5000


async def test_saml_update_with_null_restores_the_default(world, integration):
    await call(world, ADD_SAML, integration, SAML | {"notBeforeMinutes": 30, "relayState": "/x"})

    payload = await call(world, UPDATE_SAML, integration, {"notBeforeMinutes": None,
                                                           "relayState": None})

    assert payload["samlConfiguration"] == SAML_DEFAULTS


async def test_update_cannot_clear_a_required_field(world, integration):
    await call(world, ADD_SAML, integration, SAML)
    before = await dump_tables(world.db)

    payload = await call(world, UPDATE_SAML, integration, {"serviceProviderEntityId": None})

    assert payload["userErrors"] == [user_error(
        "UpdateProductIntegrationSamlConfiguration", "serviceProviderEntityId is required.",
        ["input", "serviceProviderEntityId"], "REQUIRED")]
    assert await dump_tables(world.db) == before


async def test_update_checks_values_like_add(world, integration):
    await call(world, ADD_BOOKMARK, integration, BOOKMARK)
    before = await dump_tables(world.db)

    payload = await call(world, UPDATE_BOOKMARK, integration,
                         {"url": "https://app.example/" + "x" * 1010})

    assert payload["userErrors"] == [user_error(
        "UpdateProductIntegrationBookmarkConfiguration", "url must be at most 1024 characters.",
        ["input", "url"], "TOO_LONG")]
    assert await dump_tables(world.db) == before


# --- clientCreationMethod after publishing -------------------------------------------------

async def test_client_creation_method_can_change_before_publishing(world, integration):
    await call(world, ADD_OIDC, integration, OIDC)

    payload = await call(world, UPDATE_OIDC, integration, {"clientCreationMethod": "PER_MARKETPLACE"})

    assert payload["userErrors"] == []
    assert payload["openIdConnectConfiguration"]["clientCreationMethod"] == "PER_MARKETPLACE"


async def test_client_creation_method_is_frozen_after_publishing(world, integration):
    await call(world, ADD_OIDC, integration, OIDC)
    await publish(world, integration)
    before = await dump_tables(world.db)

    payload = await call(world, UPDATE_OIDC, integration, {"clientCreationMethod": "PER_MARKETPLACE"})

    assert payload == {"openIdConnectConfiguration": None, "productIntegration": None, "userErrors": [
        user_error("UpdateProductIntegrationOpenIdConnectConfiguration",
                   "clientCreationMethod is PER_SUBSCRIPTION in a published version and cannot change.",
                   ["input", "clientCreationMethod"], "FROZEN_AFTER_PUBLISH")]}
    assert await dump_tables(world.db) == before


async def test_other_oidc_fields_can_change_after_publishing(world, integration):
    await call(world, ADD_OIDC, integration, OIDC)
    await publish(world, integration)

    payload = await call(world, UPDATE_OIDC, integration, {
        "clientCreationMethod": "PER_SUBSCRIPTION", "allowUserScopes": True})

    assert payload["userErrors"] == []
    assert payload["openIdConnectConfiguration"] == OIDC_STORED | {"allowUserScopes": True}


async def test_removing_and_re_adding_cannot_change_a_published_method(world, integration):
    await call(world, ADD_OIDC, integration, OIDC)
    await publish(world, integration)
    await call(world, REMOVE, integration, {})
    before = await dump_tables(world.db)

    payload = await call(world, ADD_OIDC, integration, OIDC | {"clientCreationMethod": "PER_ENVIRONMENT"})

    assert payload["userErrors"] == [user_error(
        "AddProductIntegrationOpenIdConnectConfiguration",
        "clientCreationMethod is PER_SUBSCRIPTION in a published version and cannot change.",
        ["input", "clientCreationMethod"], "FROZEN_AFTER_PUBLISH")]
    assert await dump_tables(world.db) == before


async def test_a_published_snapshot_without_oidc_does_not_freeze_the_method(world, integration):
    await call(world, ADD_BOOKMARK, integration, BOOKMARK)
    await publish(world, integration)
    await call(world, REMOVE, integration, {})

    payload = await call(world, ADD_OIDC, integration, OIDC | {"clientCreationMethod": "PER_ENVIRONMENT"})

    assert payload["userErrors"] == []
    assert payload["openIdConnectConfiguration"]["clientCreationMethod"] == "PER_ENVIRONMENT"


# --- reading back --------------------------------------------------------------------------

async def test_snapshot_keeps_its_configuration_when_working_changes(world, integration):
    await call(world, ADD_BOOKMARK, integration, BOOKMARK)
    snapshot_id = await publish(world, integration)

    await call(world, REMOVE, integration, {})

    assert (await read(world, snapshot_id))["ssoConfiguration"] == {
        "__typename": "BookmarkConfiguration", "url": BOOKMARK["url"]}


async def test_integration_without_sso_reads_null(world, integration):
    stored = await read(world, integration)

    assert stored["ssoConfiguration"] is None
    assert stored["validationErrors"] == []


@pytest.mark.parametrize("document, fields, expected", [
    (ADD_BOOKMARK, BOOKMARK, {"__typename": "BookmarkConfiguration"} | BOOKMARK),
    (ADD_OIDC, OIDC, {"__typename": "OpenIdConnectConfiguration"} | OIDC_STORED),
    (ADD_SAML, SAML, {"__typename": "SamlConfiguration"} | SAML_DEFAULTS),
], ids=["bookmark", "openIdConnect", "saml"])
async def test_sso_configuration_reads_back_as_its_union_member(world, integration, document,
                                                                fields, expected):
    await call(world, document, integration, fields)

    stored = await read(world, integration)

    assert stored["ssoConfiguration"] == expected


async def test_other_vendors_developer_cannot_read_the_configuration(world, integration):
    await call(world, ADD_BOOKMARK, integration, BOOKMARK)

    data = await world.api.data(READ, {"id": integration}, world.dev_b)

    assert data == {"productIntegration": None}


async def test_method_stays_frozen_when_a_later_snapshot_has_no_openid_connect(world, integration):
    await call(world, ADD_OIDC, integration, OIDC)
    await publish(world, integration)
    await call(world, REMOVE, integration, {})
    await publish(world, integration)

    payload = await call(world, ADD_OIDC, integration, OIDC | {"clientCreationMethod": "PER_MARKETPLACE"})

    assert payload["userErrors"] == [user_error(
        "AddProductIntegrationOpenIdConnectConfiguration",
        "clientCreationMethod is PER_SUBSCRIPTION in a published version and cannot change.",
        ["input", "clientCreationMethod"], "FROZEN_AFTER_PUBLISH")]


async def test_whitespace_only_required_field_is_missing(world, integration):
    before = await dump_tables(world.db)

    payload = await call(world, ADD_SAML, integration, SAML | {"serviceProviderEntityId": "   "})

    assert payload["userErrors"] == [user_error(
        "AddProductIntegrationSamlConfiguration", "serviceProviderEntityId is required.",
        ["input", "serviceProviderEntityId"], "REQUIRED")]
    assert await dump_tables(world.db) == before

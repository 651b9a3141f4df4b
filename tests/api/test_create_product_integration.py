"""createProductIntegration, per caller: anonymous, other vendor's developer, own developer, admin."""

from tests.helpers import START_MS, dump_tables

CREATE = """
mutation Create($input: CreateProductIntegrationInput!) {
  createProductIntegration(input: $input) {
    productIntegration {
      id integrationId vendorId version type name createUrl cancelUrl notifyUrl
      createUrlInteractive createdOn lastModified
      outboundCredentials { type clientId clientSecret tokenUri grantType scope username password }
    }
    userErrors { __typename message path code }
  }
}
"""

VALID = {
    "name": "Docs Integration",
    "createUrl": "https://host.example/create?url={eventUrl}",
    "cancelUrl": "https://host.example/cancel",
    "createUrlInteractive": True,
    "outboundCredentials": {"type": "OAUTH2", "clientId": "123456", "clientSecret": "S3cre1!",
                            "tokenUri": "https://host.example/token", "grantType": "client_credentials"},
}


async def test_developer_creates_for_own_vendor_with_secret_masked(world):
    data = await world.api.data(CREATE, {"input": VALID}, world.dev_a)

    payload = data["createProductIntegration"]
    created = payload["productIntegration"]
    assert payload["userErrors"] == []
    assert created["id"] == created["integrationId"]
    assert {k: v for k, v in created.items() if k not in ("id", "integrationId")} == {
        "vendorId": world.vendor_a, "version": "WORKING", "type": "FULL_INTEGRATION",
        "name": "Docs Integration", "createUrl": "https://host.example/create?url={eventUrl}",
        "cancelUrl": "https://host.example/cancel", "notifyUrl": None,
        "createUrlInteractive": True, "createdOn": START_MS, "lastModified": START_MS,
        "outboundCredentials": {"type": "OAUTH2", "clientId": "123456", "clientSecret": "********",
                                "tokenUri": "https://host.example/token",
                                "grantType": "client_credentials", "scope": None,
                                "username": None, "password": None},
    }


async def test_secret_is_encrypted_at_rest(world):
    await world.api.data(CREATE, {"input": VALID}, world.dev_a)

    rows = (await dump_tables(world.db))["integration_versions"]
    assert len(rows) == 1
    assert "S3cre1!" not in repr(rows)


async def test_anonymous_caller_is_refused_and_nothing_written(world):
    before = await dump_tables(world.db)

    response = await world.api.post(CREATE, {"input": VALID})

    assert response.status_code == 401
    assert response.json() == {"errors": [{
        "message": "Authentication required: send Authorization: Bearer <API token>.",
        "extensions": {"code": "UNAUTHENTICATED"}}]}
    assert await dump_tables(world.db) == before


async def test_unknown_token_is_refused(world):
    response = await world.api.post(CREATE, {"input": VALID}, token="mlk_not-a-real-token")

    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == "The API token is unknown or revoked."


async def test_developer_cannot_create_for_another_vendor(world):
    before = await dump_tables(world.db)

    data = await world.api.data(CREATE, {"input": VALID | {"vendorId": world.vendor_b}}, world.dev_a)

    assert data["createProductIntegration"] == {"productIntegration": None, "userErrors": [{
        "__typename": "CreateProductIntegrationError", "message": "Vendor not found.",
        "path": ["input", "vendorId"], "code": "NOT_FOUND"}]}
    assert await dump_tables(world.db) == before


async def test_admin_must_name_the_vendor(world):
    before = await dump_tables(world.db)

    data = await world.api.data(CREATE, {"input": VALID}, world.admin)

    assert data["createProductIntegration"]["userErrors"] == [{
        "__typename": "CreateProductIntegrationError",
        "message": "vendorId is required for administrators.",
        "path": ["input", "vendorId"], "code": "REQUIRED"}]
    assert await dump_tables(world.db) == before


async def test_admin_creates_for_any_vendor(world):
    data = await world.api.data(CREATE, {"input": VALID | {"vendorId": world.vendor_b}}, world.admin)

    assert data["createProductIntegration"]["productIntegration"]["vendorId"] == world.vendor_b
    assert data["createProductIntegration"]["userErrors"] == []


async def test_every_mistake_is_reported_and_nothing_written(world):
    before = await dump_tables(world.db)
    bad = {
        "name": "  ",
        "createUrl": "ftp://host.example/create",
        "upgradeUrl": "https://host.example/up?x={subscription}",
        "outboundCredentials": {"type": "OAUTH2", "clientId": "", "tokenUri": "not a url",
                                "username": "bob"},
    }

    data = await world.api.data(CREATE, {"input": bad}, world.dev_a)

    assert data["createProductIntegration"] == {"productIntegration": None, "userErrors": [
        {"__typename": "CreateProductIntegrationError", "message": "name is required.",
         "path": ["input", "name"], "code": "REQUIRED"},
        {"__typename": "CreateProductIntegrationError",
         "message": "createUrl must be an absolute http(s) URL.",
         "path": ["input", "createUrl"], "code": "INVALID_URL"},
        {"__typename": "CreateProductIntegrationError",
         "message": "upgradeUrl unknown placeholder {subscription}; use {eventUrl}, {url} or {token}.",
         "path": ["input", "upgradeUrl"], "code": "INVALID_URL"},
        {"__typename": "CreateProductIntegrationError",
         "message": "username is not used by OAUTH2 credentials.",
         "path": ["input", "outboundCredentials", "username"], "code": "NOT_ALLOWED"},
        {"__typename": "CreateProductIntegrationError", "message": "clientId is required.",
         "path": ["input", "outboundCredentials", "clientId"], "code": "REQUIRED"},
        {"__typename": "CreateProductIntegrationError",
         "message": "tokenUri must not contain whitespace.",
         "path": ["input", "outboundCredentials", "tokenUri"], "code": "INVALID_URL"},
        {"__typename": "CreateProductIntegrationError", "message": "clientSecret is required.",
         "path": ["input", "outboundCredentials", "clientSecret"], "code": "REQUIRED"},
    ]}
    assert await dump_tables(world.db) == before


async def test_text_with_control_characters_is_refused_on_every_database(world):
    before = await dump_tables(world.db)

    data = await world.api.data(CREATE, {"input": VALID | {
        "name": "Docs\x00Integration",
        "outboundCredentials": VALID["outboundCredentials"] | {"clientSecret": "S3cre\x07t"}}},
        world.dev_a)

    assert data["createProductIntegration"]["userErrors"] == [
        {"__typename": "CreateProductIntegrationError",
         "message": "Text must not contain control characters.", "path": ["input", "name"],
         "code": "INVALID"},
        {"__typename": "CreateProductIntegrationError",
         "message": "Text must not contain control characters.",
         "path": ["input", "outboundCredentials", "clientSecret"], "code": "INVALID"}]
    assert await dump_tables(world.db) == before


async def test_event_url_with_credentials_is_refused(world):
    data = await world.api.data(CREATE, {"input": VALID | {
        "cancelUrl": "https://user:pw@host.example/cancel"}}, world.dev_a)

    assert data["createProductIntegration"]["userErrors"] == [{
        "__typename": "CreateProductIntegrationError",
        "message": "cancelUrl must not contain a user name or password; use outboundCredentials.",
        "path": ["input", "cancelUrl"], "code": "INVALID_URL"}]

"""updateProductIntegration, per caller: anonymous, other vendor's developer, own developer, admin."""

from sqlalchemy import select

from marketlink.storage.tables import integration_versions
from tests.helpers import START_MS, dump_tables

FIELDS = """
  id integrationId vendorId version type name createUrl upgradeUrl cancelUrl notifyUrl
  eventStatusUrl assignUrl unassignUrl addonNotificationUrl userUpdatedUrl
  createUrlInteractive upgradeUrlInteractive cancelUrlInteractive createdOn lastModified
  outboundCredentials { type clientId clientSecret tokenUri grantType scope username password
                        consumerKey consumerSecret }
"""

CREATE = f"""
mutation Create($input: CreateProductIntegrationInput!) {{
  createProductIntegration(input: $input) {{
    productIntegration {{ {FIELDS} }}
    userErrors {{ __typename message path code }}
  }}
}}
"""

UPDATE = f"""
mutation Update($input: UpdateProductIntegrationInput!) {{
  updateProductIntegration(input: $input) {{
    productIntegration {{ {FIELDS} }}
    userErrors {{ __typename message path code }}
  }}
}}
"""

READ = f"query Read($id: ID!) {{ productIntegration(id: $id) {{ {FIELDS} }} }}"

PUBLISH = """
mutation Publish($input: PublishProductIntegrationInput!) {
  publishProductIntegration(input: $input) { productIntegration { id } userErrors { code } }
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


async def create_integration(world, token=None, **fields) -> dict:
    data = await world.api.data(CREATE, {"input": VALID | fields}, token or world.dev_a)
    assert data["createProductIntegration"]["userErrors"] == []
    return data["createProductIntegration"]["productIntegration"]


async def stored_secret(world, version_id) -> str | None:
    """The encrypted secret column of a version, as stored."""
    async with world.db.read() as conn:
        return (await conn.execute(select(integration_versions.c.credentials_secret)
                                   .where(integration_versions.c.id == version_id))).scalar_one()


def update_error(message, path, code):
    return {"__typename": "UpdateProductIntegrationError", "message": message, "path": path,
            "code": code}


async def test_developer_updates_own_integration(world):
    created = await create_integration(world)
    world.clock.advance(7_000)

    data = await world.api.data(UPDATE, {"input": {
        "id": created["id"], "name": "Renamed", "upgradeUrl": "https://host.example/up?token={token}",
        "notifyUrl": "http://host.example/notify", "upgradeUrlInteractive": True,
    }}, world.dev_a)

    assert data["updateProductIntegration"] == {"userErrors": [], "productIntegration": created | {
        "name": "Renamed", "upgradeUrl": "https://host.example/up?token={token}",
        "notifyUrl": "http://host.example/notify", "upgradeUrlInteractive": True,
        "lastModified": START_MS + 7_000}}


async def test_update_is_stored(world):
    created = await create_integration(world)
    world.clock.advance(10)

    await world.api.data(UPDATE, {"input": {"id": created["id"], "name": "Stored"}}, world.dev_a)

    data = await world.api.data(READ, {"id": created["id"]}, world.dev_a)
    assert data["productIntegration"] == created | {"name": "Stored", "lastModified": START_MS + 10}


async def test_fields_left_out_keep_their_values(world):
    created = await create_integration(world)

    data = await world.api.data(UPDATE, {"input": {"id": created["id"]}}, world.dev_a)

    assert data["updateProductIntegration"] == {"userErrors": [], "productIntegration": created}


async def test_null_clears_a_url_and_a_flag(world):
    created = await create_integration(world)

    data = await world.api.data(UPDATE, {"input": {
        "id": created["id"], "cancelUrl": None, "createUrlInteractive": None}}, world.dev_a)

    assert data["updateProductIntegration"]["productIntegration"] == created | {
        "cancelUrl": None, "createUrlInteractive": False}


async def test_null_removes_outbound_credentials(world):
    created = await create_integration(world)

    data = await world.api.data(UPDATE, {"input": {"id": created["id"], "outboundCredentials": None}},
                                world.dev_a)

    assert data["updateProductIntegration"]["productIntegration"]["outboundCredentials"] is None


async def test_credentials_without_secret_keep_the_stored_secret(world):
    created = await create_integration(world)
    secret_before = await stored_secret(world, created["id"])

    data = await world.api.data(UPDATE, {"input": {"id": created["id"], "outboundCredentials": {
        "type": "OAUTH2", "clientId": "654321", "tokenUri": "https://other.example/token"}}},
        world.dev_a)

    credentials = data["updateProductIntegration"]["productIntegration"]["outboundCredentials"]
    assert credentials == created["outboundCredentials"] | {
        "clientId": "654321", "tokenUri": "https://other.example/token"}
    assert await stored_secret(world, created["id"]) == secret_before


async def test_new_secret_replaces_the_stored_one_and_is_masked(world):
    created = await create_integration(world)
    secret_before = await stored_secret(world, created["id"])

    data = await world.api.data(UPDATE, {"input": {"id": created["id"], "outboundCredentials": {
        "type": "OAUTH2", "clientId": "123456", "clientSecret": "N3w-secret",
        "tokenUri": "https://host.example/token"}}}, world.dev_a)

    assert data["updateProductIntegration"]["productIntegration"]["outboundCredentials"][
        "clientSecret"] == "********"
    assert await stored_secret(world, created["id"]) not in (None, secret_before)
    assert "N3w-secret" not in repr(await dump_tables(world.db))


async def test_changing_credential_type_needs_the_new_secret(world):
    created = await create_integration(world)
    before = await dump_tables(world.db)

    data = await world.api.data(UPDATE, {"input": {"id": created["id"], "outboundCredentials": {
        "type": "BASIC", "username": "bob"}}}, world.dev_a)

    assert data["updateProductIntegration"] == {"productIntegration": None, "userErrors": [
        update_error("password is required.", ["input", "outboundCredentials", "password"],
                     "REQUIRED")]}
    assert await dump_tables(world.db) == before


async def test_switch_to_basic_credentials(world):
    created = await create_integration(world)

    data = await world.api.data(UPDATE, {"input": {"id": created["id"], "outboundCredentials": {
        "type": "BASIC", "username": "bob", "password": "hunter2"}}}, world.dev_a)

    assert data["updateProductIntegration"]["productIntegration"]["outboundCredentials"] == {
        "type": "BASIC", "clientId": None, "clientSecret": None, "tokenUri": None,
        "grantType": None, "scope": None, "username": "bob", "password": "********",
        "consumerKey": None, "consumerSecret": None}


async def test_anonymous_caller_is_refused_and_nothing_written(world):
    created = await create_integration(world)
    before = await dump_tables(world.db)

    response = await world.api.post(UPDATE, {"input": {"id": created["id"], "name": "X"}})

    assert response.status_code == 401
    assert response.json() == {"errors": [{
        "message": "Authentication required: send Authorization: Bearer <API token>.",
        "extensions": {"code": "UNAUTHENTICATED"}}]}
    assert await dump_tables(world.db) == before


async def test_other_vendors_developer_gets_not_found(world):
    created = await create_integration(world)
    before = await dump_tables(world.db)

    data = await world.api.data(UPDATE, {"input": {"id": created["id"], "name": "Stolen"}}, world.dev_b)

    assert data["updateProductIntegration"] == {"productIntegration": None, "userErrors": [
        update_error("Integration not found.", ["input", "id"], "NOT_FOUND")]}
    assert await dump_tables(world.db) == before


async def test_unknown_and_malformed_ids_are_not_found(world):
    before = await dump_tables(world.db)

    for integration_id in ("00000000-0000-4000-8000-000000000000", "34827"):
        data = await world.api.data(UPDATE, {"input": {"id": integration_id, "name": "X"}}, world.admin)
        assert data["updateProductIntegration"]["userErrors"] == [
            update_error("Integration not found.", ["input", "id"], "NOT_FOUND")]
    assert await dump_tables(world.db) == before


async def test_admin_updates_any_vendors_integration(world):
    created = await create_integration(world, world.dev_b)
    world.clock.advance(3)

    data = await world.api.data(UPDATE, {"input": {"id": created["id"], "name": "By admin"}}, world.admin)

    assert data["updateProductIntegration"] == {"userErrors": [], "productIntegration": created | {
        "name": "By admin", "lastModified": START_MS + 3}}


async def test_published_snapshot_cannot_be_updated(world):
    created = await create_integration(world)
    publish = await world.api.data(PUBLISH, {"input": {"integrationId": created["id"]}}, world.dev_a)
    snapshot_id = publish["publishProductIntegration"]["productIntegration"]["id"]
    before = await dump_tables(world.db)

    data = await world.api.data(UPDATE, {"input": {"id": snapshot_id, "name": "X"}}, world.dev_a)

    assert data["updateProductIntegration"] == {"productIntegration": None, "userErrors": [
        update_error("Published snapshots cannot be changed; edit the WORKING version.",
                     ["input", "id"], "PUBLISHED_SNAPSHOT")]}
    assert await dump_tables(world.db) == before


async def test_every_mistake_is_reported_and_nothing_written(world):
    created = await create_integration(world)
    before = await dump_tables(world.db)

    data = await world.api.data(UPDATE, {"input": {
        "id": created["id"], "name": "n" * 201, "cancelUrl": "/relative",
        "assignUrl": "https://host.example/assign?u={user}",
        "outboundCredentials": {"type": "OAUTH1", "consumerKey": "key", "clientId": "nope"},
    }}, world.dev_a)

    assert data["updateProductIntegration"] == {"productIntegration": None, "userErrors": [
        update_error("name must be at most 200 characters.", ["input", "name"], "TOO_LONG"),
        update_error("cancelUrl must be an absolute http(s) URL.", ["input", "cancelUrl"],
                     "INVALID_URL"),
        update_error("assignUrl unknown placeholder {user}; use {eventUrl}, {url} or {token}.",
                     ["input", "assignUrl"], "INVALID_URL"),
        update_error("clientId is not used by OAUTH1 credentials.",
                     ["input", "outboundCredentials", "clientId"], "NOT_ALLOWED"),
        update_error("consumerSecret is required.",
                     ["input", "outboundCredentials", "consumerSecret"], "REQUIRED"),
    ]}
    assert await dump_tables(world.db) == before


async def test_name_cannot_be_blanked(world):
    created = await create_integration(world)
    before = await dump_tables(world.db)

    data = await world.api.data(UPDATE, {"input": {"id": created["id"], "name": None}}, world.dev_a)

    assert data["updateProductIntegration"]["userErrors"] == [
        update_error("name is required.", ["input", "name"], "REQUIRED")]
    assert await dump_tables(world.db) == before

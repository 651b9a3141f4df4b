"""Inbound clients: generate (secret shown once), list, revoke, and the limit of active clients,
per caller: anonymous, other vendor's developer, own developer, admin."""

import re

import pytest

from tests.helpers import START_MS, dump_tables, make_world

GENERATE = """
mutation Generate($input: GenerateProductIntegrationInboundClientInput!) {
  generateProductIntegrationInboundClient(input: $input) {
    productIntegrationInboundClient { clientId clientSecret createdOn }
    userErrors { __typename message path code }
  }
}"""
REVOKE = """
mutation Revoke($input: RevokeProductIntegrationInboundClientInput!) {
  revokeProductIntegrationInboundClient(input: $input) {
    inboundClient { clientId createdOn revokedOn }
    userErrors { __typename message path code }
  }
}"""
LIST = """
query List($id: ID!) {
  productIntegration(id: $id) { id inboundClients { clientId createdOn revokedOn } }
}"""
CREATE = """
mutation Create($input: CreateProductIntegrationInput!) {
  createProductIntegration(input: $input) { productIntegration { id } userErrors { message } }
}"""
PUBLISH = """
mutation Publish($input: PublishProductIntegrationInput!) {
  publishProductIntegration(input: $input) { productIntegration { id } userErrors { message } }
}"""
# The seed's step 3, character for character except the integration id.
SEED_GENERATE = """mutation {
generateProductIntegrationInboundClient(
input: { id: "%s" }
) {
productIntegrationInboundClient {
clientId
clientSecret
createdOn
}
}
}"""
URL_SAFE_SECRET = re.compile(r"^[A-Za-z0-9_-]{43,}$")


async def create_integration(world, token=None) -> str:
    data = await world.api.data(CREATE, {"input": {
        "name": "Inbound", "createUrl": "https://host.example/create",
        "cancelUrl": "https://host.example/cancel"}}, token or world.dev_a)
    return data["createProductIntegration"]["productIntegration"]["id"]


async def generate(world, integration_id, token=None) -> dict:
    data = await world.api.data(GENERATE, {"input": {"id": integration_id}}, token or world.dev_a)
    return data["generateProductIntegrationInboundClient"]


async def revoke(world, integration_id, client_id, token=None) -> dict:
    data = await world.api.data(REVOKE, {"input": {"id": integration_id, "clientId": client_id}},
                                token or world.dev_a)
    return data["revokeProductIntegrationInboundClient"]


async def listed(world, integration_id) -> list[dict]:
    data = await world.api.data(LIST, {"id": integration_id}, world.dev_a)
    return data["productIntegration"]["inboundClients"]


def generate_error(message, path, code) -> dict:
    return {"__typename": "GenerateProductIntegrationInboundClientError", "message": message,
            "path": path, "code": code}


def revoke_error(message, path, code) -> dict:
    return {"__typename": "RevokeProductIntegrationInboundClientError", "message": message,
            "path": path, "code": code}


@pytest.fixture
async def integration(world) -> str:
    return await create_integration(world)


@pytest.fixture
async def small_world(db):
    world, client = await make_world(db, max_inbound_clients=2)
    async with client:
        yield world


# --- generate ------------------------------------------------------------------------------

async def test_seed_generate_mutation_runs_verbatim(world, integration):
    data = await world.api.data(SEED_GENERATE % integration, None, world.dev_a)

    issued = data["generateProductIntegrationInboundClient"]["productIntegrationInboundClient"]
    assert set(issued) == {"clientId", "clientSecret", "createdOn"}
    assert issued["createdOn"] == START_MS


async def test_developer_generates_a_client_with_a_strong_secret(world, integration):
    payload = await generate(world, integration, world.dev_a)

    issued = payload["productIntegrationInboundClient"]
    assert payload["userErrors"] == []
    assert re.fullmatch(r"[A-Za-z0-9]{20}", issued["clientId"])
    assert URL_SAFE_SECRET.match(issued["clientSecret"])
    assert issued["createdOn"] == START_MS


async def test_each_client_gets_its_own_id_and_secret(world, integration):
    first = (await generate(world, integration))["productIntegrationInboundClient"]
    second = (await generate(world, integration))["productIntegrationInboundClient"]

    assert first["clientId"] != second["clientId"]
    assert first["clientSecret"] != second["clientSecret"]


async def test_secret_is_not_stored_in_clear(world, integration):
    issued = (await generate(world, integration))["productIntegrationInboundClient"]

    dump = await dump_tables(world.db)
    assert len(dump["inbound_clients"]) == 1
    assert issued["clientId"] in repr(dump["inbound_clients"])
    assert issued["clientSecret"] not in repr(dump)


async def test_secret_never_appears_in_a_later_answer(world, integration):
    issued = (await generate(world, integration))["productIntegrationInboundClient"]

    response = await world.api.post(
        "query($id: ID!) { productIntegration(id: $id) { inboundClients { clientId createdOn revokedOn } }"
        " productIntegrations { nodes { inboundClients { clientId } } } }",
        {"id": integration}, world.dev_a)

    assert issued["clientId"] in response.text
    assert issued["clientSecret"] not in response.text


async def test_listed_clients_have_no_secret_field(world, integration):
    await generate(world, integration)

    response = await world.api.post(
        "query($id: ID!) { productIntegration(id: $id) { inboundClients { clientSecret } } }",
        {"id": integration}, world.dev_a)

    assert response.json()["errors"][0]["message"] == \
        "Cannot query field 'clientSecret' on type 'InboundClient'."


async def test_anonymous_caller_cannot_generate_and_nothing_written(world, integration):
    before = await dump_tables(world.db)

    response = await world.api.post(GENERATE, {"input": {"id": integration}})

    assert response.status_code == 401
    assert response.json() == {"errors": [{
        "message": "Authentication required: send Authorization: Bearer <API token>.",
        "extensions": {"code": "UNAUTHENTICATED"}}]}
    assert await dump_tables(world.db) == before


async def test_other_vendors_developer_gets_not_found_and_nothing_written(world, integration):
    before = await dump_tables(world.db)

    payload = await generate(world, integration, world.dev_b)

    assert payload == {"productIntegrationInboundClient": None, "userErrors": [
        generate_error("Integration not found.", ["input", "id"], "NOT_FOUND")]}
    assert await dump_tables(world.db) == before


async def test_admin_generates_for_any_vendors_integration(world, integration):
    payload = await generate(world, integration, world.admin)

    assert payload["userErrors"] == []
    issued = payload["productIntegrationInboundClient"]
    assert await listed(world, integration) == [
        {"clientId": issued["clientId"], "createdOn": START_MS, "revokedOn": None}]


async def test_unknown_integration_is_not_found(world):
    before = await dump_tables(world.db)

    payload = await generate(world, "00000000-0000-4000-8000-000000000000", world.admin)

    assert payload["userErrors"] == [
        generate_error("Integration not found.", ["input", "id"], "NOT_FOUND")]
    assert await dump_tables(world.db) == before


async def test_generating_via_a_snapshot_attaches_to_the_integration(world, integration):
    snapshot = (await world.api.data(PUBLISH, {"input": {"integrationId": integration}}, world.dev_a)
                )["publishProductIntegration"]["productIntegration"]["id"]

    issued = (await generate(world, snapshot))["productIntegrationInboundClient"]

    expected = [{"clientId": issued["clientId"], "createdOn": START_MS, "revokedOn": None}]
    assert await listed(world, integration) == expected
    assert await listed(world, snapshot) == expected
    rows = (await dump_tables(world.db))["inbound_clients"]
    assert [r[1] for r in rows] == [integration]


# --- listing -------------------------------------------------------------------------------

async def test_clients_are_listed_in_creation_order_with_dates_only(world, integration):
    first = (await generate(world, integration))["productIntegrationInboundClient"]
    world.clock.advance(1000)
    second = (await generate(world, integration))["productIntegrationInboundClient"]

    assert await listed(world, integration) == [
        {"clientId": first["clientId"], "createdOn": START_MS, "revokedOn": None},
        {"clientId": second["clientId"], "createdOn": START_MS + 1000, "revokedOn": None},
    ]


async def test_clients_of_another_integration_are_not_listed(world, integration):
    other = await create_integration(world)
    await generate(world, other)

    assert await listed(world, integration) == []


# --- the limit -----------------------------------------------------------------------------

async def test_limit_of_active_clients_is_reached_and_nothing_written(small_world):
    world = small_world
    integration = await create_integration(world)
    await generate(world, integration)
    await generate(world, integration)
    before = await dump_tables(world.db)

    payload = await generate(world, integration)

    assert payload == {"productIntegrationInboundClient": None, "userErrors": [generate_error(
        "An integration has at most 2 active inbound clients; revoke one first.",
        ["input", "id"], "LIMIT_REACHED")]}
    assert await dump_tables(world.db) == before


async def test_revoking_a_client_frees_a_place(small_world):
    world = small_world
    integration = await create_integration(world)
    first = (await generate(world, integration))["productIntegrationInboundClient"]
    await generate(world, integration)
    await revoke(world, integration, first["clientId"])

    payload = await generate(world, integration)

    assert payload["userErrors"] == []
    assert len(await listed(world, integration)) == 3


async def test_limit_counts_per_integration(small_world):
    world = small_world
    full = await create_integration(world)
    await generate(world, full)
    await generate(world, full)
    other = await create_integration(world)

    payload = await generate(world, other)

    assert payload["userErrors"] == []


async def test_default_limit_is_ten(world, integration):
    for _ in range(10):
        assert (await generate(world, integration))["userErrors"] == []

    payload = await generate(world, integration)

    assert payload["userErrors"] == [generate_error(
        "An integration has at most 10 active inbound clients; revoke one first.",
        ["input", "id"], "LIMIT_REACHED")]


# --- revoke --------------------------------------------------------------------------------

@pytest.fixture
async def client_id(world, integration) -> str:
    return (await generate(world, integration))["productIntegrationInboundClient"]["clientId"]


async def test_developer_revokes_own_client(world, integration, client_id):
    world.clock.advance(60_000)

    payload = await revoke(world, integration, client_id, world.dev_a)

    revoked = {"clientId": client_id, "createdOn": START_MS, "revokedOn": START_MS + 60_000}
    assert payload == {"inboundClient": revoked, "userErrors": []}
    assert await listed(world, integration) == [revoked]


async def test_anonymous_caller_cannot_revoke_and_nothing_written(world, integration, client_id):
    before = await dump_tables(world.db)

    response = await world.api.post(REVOKE, {"input": {"id": integration, "clientId": client_id}})

    assert response.status_code == 401
    assert response.json() == {"errors": [{
        "message": "Authentication required: send Authorization: Bearer <API token>.",
        "extensions": {"code": "UNAUTHENTICATED"}}]}
    assert await dump_tables(world.db) == before


async def test_other_vendors_developer_cannot_revoke(world, integration, client_id):
    before = await dump_tables(world.db)

    payload = await revoke(world, integration, client_id, world.dev_b)

    assert payload == {"inboundClient": None, "userErrors": [
        revoke_error("Integration not found.", ["input", "id"], "NOT_FOUND")]}
    assert await dump_tables(world.db) == before


async def test_admin_revokes_any_vendors_client(world, integration, client_id):
    payload = await revoke(world, integration, client_id, world.admin)

    assert payload == {"inboundClient": {"clientId": client_id, "createdOn": START_MS,
                                         "revokedOn": START_MS}, "userErrors": []}


async def test_client_of_another_integration_is_not_found(world, integration, client_id):
    other = await create_integration(world)
    before = await dump_tables(world.db)

    payload = await revoke(world, other, client_id)

    assert payload == {"inboundClient": None, "userErrors": [
        revoke_error("Inbound client not found.", ["input", "clientId"], "NOT_FOUND")]}
    assert await dump_tables(world.db) == before


async def test_client_of_another_vendor_is_not_found_through_own_integration(world, integration,
                                                                            client_id):
    theirs = await create_integration(world, world.dev_b)
    before = await dump_tables(world.db)

    payload = await revoke(world, theirs, client_id, world.dev_b)

    assert payload["userErrors"] == [
        revoke_error("Inbound client not found.", ["input", "clientId"], "NOT_FOUND")]
    assert await dump_tables(world.db) == before


async def test_unknown_client_is_not_found(world, integration, client_id):
    before = await dump_tables(world.db)

    payload = await revoke(world, integration, "no-such-client")

    assert payload["userErrors"] == [
        revoke_error("Inbound client not found.", ["input", "clientId"], "NOT_FOUND")]
    assert await dump_tables(world.db) == before


async def test_revoking_twice_is_already_revoked(world, integration, client_id):
    await revoke(world, integration, client_id)
    world.clock.advance(1000)
    before = await dump_tables(world.db)

    payload = await revoke(world, integration, client_id)

    assert payload == {"inboundClient": None, "userErrors": [
        revoke_error("This inbound client is already revoked.", ["input", "clientId"],
                     "ALREADY_REVOKED")]}
    assert await dump_tables(world.db) == before


async def test_revoking_via_a_snapshot_id(world, integration, client_id):
    snapshot = (await world.api.data(PUBLISH, {"input": {"integrationId": integration}}, world.dev_a)
                )["publishProductIntegration"]["productIntegration"]["id"]

    payload = await revoke(world, snapshot, client_id)

    assert payload["userErrors"] == []
    assert (await listed(world, integration))[0]["revokedOn"] == START_MS

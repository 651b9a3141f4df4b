"""triggerProductIntegrationPingTest: which URLs of which version are tested, and the stored
lastTest, per caller: anonymous, other vendor's developer, own developer, admin."""

import uuid

import pytest

from tests.helpers import START_MS, dump_tables

TEST_FIELDS = """lastTest {
  id version status triggeredOn completedOn
  results { eventType url success httpStatus durationMs errorCode message }
}"""
TRIGGER = f"""
mutation Trigger($input: TriggerProductIntegrationPingTestInput!) {{
  triggerProductIntegrationPingTest(input: $input) {{
    productIntegration {{ id version type {TEST_FIELDS} }}
    userErrors {{ __typename message path code }}
  }}
}}"""
READ = f"""
query Read($id: ID!, $version: IntegrationVersionName) {{
  productIntegration(id: $id, version: $version) {{ id version {TEST_FIELDS} }}
}}"""
CREATE = """
mutation Create($input: CreateProductIntegrationInput!) {
  createProductIntegration(input: $input) { productIntegration { id } userErrors { message } }
}"""
UPDATE = """
mutation Update($input: UpdateProductIntegrationInput!) {
  updateProductIntegration(input: $input) { userErrors { message } }
}"""
PUBLISH = """
mutation Publish($input: PublishProductIntegrationInput!) {
  publishProductIntegration(input: $input) { productIntegration { id } userErrors { message } }
}"""
# The seed's step 4, character for character except the integration id.
SEED_TRIGGER = """mutation {
triggerProductIntegrationPingTest(
input: {
id: "%s"
version: WORKING
eventTypes: [SUBSCRIPTION_ORDER]
}
) {
productIntegration {
id
version
type
}
}
}"""

URLS = {
    "createUrl": "https://host.example/create?url={eventUrl}",
    "cancelUrl": "https://host.example/cancel",
    "notifyUrl": "https://host.example/notify",
    "addonNotificationUrl": "https://host.example/addon",
}


def pending(event_type: str, url: str) -> dict:
    return {"eventType": event_type, "url": url, "success": None, "httpStatus": None,
            "durationMs": None, "errorCode": None, "message": None}


def trigger_error(message, path, code) -> dict:
    return {"__typename": "TriggerProductIntegrationPingTestError", "message": message,
            "path": path, "code": code}


async def create_integration(world, urls=URLS) -> str:
    data = await world.api.data(CREATE, {"input": {"name": "Ping", **urls}}, world.dev_a)
    return data["createProductIntegration"]["productIntegration"]["id"]


async def publish(world, integration_id) -> str:
    data = await world.api.data(PUBLISH, {"input": {"integrationId": integration_id}}, world.dev_a)
    return data["publishProductIntegration"]["productIntegration"]["id"]


async def trigger(world, integration_id, token=None, **fields) -> dict:
    data = await world.api.data(TRIGGER, {"input": {"id": integration_id, **fields}},
                                token or world.dev_a)
    return data["triggerProductIntegrationPingTest"]


async def read(world, integration_id, version=None) -> dict:
    data = await world.api.data(READ, {"id": integration_id, "version": version}, world.dev_a)
    return data["productIntegration"]


@pytest.fixture
async def integration(world) -> str:
    return await create_integration(world)


# --- per caller ------------------------------------------------------------------------------

async def test_seed_trigger_mutation_runs_verbatim(world, integration):
    data = await world.api.data(SEED_TRIGGER % integration, None, world.dev_a)

    assert data == {"triggerProductIntegrationPingTest": {"productIntegration": {
        "id": integration, "version": "WORKING", "type": "FULL_INTEGRATION"}}}


async def test_developer_starts_a_running_test_of_the_requested_type(world, integration):
    payload = await trigger(world, integration, world.dev_a, eventTypes=["SUBSCRIPTION_ORDER"])

    assert payload["userErrors"] == []
    test = payload["productIntegration"]["lastTest"]
    assert uuid.UUID(test["id"])
    assert {k: v for k, v in test.items() if k != "id"} == {
        "version": "WORKING", "status": "RUNNING", "triggeredOn": START_MS, "completedOn": None,
        "results": [pending("SUBSCRIPTION_ORDER", URLS["createUrl"])]}


async def test_the_test_is_stored_as_last_test(world, integration):
    payload = await trigger(world, integration, eventTypes=["SUBSCRIPTION_CANCEL"])

    stored = await read(world, integration)

    assert stored["lastTest"] == payload["productIntegration"]["lastTest"]


async def test_anonymous_caller_is_refused_and_nothing_written(world, integration):
    before = await dump_tables(world.db)

    response = await world.api.post(TRIGGER, {"input": {"id": integration}})

    assert response.status_code == 401
    assert response.json() == {"errors": [{
        "message": "Authentication required: send Authorization: Bearer <API token>.",
        "extensions": {"code": "UNAUTHENTICATED"}}]}
    assert await dump_tables(world.db) == before


async def test_other_vendors_developer_gets_not_found_and_nothing_written(world, integration):
    before = await dump_tables(world.db)

    payload = await trigger(world, integration, world.dev_b)

    assert payload == {"productIntegration": None, "userErrors": [
        trigger_error("Integration not found.", ["input", "id"], "NOT_FOUND")]}
    assert await dump_tables(world.db) == before


async def test_admin_triggers_on_any_vendors_integration(world, integration):
    payload = await trigger(world, integration, world.admin, eventTypes=["SUBSCRIPTION_NOTICE"])

    assert payload["userErrors"] == []
    assert payload["productIntegration"]["lastTest"]["results"] == [
        pending("SUBSCRIPTION_NOTICE", URLS["notifyUrl"])]


async def test_unknown_integration_is_not_found(world, integration):
    before = await dump_tables(world.db)

    payload = await trigger(world, "00000000-0000-4000-8000-000000000000", world.admin)

    assert payload["userErrors"] == [
        trigger_error("Integration not found.", ["input", "id"], "NOT_FOUND")]
    assert await dump_tables(world.db) == before


# --- which URLs ----------------------------------------------------------------------------

async def test_results_follow_request_order_and_skip_types_without_url(world, integration):
    payload = await trigger(world, integration, eventTypes=[
        "SUBSCRIPTION_CANCEL", "SUBSCRIPTION_CHANGE", "SUBSCRIPTION_ORDER"])

    assert payload["productIntegration"]["lastTest"]["results"] == [
        pending("SUBSCRIPTION_CANCEL", URLS["cancelUrl"]),
        pending("SUBSCRIPTION_ORDER", URLS["createUrl"]),
    ]


async def test_a_type_requested_twice_is_tested_once(world, integration):
    payload = await trigger(world, integration, eventTypes=[
        "SUBSCRIPTION_ORDER", "SUBSCRIPTION_ORDER"])

    assert payload["productIntegration"]["lastTest"]["results"] == [
        pending("SUBSCRIPTION_ORDER", URLS["createUrl"])]


ALL_CONFIGURED = [
    pending("SUBSCRIPTION_ORDER", URLS["createUrl"]),
    pending("SUBSCRIPTION_CANCEL", URLS["cancelUrl"]),
    pending("SUBSCRIPTION_NOTICE", URLS["notifyUrl"]),
    pending("ADDON_ORDER", URLS["addonNotificationUrl"]),
    pending("ADDON_CHANGE", URLS["addonNotificationUrl"]),
    pending("ADDON_CANCEL", URLS["addonNotificationUrl"]),
]


async def test_every_configured_type_is_tested_when_event_types_is_left_out(world, integration):
    payload = await trigger(world, integration)

    assert payload["productIntegration"]["lastTest"]["results"] == ALL_CONFIGURED


async def test_an_empty_event_type_list_tests_every_configured_type(world, integration):
    payload = await trigger(world, integration, eventTypes=[])

    assert payload["productIntegration"]["lastTest"]["results"] == ALL_CONFIGURED


async def test_no_url_for_requested_types_is_refused_and_nothing_written(world, integration):
    before = await dump_tables(world.db)

    payload = await trigger(world, integration, eventTypes=["USER_ASSIGNMENT", "SUBSCRIPTION_CHANGE"])

    assert payload == {"productIntegration": None, "userErrors": [trigger_error(
        "None of the requested event types has a URL in this version.", ["input", "eventTypes"],
        "NO_URL_CONFIGURED")]}
    assert await dump_tables(world.db) == before


async def test_integration_without_any_url_is_refused(world):
    integration = await create_integration(world, urls={})
    before = await dump_tables(world.db)

    payload = await trigger(world, integration)

    assert payload["userErrors"] == [trigger_error(
        "None of the requested event types has a URL in this version.", ["input", "eventTypes"],
        "NO_URL_CONFIGURED")]
    assert await dump_tables(world.db) == before


# --- versions ------------------------------------------------------------------------------

async def test_published_without_a_snapshot_is_not_published(world, integration):
    before = await dump_tables(world.db)

    payload = await trigger(world, integration, version="PUBLISHED")

    assert payload == {"productIntegration": None, "userErrors": [trigger_error(
        "This integration has no published version yet.", ["input", "version"], "NOT_PUBLISHED")]}
    assert await dump_tables(world.db) == before


async def test_published_tests_the_snapshots_urls(world, integration):
    snapshot = await publish(world, integration)
    await world.api.data(UPDATE, {"input": {"id": integration,
                                            "createUrl": "https://new-host.example/create"}},
                         world.dev_a)

    payload = await trigger(world, integration, version="PUBLISHED", eventTypes=["SUBSCRIPTION_ORDER"])

    tested = payload["productIntegration"]
    assert (tested["id"], tested["version"]) == (snapshot, "PUBLISHED")
    assert tested["lastTest"]["version"] == "PUBLISHED"
    assert tested["lastTest"]["results"] == [pending("SUBSCRIPTION_ORDER", URLS["createUrl"])]


async def test_published_test_is_the_snapshots_last_test_only(world, integration):
    snapshot = await publish(world, integration)

    payload = await trigger(world, integration, version="PUBLISHED", eventTypes=["SUBSCRIPTION_ORDER"])

    assert (await read(world, snapshot))["lastTest"] == payload["productIntegration"]["lastTest"]
    assert (await read(world, integration, "PUBLISHED"))["id"] == snapshot
    assert (await read(world, integration))["lastTest"] is None


async def test_working_test_tests_the_working_urls(world, integration):
    await publish(world, integration)
    await world.api.data(UPDATE, {"input": {"id": integration,
                                            "createUrl": "https://new-host.example/create"}},
                         world.dev_a)

    payload = await trigger(world, integration, version="WORKING", eventTypes=["SUBSCRIPTION_ORDER"])

    assert payload["productIntegration"]["id"] == integration
    assert payload["productIntegration"]["lastTest"]["results"] == [
        pending("SUBSCRIPTION_ORDER", "https://new-host.example/create")]


async def test_each_version_keeps_its_own_last_test(world, integration):
    snapshot = await publish(world, integration)
    published = await trigger(world, integration, version="PUBLISHED", eventTypes=["SUBSCRIPTION_ORDER"])

    await trigger(world, integration, version="WORKING", eventTypes=["SUBSCRIPTION_CANCEL"])

    assert (await read(world, snapshot))["lastTest"] == published["productIntegration"]["lastTest"]


# --- a second run --------------------------------------------------------------------------

async def test_a_second_trigger_replaces_the_previous_run(world, integration):
    first = await trigger(world, integration, eventTypes=["SUBSCRIPTION_ORDER"])
    world.clock.advance(90_000)

    second = await trigger(world, integration, eventTypes=["SUBSCRIPTION_CANCEL", "SUBSCRIPTION_NOTICE"])

    test = (await read(world, integration))["lastTest"]
    assert test == second["productIntegration"]["lastTest"]
    assert test["id"] != first["productIntegration"]["lastTest"]["id"]
    assert test["triggeredOn"] == START_MS + 90_000
    assert test["results"] == [pending("SUBSCRIPTION_CANCEL", URLS["cancelUrl"]),
                               pending("SUBSCRIPTION_NOTICE", URLS["notifyUrl"])]


async def test_a_second_trigger_leaves_no_rows_of_the_first(world, integration):
    await trigger(world, integration)
    await trigger(world, integration, eventTypes=["SUBSCRIPTION_ORDER"])

    dump = await dump_tables(world.db)

    assert len(dump["ping_tests"]) == 1
    assert len(dump["ping_test_results"]) == 1


async def test_a_refused_trigger_keeps_the_previous_run(world, integration):
    first = await trigger(world, integration, eventTypes=["SUBSCRIPTION_ORDER"])

    refused = await trigger(world, integration, eventTypes=["USER_UPDATED"])

    assert [e["code"] for e in refused["userErrors"]] == ["NO_URL_CONFIGURED"]
    assert (await read(world, integration))["lastTest"] == first["productIntegration"]["lastTest"]


async def test_a_snapshot_id_without_version_tests_that_snapshot(world, integration):
    snapshot = await publish(world, integration)
    await world.api.data(UPDATE, {"input": {"id": integration,
                                            "createUrl": "https://host.example/changed"}}, world.dev_a)

    payload = await trigger(world, snapshot, eventTypes=["SUBSCRIPTION_ORDER"])

    assert payload["productIntegration"]["id"] == snapshot
    assert payload["productIntegration"]["lastTest"]["results"] == [
        pending("SUBSCRIPTION_ORDER", URLS["createUrl"])]

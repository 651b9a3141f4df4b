"""rotateProductIntegrationWebhookSecret per caller, and deliveryMode on integrations."""

from tests.helpers import dump_tables

CREATE = """mutation { createProductIntegration(input: {name: "Direct", deliveryMode: DIRECT,
  createUrl: "https://host.example/hook", cancelUrl: "https://host.example/hook"}) {
  productIntegration { id deliveryMode } } }"""
ROTATE = """mutation($id: ID!, $grace: Int) { rotateProductIntegrationWebhookSecret(input: {id: $id,
  previousValidForSeconds: $grace}) { webhookSecret { secret createdOn }
  userErrors { __typename message path code } } }"""
PUBLISH = """mutation($id: ID!) { publishProductIntegration(input: {integrationId: $id}) {
  productIntegration { id } } }"""


async def integration(world) -> str:
    data = await world.api.data(CREATE, None, world.dev_a)
    assert data["createProductIntegration"]["productIntegration"]["deliveryMode"] == "DIRECT"
    return data["createProductIntegration"]["productIntegration"]["id"]


def error(message, path, code):
    return {"__typename": "RotateProductIntegrationWebhookSecretError", "message": message,
            "path": path, "code": code}


async def test_own_developer_gets_a_secret_once_and_it_is_not_stored_in_clear(world):
    integration_id = await integration(world)

    data = await world.api.data(ROTATE, {"id": integration_id}, world.dev_a)

    secret = data["rotateProductIntegrationWebhookSecret"]["webhookSecret"]
    assert data["rotateProductIntegrationWebhookSecret"]["userErrors"] == []
    assert secret["secret"].startswith("whsec_") and secret["createdOn"] == world.clock.now_ms()
    assert secret["secret"] not in repr(await dump_tables(world.db))


async def test_admin_may_rotate_any_vendors_secret(world):
    integration_id = await integration(world)

    data = await world.api.data(ROTATE, {"id": integration_id}, world.admin)

    assert data["rotateProductIntegrationWebhookSecret"]["userErrors"] == []


async def test_other_vendors_developer_gets_not_found_and_nothing_is_written(world):
    integration_id = await integration(world)
    before = await dump_tables(world.db)

    data = await world.api.data(ROTATE, {"id": integration_id}, world.dev_b)

    assert data["rotateProductIntegrationWebhookSecret"] == {"webhookSecret": None, "userErrors": [
        error("Integration not found.", ["input", "id"], "NOT_FOUND")]}
    assert await dump_tables(world.db) == before


async def test_anonymous_is_unauthenticated(world):
    integration_id = await integration(world)

    response = await world.api.post(ROTATE, {"id": integration_id})

    assert response.status_code == 401


async def test_grace_out_of_range_and_snapshots_are_refused(world):
    integration_id = await integration(world)
    snapshot = (await world.api.data(PUBLISH, {"id": integration_id}, world.dev_a))[
        "publishProductIntegration"]["productIntegration"]["id"]
    before = await dump_tables(world.db)

    too_long = await world.api.data(ROTATE, {"id": integration_id, "grace": 700_000}, world.dev_a)
    frozen = await world.api.data(ROTATE, {"id": snapshot}, world.dev_a)

    assert too_long["rotateProductIntegrationWebhookSecret"]["userErrors"] == [error(
        "previousValidForSeconds is 0 to 604800.", ["input", "previousValidForSeconds"], "INVALID")]
    assert frozen["rotateProductIntegrationWebhookSecret"]["userErrors"] == [error(
        "Published snapshots cannot be changed; edit the WORKING version.", ["input", "id"],
        "PUBLISHED_SNAPSHOT")]
    assert await dump_tables(world.db) == before

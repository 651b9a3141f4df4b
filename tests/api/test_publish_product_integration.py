"""publishProductIntegration, and reading WORKING and PUBLISHED versions back."""

from tests.helpers import START_MS, dump_tables

FIELDS = """
  id integrationId vendorId version type name createUrl cancelUrl notifyUrl createUrlInteractive
  createdOn lastModified outboundCredentials { type clientId clientSecret tokenUri }
"""

CREATE = f"""
mutation Create($input: CreateProductIntegrationInput!) {{
  createProductIntegration(input: $input) {{
    productIntegration {{ {FIELDS} }}
    userErrors {{ __typename message path code }}
  }}
}}
"""

UPDATE = """
mutation Update($input: UpdateProductIntegrationInput!) {
  updateProductIntegration(input: $input) { userErrors { __typename message path code } }
}
"""

PUBLISH = f"""
mutation Publish($input: PublishProductIntegrationInput!) {{
  publishProductIntegration(input: $input) {{
    productIntegration {{ {FIELDS} }}
    userErrors {{ __typename message path code }}
  }}
}}
"""

READ = f"""
query Read($id: ID!, $version: IntegrationVersionName) {{
  productIntegration(id: $id, version: $version) {{ {FIELDS} }}
}}
"""

PUBLISHED_VERSIONS = """
query Versions($id: ID!, $first: Int! = 10) {
  productIntegration(id: $id) { id publishedVersions(first: $first) { id version name createdOn } }
}
"""

VALID = {
    "name": "Docs Integration",
    "createUrl": "https://host.example/create?url={eventUrl}",
    "cancelUrl": "https://host.example/cancel",
    "outboundCredentials": {"type": "OAUTH2", "clientId": "123456", "clientSecret": "S3cre1!",
                            "tokenUri": "https://host.example/token"},
}


async def create_integration(world, token=None, **fields) -> dict:
    data = await world.api.data(CREATE, {"input": VALID | fields}, token or world.dev_a)
    assert data["createProductIntegration"]["userErrors"] == []
    return data["createProductIntegration"]["productIntegration"]


async def publish(world, integration_id, token=None) -> dict:
    data = await world.api.data(PUBLISH, {"input": {"integrationId": integration_id}},
                                token or world.dev_a)
    assert data["publishProductIntegration"]["userErrors"] == []
    return data["publishProductIntegration"]["productIntegration"]


async def read(world, version_id, version=None, token=None) -> dict | None:
    data = await world.api.data(READ, {"id": version_id, "version": version}, token or world.dev_a)
    return data["productIntegration"]


def publish_error(message, code):
    return {"__typename": "PublishProductIntegrationError", "message": message,
            "path": ["input", "integrationId"], "code": code}


# publishProductIntegration, per caller


async def test_developer_publishes_a_snapshot_with_an_id_of_its_own(world):
    working = await create_integration(world)
    world.clock.advance(60_000)

    data = await world.api.data(PUBLISH, {"input": {"integrationId": working["id"]}}, world.dev_a)

    payload = data["publishProductIntegration"]
    snapshot = payload["productIntegration"]
    assert payload["userErrors"] == []
    assert snapshot["id"] != working["id"]
    assert snapshot == working | {"id": snapshot["id"], "version": "PUBLISHED",
                                  "createdOn": START_MS + 60_000, "lastModified": START_MS + 60_000}


async def test_publishing_leaves_the_working_version_as_it_was(world):
    working = await create_integration(world)
    world.clock.advance(1_000)

    await publish(world, working["id"])

    assert await read(world, working["id"]) == working


async def test_admin_publishes_any_vendors_integration(world):
    working = await create_integration(world, world.dev_b)

    snapshot = await publish(world, working["id"], world.admin)

    assert (snapshot["version"], snapshot["vendorId"], snapshot["integrationId"]) == (
        "PUBLISHED", world.vendor_b, working["id"])


async def test_anonymous_caller_is_refused_and_nothing_written(world):
    working = await create_integration(world)
    before = await dump_tables(world.db)

    response = await world.api.post(PUBLISH, {"input": {"integrationId": working["id"]}})

    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    assert await dump_tables(world.db) == before


async def test_other_vendors_developer_gets_not_found(world):
    working = await create_integration(world)
    before = await dump_tables(world.db)

    data = await world.api.data(PUBLISH, {"input": {"integrationId": working["id"]}}, world.dev_b)

    assert data["publishProductIntegration"] == {"productIntegration": None, "userErrors": [
        publish_error("Integration not found.", "NOT_FOUND")]}
    assert await dump_tables(world.db) == before


async def test_unknown_integration_is_not_found(world):
    before = await dump_tables(world.db)

    data = await world.api.data(PUBLISH, {"input": {"integrationId": "34827"}}, world.admin)

    assert data["publishProductIntegration"]["userErrors"] == [
        publish_error("Integration not found.", "NOT_FOUND")]
    assert await dump_tables(world.db) == before


async def test_a_snapshot_cannot_be_published(world):
    snapshot = await publish(world, (await create_integration(world))["id"])
    before = await dump_tables(world.db)

    data = await world.api.data(PUBLISH, {"input": {"integrationId": snapshot["id"]}}, world.dev_a)

    assert data["publishProductIntegration"] == {"productIntegration": None, "userErrors": [
        publish_error("Published snapshots cannot be changed; edit the WORKING version.",
                      "PUBLISHED_SNAPSHOT")]}
    assert await dump_tables(world.db) == before


async def test_publishing_needs_create_and_cancel_urls(world):
    working = await create_integration(world, createUrl=None, cancelUrl=None)
    before = await dump_tables(world.db)

    data = await world.api.data(PUBLISH, {"input": {"integrationId": working["id"]}}, world.dev_a)

    assert data["publishProductIntegration"] == {"productIntegration": None, "userErrors": [
        publish_error("Set createUrl before publishing.", "MISSING_CREATE_URL"),
        publish_error("Set cancelUrl before publishing.", "MISSING_CANCEL_URL"),
    ]}
    assert await dump_tables(world.db) == before


async def test_publishing_needs_a_cancel_url(world):
    working = await create_integration(world, cancelUrl=None)

    data = await world.api.data(PUBLISH, {"input": {"integrationId": working["id"]}}, world.dev_a)

    assert data["publishProductIntegration"]["userErrors"] == [
        publish_error("Set cancelUrl before publishing.", "MISSING_CANCEL_URL")]


# snapshots are immutable


async def test_updating_a_snapshot_is_refused(world):
    snapshot = await publish(world, (await create_integration(world))["id"])
    before = await dump_tables(world.db)

    data = await world.api.data(UPDATE, {"input": {"id": snapshot["id"], "name": "X"}}, world.dev_a)

    assert data["updateProductIntegration"]["userErrors"] == [{
        "__typename": "UpdateProductIntegrationError",
        "message": "Published snapshots cannot be changed; edit the WORKING version.",
        "path": ["input", "id"], "code": "PUBLISHED_SNAPSHOT"}]
    assert await dump_tables(world.db) == before


async def test_later_working_edits_do_not_change_the_snapshot(world):
    working = await create_integration(world)
    snapshot = await publish(world, working["id"])
    world.clock.advance(1_000)

    await world.api.data(UPDATE, {"input": {"id": working["id"], "name": "Edited",
                                            "cancelUrl": "https://host.example/cancel-2"}}, world.dev_a)

    assert await read(world, snapshot["id"]) == snapshot
    assert (await read(world, working["id"]))["name"] == "Edited"


# productIntegration(id, version)


async def test_version_published_reads_the_latest_snapshot(world):
    working = await create_integration(world)
    await publish(world, working["id"])
    world.clock.advance(1_000)
    await world.api.data(UPDATE, {"input": {"id": working["id"], "name": "Second"}}, world.dev_a)
    second = await publish(world, working["id"])

    assert await read(world, working["id"], "PUBLISHED") == second
    assert second["name"] == "Second"


async def test_version_working_from_a_snapshot_id_reads_the_working_version(world):
    working = await create_integration(world)
    snapshot = await publish(world, working["id"])

    assert await read(world, snapshot["id"], "WORKING") == working


async def test_without_version_an_id_reads_its_own_version(world):
    working = await create_integration(world)
    snapshot = await publish(world, working["id"])

    assert await read(world, working["id"]) == working
    assert await read(world, snapshot["id"]) == snapshot


async def test_version_published_before_any_publish_is_null(world):
    working = await create_integration(world)

    assert await read(world, working["id"], "PUBLISHED") is None


async def test_other_vendors_snapshot_reads_as_null(world):
    snapshot = await publish(world, (await create_integration(world))["id"])

    assert await read(world, snapshot["id"], token=world.dev_b) is None
    assert await read(world, snapshot["id"], "WORKING", token=world.dev_b) is None


async def test_earlier_snapshots_stay_readable(world):
    working = await create_integration(world)
    first = await publish(world, working["id"])
    world.clock.advance(1_000)
    await world.api.data(UPDATE, {"input": {"id": working["id"], "name": "Second"}}, world.dev_a)
    await publish(world, working["id"])

    assert await read(world, first["id"]) == first
    assert first["name"] == "Docs Integration"


# publishedVersions


async def test_published_versions_lists_snapshots_newest_first(world):
    working = await create_integration(world)
    ids = []
    for _ in range(3):
        world.clock.advance(1_000)
        ids.append((await publish(world, working["id"]))["id"])

    data = await world.api.data(PUBLISHED_VERSIONS, {"id": working["id"]}, world.dev_a)

    assert data["productIntegration"]["publishedVersions"] == [
        {"id": ids[i], "version": "PUBLISHED", "name": "Docs Integration",
         "createdOn": START_MS + 1_000 * (i + 1)} for i in (2, 1, 0)]


async def test_published_versions_is_the_same_from_a_snapshot_and_honours_first(world):
    working = await create_integration(world)
    first = await publish(world, working["id"])
    world.clock.advance(1_000)
    second = await publish(world, working["id"])

    data = await world.api.data(PUBLISHED_VERSIONS, {"id": first["id"], "first": 1}, world.dev_a)

    assert [v["id"] for v in data["productIntegration"]["publishedVersions"]] == [second["id"]]


async def test_published_versions_is_empty_before_publishing(world):
    working = await create_integration(world)

    data = await world.api.data(PUBLISHED_VERSIONS, {"id": working["id"]}, world.dev_a)

    assert data["productIntegration"] == {"id": working["id"], "publishedVersions": []}


async def test_published_versions_belong_to_their_own_integration(world):
    mine = await create_integration(world)
    other = await create_integration(world, name="Other")
    await publish(world, other["id"])

    data = await world.api.data(PUBLISHED_VERSIONS, {"id": mine["id"]}, world.dev_a)

    assert data["productIntegration"]["publishedVersions"] == []


# Snapshot order does not depend on the clock

REVISIONS = """
query Revisions($id: ID!) {
  productIntegration(id: $id) { revision publishedVersions { id revision } }
}
"""


async def test_snapshots_published_in_the_same_millisecond_keep_publish_order(world):
    created = await create_integration(world)
    first = await publish(world, created["id"])
    second = await publish(world, created["id"])

    latest = await read(world, created["id"], "PUBLISHED")
    data = await world.api.data(REVISIONS, {"id": created["id"]}, world.dev_a)

    assert latest["id"] == second["id"]
    assert data["productIntegration"] == {"revision": 0, "publishedVersions": [
        {"id": second["id"], "revision": 2}, {"id": first["id"], "revision": 1}]}


async def test_published_versions_refuses_a_page_size_out_of_range(world):
    created = await create_integration(world)

    response = await world.api.post(PUBLISHED_VERSIONS, {"id": created["id"], "first": 0}, world.dev_a)

    assert response.json()["errors"][0]["message"] == "first must be between 1 and 100."

"""productIntegration(id) and productIntegrations(first, after): tenancy and pagination."""

import base64

from tests.helpers import START_MS

CREATE = """
mutation Create($input: CreateProductIntegrationInput!) {
  createProductIntegration(input: $input) { productIntegration { id } userErrors { code } }
}
"""

PUBLISH = """
mutation Publish($input: PublishProductIntegrationInput!) {
  publishProductIntegration(input: $input) { productIntegration { id } userErrors { code } }
}
"""

ONE = """
query One($id: ID!) {
  productIntegration(id: $id) { id integrationId vendorId version name createdOn lastModified }
}
"""

LIST = """
query List($first: Int!, $after: String) {
  productIntegrations(first: $first, after: $after) {
    nodes { id version vendorId }
    pageInfo { hasNextPage endCursor }
    totalCount
  }
}
"""


async def new_integrations(world, token, count, name="Integration") -> list[str]:
    """Integrations created a millisecond apart, so their listing order is their creation order."""
    ids = []
    for i in range(count):
        variables = {"input": {"name": f"{name} {i}", "createUrl": "https://host.example/create",
                               "cancelUrl": "https://host.example/cancel"}}
        data = await world.api.data(CREATE, variables, token)
        assert data["createProductIntegration"]["userErrors"] == []
        ids.append(data["createProductIntegration"]["productIntegration"]["id"])
        world.clock.advance(1)
    return ids


async def page(world, token, first, after=None) -> dict:
    data = await world.api.data(LIST, {"first": first, "after": after}, token)
    return data["productIntegrations"]


def ids_of(connection) -> list[str]:
    return [node["id"] for node in connection["nodes"]]


def cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode()


# productIntegration(id)


async def test_developer_reads_own_integration(world):
    [integration] = await new_integrations(world, world.dev_a, 1)

    data = await world.api.data(ONE, {"id": integration}, world.dev_a)

    assert data["productIntegration"] == {
        "id": integration, "integrationId": integration, "vendorId": world.vendor_a,
        "version": "WORKING", "name": "Integration 0", "createdOn": START_MS,
        "lastModified": START_MS}


async def test_other_vendors_integration_reads_as_null(world):
    [integration] = await new_integrations(world, world.dev_a, 1)

    data = await world.api.data(ONE, {"id": integration}, world.dev_b)

    assert data == {"productIntegration": None}


async def test_admin_reads_any_vendors_integration(world):
    [integration] = await new_integrations(world, world.dev_b, 1)

    data = await world.api.data(ONE, {"id": integration}, world.admin)

    assert data["productIntegration"]["vendorId"] == world.vendor_b


async def test_unknown_and_malformed_ids_read_as_null(world):
    for unknown in ("00000000-0000-4000-8000-000000000000", "34827", ""):
        data = await world.api.data(ONE, {"id": unknown}, world.admin)

        assert data == {"productIntegration": None}


async def test_anonymous_caller_cannot_read(world):
    [integration] = await new_integrations(world, world.dev_a, 1)

    response = await world.api.post(ONE, {"id": integration})

    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}


# productIntegrations: tenancy


async def test_developer_lists_only_own_vendors_integrations(world):
    own = await new_integrations(world, world.dev_a, 2)
    await new_integrations(world, world.dev_b, 3)

    connection = await page(world, world.dev_a, 10)

    assert connection == {
        "nodes": [{"id": i, "version": "WORKING", "vendorId": world.vendor_a} for i in own],
        "pageInfo": {"hasNextPage": False, "endCursor": connection["pageInfo"]["endCursor"]},
        "totalCount": 2}


async def test_other_developer_sees_only_its_own(world):
    await new_integrations(world, world.dev_a, 2)
    theirs = await new_integrations(world, world.dev_b, 1)

    connection = await page(world, world.dev_b, 10)

    assert (ids_of(connection), connection["totalCount"]) == (theirs, 1)


async def test_admin_lists_every_vendors_integrations(world):
    ids = await new_integrations(world, world.dev_a, 2) + await new_integrations(world, world.dev_b, 2)

    connection = await page(world, world.admin, 10)

    assert (ids_of(connection), connection["totalCount"]) == (ids, 4)


async def test_snapshots_are_not_listed_or_counted(world):
    ids = await new_integrations(world, world.dev_a, 2)
    await world.api.data(PUBLISH, {"input": {"integrationId": ids[0]}}, world.dev_a)

    connection = await page(world, world.dev_a, 10)

    assert (ids_of(connection), connection["totalCount"]) == (ids, 2)


async def test_empty_list(world):
    connection = await page(world, world.dev_a, 5)

    assert connection == {"nodes": [], "pageInfo": {"hasNextPage": False, "endCursor": None},
                          "totalCount": 0}


# productIntegrations: cursors


async def test_pages_follow_each_other_through_cursors(world):
    ids = await new_integrations(world, world.dev_a, 5)

    first = await page(world, world.dev_a, 2)
    second = await page(world, world.dev_a, 2, first["pageInfo"]["endCursor"])
    third = await page(world, world.dev_a, 2, second["pageInfo"]["endCursor"])

    assert [ids_of(p) for p in (first, second, third)] == [ids[0:2], ids[2:4], ids[4:]]
    assert [p["pageInfo"]["hasNextPage"] for p in (first, second, third)] == [True, True, False]
    assert [p["totalCount"] for p in (first, second, third)] == [5, 5, 5]


async def test_cursor_of_the_last_page_gives_an_empty_page(world):
    await new_integrations(world, world.dev_a, 2)
    last = await page(world, world.dev_a, 2)

    after_last = await page(world, world.dev_a, 2, last["pageInfo"]["endCursor"])

    assert after_last == {"nodes": [], "pageInfo": {"hasNextPage": False, "endCursor": None},
                          "totalCount": 2}


async def test_same_millisecond_integrations_are_neither_skipped_nor_repeated(world):
    created = set()
    for _ in range(3):
        data = await world.api.data(CREATE, {"input": {"name": "Same ms"}}, world.dev_a)
        created.add(data["createProductIntegration"]["productIntegration"]["id"])

    seen, after = [], None
    for _ in range(3):
        one = await page(world, world.dev_a, 1, after)
        seen += ids_of(one)
        after = one["pageInfo"]["endCursor"]

    assert sorted(seen) == sorted(created)
    assert one["pageInfo"]["hasNextPage"] is False


async def test_cursor_does_not_leak_other_vendors_integrations(world):
    await new_integrations(world, world.dev_a, 1)
    await new_integrations(world, world.dev_b, 2)
    first = await page(world, world.admin, 1)

    rest = await page(world, world.dev_a, 10, first["pageInfo"]["endCursor"])

    assert ids_of(rest) == []


async def test_first_of_one_hundred_is_allowed(world):
    ids = await new_integrations(world, world.dev_a, 1)

    connection = await page(world, world.dev_a, 100)

    assert ids_of(connection) == ids


async def test_first_out_of_range_is_a_top_level_error(world):
    for first in (0, -1, 101):
        response = await world.api.post(LIST, {"first": first}, world.dev_a)

        body = response.json()
        assert response.status_code == 200
        assert body["data"] is None
        assert [(e["message"], e["path"]) for e in body["errors"]] == [
            ("first must be between 1 and 100.", ["productIntegrations"])]


async def test_bad_cursor_is_a_top_level_error(world):
    for bad in ("not-a-cursor", "", cursor('{"a": 1}'), cursor('[1e30, "x"]'),
                cursor('[Infinity, "x"]'), cursor("[9223372036854775808, \"x\"]")):
        response = await world.api.post(LIST, {"first": 5, "after": bad}, world.dev_a)

        body = response.json()
        assert body["data"] is None, bad
        assert [(e["message"], e["path"]) for e in body["errors"]] == [
            ("after is not a cursor returned by this API.", ["productIntegrations"])], bad


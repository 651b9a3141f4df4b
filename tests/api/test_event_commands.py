"""retryEvent and resolveEvent per caller: only administrators, only in the right state."""

import pytest

from tests.api.test_outbox import ordered
from tests.helpers import dump_tables

RETRY = """mutation($id: ID!) { retryEvent(input: {id: $id}) { event { status }
  userErrors { __typename message path code } } }"""
RESOLVE = """mutation($id: ID!, $code: String) { resolveEvent(input: {id: $id, success: false,
  errorCode: $code}) { event { status } userErrors { __typename message path code } } }"""


@pytest.mark.parametrize("document,name", [(RETRY, "RetryEvent"), (RESOLVE, "ResolveEvent")])
async def test_a_developer_may_not_and_nothing_is_written(world, document, name):
    ids = await ordered(world)
    before = await dump_tables(world.db)

    data = await world.api.data(document, {"id": ids["first"]}, world.dev_a)

    assert next(iter(data.values())) == {"event": None, "userErrors": [{
        "__typename": f"{name}Error", "message": "Only marketplace administrators can do this.",
        "path": ["input"], "code": "NOT_ALLOWED"}]}
    assert await dump_tables(world.db) == before


@pytest.mark.parametrize("document,name,message", [
    (RETRY, "RetryEvent", "Only a FAILED event can be retried."),
    (RESOLVE, "ResolveEvent", "Only a PENDING event can be resolved."),
])
async def test_an_event_in_another_state_is_refused(world, document, name, message):
    ids = await ordered(world)  # QUEUED
    before = await dump_tables(world.db)

    data = await world.api.data(document, {"id": ids["first"]}, world.admin)

    assert next(iter(data.values()))["userErrors"] == [{
        "__typename": f"{name}Error", "message": message, "path": ["input", "id"], "code": "INVALID"}]
    assert await dump_tables(world.db) == before


async def test_unknown_event_and_error_code(world):
    ids = await ordered(world)

    unknown = await world.api.data(RETRY, {"id": "00000000-0000-4000-8000-00000000dead"}, world.admin)
    bad_code = await world.api.data(RESOLVE, {"id": ids["first"], "code": "NOPE"}, world.admin)

    assert unknown["retryEvent"]["userErrors"] == [{
        "__typename": "RetryEventError", "message": "Event not found.", "path": ["input", "id"],
        "code": "NOT_FOUND"}]
    assert [e["path"] for e in bad_code["resolveEvent"]["userErrors"]] == [["input", "errorCode"]]


async def test_anonymous_is_unauthenticated(world):
    ids = await ordered(world)

    response = await world.api.post(RETRY, {"id": ids["first"]})

    assert response.status_code == 401

"""assignUser, unassignUser and updateUser: per caller, their events (shaped like the SDK's
user-assign / user-unassign fixtures) and what the host's answers do to the assignment."""

import pytest
from sqlalchemy import select

from marketlink.storage.tables import events as events_table
from tests.api.test_commerce import (
    CREATE_COMPANY,
    CREATE_SUBSCRIPTION,
    CREATE_USER,
    order_input,
)
from tests.api.test_subscription_lifecycle import (
    BASE,
    FIXTURES,
    UNKNOWN,
    account,
    answer,
    creator,
    events,
    expected,
    fixture,
    key_differences,
    live_subscription,
    state,
)
from tests.helpers import START_MS, dump_tables

ERRORS = "userErrors { __typename message path code }"
ASSIGN = f"""mutation($s: ID!, $u: ID!) {{ assignUser(input: {{subscriptionId: $s, userId: $u}}) {{
  assignment {{ id status userIdentifier }} {ERRORS} }} }}"""
UNASSIGN = f"""mutation($s: ID!, $u: ID!) {{ unassignUser(input: {{subscriptionId: $s, userId: $u}}) {{
  assignment {{ id status userIdentifier }} {ERRORS} }} }}"""
UPDATE = f"""mutation($input: UpdateUserInput!) {{ updateUser(input: $input) {{
  user {{ id email firstName lastName language locale lastModified }} {ERRORS} }} }}"""
ASSIGNMENTS = """query($s: ID!) { subscription(id: $s) { assignments { id subscriptionId userId status
  userIdentifier createdOn lastModified } } }"""
RESOLVE = """mutation($id: ID!, $userIdentifier: String) { resolveEvent(input: {id: $id, success: true,
  userIdentifier: $userIdentifier}) { event { status } } }"""


async def colleague(world, company: str, email: str = "bob@buyer.example") -> str:
    data = await world.api.data(CREATE_USER, {"input": {
        "companyId": company, "email": email, "firstName": "Bob", "lastName": "Babbage",
        "language": "fr", "locale": "fr-CA"}}, world.admin)
    return data["createUser"]["user"]["id"]


async def assign(world, subscription: str, user: str, token=None) -> dict:
    return (await world.api.data(ASSIGN, {"s": subscription, "u": user}, token or world.admin))["assignUser"]


async def unassign(world, subscription: str, user: str, token=None) -> dict:
    return (await world.api.data(UNASSIGN, {"s": subscription, "u": user}, token or world.admin))["unassignUser"]


async def assignments(world, subscription: str) -> list[dict]:
    return (await world.api.data(ASSIGNMENTS, {"s": subscription}, world.admin))["subscription"]["assignments"]


def bob(user: str, user_identifier: str | None = None) -> dict:
    return {"uuid": user, "openId": f"{BASE}/openid/id/{user}", "email": "bob@buyer.example",
            "firstName": "Bob", "lastName": "Babbage", "language": "fr", "locale": "fr-CA", "address": None,
            "attributes": {"userIdentifier": user_identifier} if user_identifier else None}


async def assigned(world, *, user_identifier: str = "host-bob"):
    """A live subscription with Bob ACTIVE-ly assigned (the host said ``user_identifier``)."""
    live = await live_subscription(world)
    user = await colleague(world, live.company)
    await assign(world, live.subscription, user)
    await answer(world, "SUCCEEDED", user_identifier=user_identifier)
    return live, user


# --- callers -------------------------------------------------------------------------------

@pytest.mark.parametrize("document,variables", [
    (ASSIGN, {"s": UNKNOWN, "u": UNKNOWN}), (UNASSIGN, {"s": UNKNOWN, "u": UNKNOWN}),
    (UPDATE, {"input": {"id": UNKNOWN, "firstName": "X"}})])
async def test_anonymous_caller_is_refused(world, document, variables):
    before = await dump_tables(world.db)

    response = await world.api.post(document, variables)

    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    assert await dump_tables(world.db) == before


async def test_a_developer_is_not_allowed_and_nothing_written(world):
    live, user = await assigned(world)
    before = await dump_tables(world.db)

    assigning = await assign(world, live.subscription, user, world.dev_a)
    unassigning = await unassign(world, live.subscription, user, world.dev_a)
    updating = (await world.api.data(UPDATE, {"input": {"id": user, "firstName": "Robert"}},
                                     world.dev_a))["updateUser"]

    refusal = {"message": "Only marketplace administrators can do this.", "path": ["input"],
               "code": "NOT_ALLOWED"}
    assert assigning == {"assignment": None, "userErrors": [{"__typename": "AssignUserError"} | refusal]}
    assert unassigning == {"assignment": None, "userErrors": [{"__typename": "UnassignUserError"} | refusal]}
    assert updating == {"user": None, "userErrors": [{"__typename": "UpdateUserError"} | refusal]}
    assert await dump_tables(world.db) == before


# --- assignUser ----------------------------------------------------------------------------

async def test_assigning_queues_the_event_and_the_assignment_waits_for_the_host(world):
    live = await live_subscription(world)
    user = await colleague(world, live.company)

    result = await assign(world, live.subscription, user)
    [_, event] = await events(world, live.subscription)

    assert result == {"assignment": {"id": result["assignment"]["id"], "status": "ASSIGNING",
                                     "userIdentifier": None}, "userErrors": []}
    assert await assignments(world, live.subscription) == [{
        "id": result["assignment"]["id"], "subscriptionId": live.subscription, "userId": user,
        "status": "ASSIGNING", "userIdentifier": None, "createdOn": START_MS, "lastModified": START_MS}]
    assert (event["type"], event["status"]) == ("USER_ASSIGNMENT", "QUEUED")
    assert event["document"] == expected("USER_ASSIGNMENT", {"user": bob(user), "account": account("ACTIVE")},
                                         creator(live))
    async with world.db.read() as conn:
        linked = (await conn.execute(select(events_table.c.assignment_id).where(
            events_table.c.type == "USER_ASSIGNMENT"))).scalar_one()
    assert linked == result["assignment"]["id"]


@pytest.mark.skipif(not FIXTURES.exists(), reason="shared/ is not beside this checkout")
async def test_assignment_and_unassignment_documents_have_the_fixture_keys(world):
    live, user = await assigned(world)
    await unassign(world, live.subscription, user)
    [_, assigning, unassigning] = await events(world, live.subscription)

    # The assign fixture's creator and user have no openId; ours always do.
    assert key_differences(assigning["document"], fixture("user-assign.json")) == (
        {"creator.openId", "payload.user.openId"}, set())
    assert key_differences(unassigning["document"], fixture("user-unassign.json")) == (set(), set())


@pytest.mark.parametrize("host,result,status,user_identifier", [
    ("SUCCEEDED", {"user_identifier": "host-bob"}, "ACTIVE", "host-bob"),
    ("SUCCEEDED", {}, "ACTIVE", None),
    ("PENDING", {}, "PENDING_USER_ACTIVATION", None),
    ("FAILED", {"error_code": "USER_ALREADY_EXISTS"}, "FAILED", None),
])
async def test_the_hosts_answer_moves_the_assignment(world, host, result, status, user_identifier):
    live = await live_subscription(world)
    user = await colleague(world, live.company)
    await assign(world, live.subscription, user)

    await answer(world, host, **result)

    [assignment] = await assignments(world, live.subscription)
    assert (assignment["status"], assignment["userIdentifier"]) == (status, user_identifier)


async def test_a_pending_assignment_is_resolved_by_the_hosts_later_result(world):
    live = await live_subscription(world)
    user = await colleague(world, live.company)
    await assign(world, live.subscription, user)
    event = await answer(world, "PENDING")

    await world.api.data(RESOLVE, {"id": event["id"], "userIdentifier": "host-bob"}, world.admin)

    [assignment] = await assignments(world, live.subscription)
    assert (assignment["status"], assignment["userIdentifier"]) == ("ACTIVE", "host-bob")


@pytest.mark.parametrize("host", ["ASSIGNING", "ACTIVE", "PENDING_USER_ACTIVATION"])
async def test_assigning_twice_is_a_duplicate(world, host):
    live = await live_subscription(world)
    user = await colleague(world, live.company)
    await assign(world, live.subscription, user)
    if host != "ASSIGNING":
        await answer(world, "SUCCEEDED" if host == "ACTIVE" else "PENDING")
    before = await dump_tables(world.db)

    again = await assign(world, live.subscription, user)

    assert again == {"assignment": None, "userErrors": [{
        "__typename": "AssignUserError", "message": f"This user is already assigned ({host}).",
        "path": ["input", "userId"], "code": "DUPLICATE"}]}
    assert await dump_tables(world.db) == before


async def test_a_failed_assignment_can_be_tried_again(world):
    live = await live_subscription(world)
    user = await colleague(world, live.company)
    first = await assign(world, live.subscription, user)
    await answer(world, "FAILED", error_code="MAX_USERS_REACHED")
    world.clock.advance(5)

    again = await assign(world, live.subscription, user)

    assert again == {"assignment": {"id": first["assignment"]["id"], "status": "ASSIGNING",
                                    "userIdentifier": None}, "userErrors": []}
    assert [e["type"] for e in await events(world, live.subscription)] == [
        "SUBSCRIPTION_ORDER", "USER_ASSIGNMENT", "USER_ASSIGNMENT"]
    assert (await assignments(world, live.subscription))[0]["lastModified"] == START_MS + 5


async def test_assign_mistakes_are_reported_and_nothing_written(world):
    live = await live_subscription(world)
    other = (await world.api.data(CREATE_COMPANY, {"input": {"name": "Other", "country": "CA"}},
                                  world.admin))["createCompany"]["company"]["id"]
    outsider = await colleague(world, other, "eve@other.example")
    before = await dump_tables(world.db)

    unknown_subscription = await assign(world, UNKNOWN, outsider)
    foreign_user = await assign(world, live.subscription, outsider)
    unknown_user = await assign(world, live.subscription, "not-a-uuid")

    assert unknown_subscription["userErrors"] == [{
        "__typename": "AssignUserError", "message": "Subscription not found.",
        "path": ["input", "subscriptionId"], "code": "NOT_FOUND"}]
    not_of_company = [{"__typename": "AssignUserError", "path": ["input", "userId"], "code": "NOT_FOUND",
                       "message": "userId must be a user of the subscription's company."}]
    assert foreign_user["userErrors"] == unknown_user["userErrors"] == not_of_company
    assert await dump_tables(world.db) == before


async def test_a_subscription_that_is_not_active_takes_no_assignment(world):
    live = await live_subscription(world, account=None)
    user = await colleague(world, live.company)
    before = await dump_tables(world.db)

    result = await assign(world, live.subscription, user)

    assert result == {"assignment": None, "userErrors": [{
        "__typename": "AssignUserError",
        "message": "The subscription is INITIALIZED; users can be assigned only when ACTIVE.",
        "path": ["input", "subscriptionId"], "code": "INVALID_STATE"}]}
    assert await dump_tables(world.db) == before


# --- unassignUser --------------------------------------------------------------------------

async def test_unassigning_carries_the_hosts_user_identifier(world):
    live, user = await assigned(world)

    result = await unassign(world, live.subscription, user)
    event = (await events(world, live.subscription))[-1]

    assert result == {"assignment": {"id": result["assignment"]["id"], "status": "UNASSIGNING",
                                     "userIdentifier": "host-bob"}, "userErrors": []}
    assert event["document"] == expected("USER_UNASSIGNMENT", {
        "user": bob(user, "host-bob"), "account": account("ACTIVE")}, creator(live))


@pytest.mark.parametrize("host,status", [("SUCCEEDED", "UNASSIGNED"), ("FAILED", "ACTIVE"),
                                         ("PENDING", "UNASSIGNING")])
async def test_the_hosts_answer_to_an_unassignment(world, host, status):
    live, user = await assigned(world)
    await unassign(world, live.subscription, user)

    await answer(world, host)

    [assignment] = await assignments(world, live.subscription)
    assert (assignment["status"], assignment["userIdentifier"]) == (status, "host-bob")


async def test_an_unassigned_user_can_be_assigned_again(world):
    live, user = await assigned(world)
    await unassign(world, live.subscription, user)
    await answer(world, "SUCCEEDED")

    again = await assign(world, live.subscription, user)

    assert (again["assignment"]["status"], again["assignment"]["userIdentifier"]) == ("ASSIGNING", None)


async def test_unassign_mistakes_are_reported_and_nothing_written(world):
    live = await live_subscription(world)
    never = await colleague(world, live.company)
    waiting = await colleague(world, live.company, "carl@buyer.example")
    await assign(world, live.subscription, waiting)
    before = await dump_tables(world.db)

    not_assigned = await unassign(world, live.subscription, never)
    still_assigning = await unassign(world, live.subscription, waiting)

    assert not_assigned["userErrors"] == [{
        "__typename": "UnassignUserError", "message": "This user is not assigned to the subscription.",
        "path": ["input", "userId"], "code": "NOT_FOUND"}]
    assert still_assigning["userErrors"] == [{
        "__typename": "UnassignUserError",
        "message": "The assignment is ASSIGNING; only an ACTIVE assignment can be unassigned.",
        "path": ["input", "userId"], "code": "INVALID_STATE"}]
    assert await dump_tables(world.db) == before


# --- updateUser ----------------------------------------------------------------------------

async def test_update_tells_each_live_subscription_the_user_is_active_on(world):
    live, user = await assigned(world)
    second = (await world.api.data(CREATE_SUBSCRIPTION, {"input": order_input(
        live.product, live.company, live.user)}, world.admin))["createSubscription"]["subscription"]["id"]
    await answer(world, "SUCCEEDED", account_identifier="acct-2")
    await assign(world, second, user)
    await answer(world, "FAILED", error_code="MAX_USERS_REACHED")  # not ACTIVE there: not told
    world.clock.advance(7)

    result = await world.api.data(UPDATE, {"input": {"id": user, "lastName": "Byron",
                                                     "email": "Bob.B@Buyer.example"}}, world.admin)

    assert result["updateUser"] == {"user": {
        "id": user, "email": "bob.b@buyer.example", "firstName": "Bob", "lastName": "Byron",
        "language": "fr", "locale": "fr-CA", "lastModified": START_MS + 7}, "userErrors": []}
    updated = (await events(world, live.subscription))[-1]
    assert (updated["type"], [e["type"] for e in await events(world, second)]) == (
        "USER_UPDATED", ["SUBSCRIPTION_ORDER", "USER_ASSIGNMENT"])
    person = bob(user, "host-bob") | {"email": "bob.b@buyer.example", "lastName": "Byron"}
    assert updated["document"] == expected("USER_UPDATED", {"user": person, "account": account("ACTIVE")},
                                           creator(live))
    if FIXTURES.exists():  # no USER_UPDATED fixture: it carries what an assignment does
        assert key_differences(updated["document"], fixture("user-unassign.json")) == (set(), set())


async def test_an_update_that_changes_nothing_queues_nothing(world):
    _, user = await assigned(world)
    before = await dump_tables(world.db)

    result = await world.api.data(UPDATE, {"input": {"id": user, "firstName": "Bob", "locale": "fr-CA"}},
                                  world.admin)

    assert result["updateUser"]["userErrors"] == []
    assert await dump_tables(world.db) == before


async def test_update_mistakes_are_reported_and_nothing_written(world):
    live, user = await assigned(world)
    before = await dump_tables(world.db)

    unknown = await world.api.data(UPDATE, {"input": {"id": UNKNOWN, "firstName": "X"}}, world.admin)
    wrong = await world.api.data(UPDATE, {"input": {
        "id": user, "firstName": "", "language": "French", "email": "ada@buyer.example"}}, world.admin)

    assert unknown["updateUser"] == {"user": None, "userErrors": [{
        "__typename": "UpdateUserError", "message": "User not found.", "path": ["input", "id"],
        "code": "NOT_FOUND"}]}
    assert [(e["path"], e["code"], e["message"]) for e in wrong["updateUser"]["userErrors"]] == [
        (["input", "firstName"], "REQUIRED", "firstName is 1 to 100 characters."),
        (["input", "language"], "INVALID", "language is a code such as en or en-US."),
        (["input", "email"], "DUPLICATE", "A user with this email exists.")]
    assert (await state(world, live.subscription))["status"] == "ACTIVE"
    assert await dump_tables(world.db) == before

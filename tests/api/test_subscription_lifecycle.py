"""changeSubscription, cancelSubscription and the notices (suspend, reactivate, close, upcoming
invoice): per caller, their events (shaped like the SDK fixtures), and the state machine the
host's answers drive (docs/adr/0010). The host's answers are settled as the worker does."""

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from marketlink.domain import deliveries
from marketlink.storage import outbox
from tests.api.test_commerce import CREATE_SUBSCRIPTION, buyer, order_input
from tests.helpers import dump_tables

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "reference" / "appdirect-sdk-fixtures" / "events"
needs_fixtures = pytest.mark.skipif(not FIXTURES.exists(), reason="shared/ is not beside this checkout")
BASE = "http://127.0.0.1:8000"
UNKNOWN = "00000000-0000-4000-8000-00000000dead"
ERRORS = "userErrors { __typename message path code }"
STEPS = ["changeSubscription", "cancelSubscription", "suspendSubscription", "reactivateSubscription",
         "closeSubscription", "notifyUpcomingInvoice"]
SETUP = """mutation($integration: CreateProductIntegrationInput!, $product: CreateProductInput!) {
  createProductIntegration(input: $integration) { productIntegration { id } }
  createProduct(input: $product) { product { id } } }"""
PUBLISH_LINK = """mutation($p: ID!, $i: ID!) {
  publishProductIntegration(input: {integrationId: $i}) { productIntegration { id } }
  linkProductIntegration(input: {productId: $p, integrationId: $i}) { product { id } } }"""
PUBLISH = """mutation($i: ID!) { publishProductIntegration(input: {integrationId: $i}) {
  productIntegration { id } } }"""
STATE = """query($s: ID!) { subscription(id: $s) { status accountIdentifier editionCode pricingDuration
  items { unit quantity } } }"""
EVENTS = """query($s: ID) { events(subscriptionId: $s) { nodes { type status integrationVersionId
  subscriptionId productId document } } }"""
RESOLVE = """mutation($id: ID!) { resolveEvent(input: {id: $id, success: false}) { event { status } } }"""
URLS = {name: f"https://host.example/{name[:-3]}" for name in (
    "createUrl", "upgradeUrl", "cancelUrl", "notifyUrl", "assignUrl", "unassignUrl", "userUpdatedUrl")}


def step(name: str) -> str:
    if name == "changeSubscription":
        return f"""mutation($id: ID!, $edition: String, $items: [OrderItemInput!]) {{
          changeSubscription(input: {{id: $id, editionCode: $edition, items: $items}}) {{
            subscription {{ id status editionCode }} {ERRORS} }} }}"""
    return f"""mutation($id: ID!) {{ {name}(input: {{id: $id}}) {{
      subscription {{ id status editionCode }} {ERRORS} }} }}"""


@dataclass
class Live:
    product: str
    integration: str
    snapshot: str
    company: str
    user: str
    subscription: str


async def live_subscription(world, *, account: str | None = "acct-1") -> Live:
    """A product whose integration has every event URL, bought; with ``account`` the host has
    answered the order (ACTIVE), else the order is still queued (INITIALIZED)."""
    data = await world.api.data(SETUP, {"integration": {"name": "Host"} | URLS, "product": {
        "name": "App", "editions": [{"code": "BASIC", "name": "Basic"}, {"code": "PRO", "name": "Pro"}]}},
        world.dev_a)
    integration = data["createProductIntegration"]["productIntegration"]["id"]
    product = data["createProduct"]["product"]["id"]
    published = await world.api.data(PUBLISH_LINK, {"p": product, "i": integration}, world.dev_a)
    company, user = await buyer(world)
    order = await world.api.data(CREATE_SUBSCRIPTION, {"input": order_input(product, company, user)},
                                 world.admin)
    live = Live(product, integration, published["publishProductIntegration"]["productIntegration"]["id"],
                company, user, order["createSubscription"]["subscription"]["id"])
    if account:
        await answer(world, "SUCCEEDED", account_identifier=account)
    return live


async def answer(world, kind: str, **result) -> dict:
    """The host's answer to the next due event, settled as the worker settles it; the event."""
    async with world.db.write() as conn:
        [event] = await outbox.claim_due(conn, "test-worker", world.clock.now_ms(), 60_000, 1)
        outcome = deliveries.AttemptOutcome(kind, success=kind == "SUCCEEDED", **result)
        attempt = {"started_on": world.clock.now_ms(), "url": "https://host.example", "outcome": kind}
        assert await deliveries.settle(conn, world.settings, dict(event), "test-worker", outcome,
                                       attempt, world.clock.now_ms())
    return dict(event)


async def call(world, name: str, subscription: str, token=None, **variables) -> dict:
    data = await world.api.data(step(name), {"id": subscription} | variables, token or world.admin)
    return data[name]


async def state(world, subscription: str) -> dict:
    return (await world.api.data(STATE, {"s": subscription}, world.admin))["subscription"]


async def events(world, subscription: str) -> list[dict]:
    """The subscription's events, oldest first."""
    data = await world.api.data(EVENTS, {"s": subscription}, world.admin)
    return data["events"]["nodes"][::-1]


def key_differences(ours, fixture, path: str = "") -> tuple[set[str], set[str]]:
    """(keys only in ours, keys only in the fixture) at every level, as dotted paths. Lists are
    compared by their first items; a null on one side is not looked into (absent values are
    null), nor are the free maps ``configuration`` and ``attributes``."""
    if isinstance(ours, list) and isinstance(fixture, list) and ours and fixture:
        return key_differences(ours[0], fixture[0], path + "[].")
    if not (isinstance(ours, dict) and isinstance(fixture, dict)):
        return set(), set()
    extra = {path + k for k in ours.keys() - fixture.keys()}
    missing = {path + k for k in fixture.keys() - ours.keys()}
    for key in (ours.keys() & fixture.keys()) - {"configuration", "attributes"}:
        more, less = key_differences(ours[key], fixture[key], f"{path}{key}.")
        extra, missing = extra | more, missing | less
    return extra, missing


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


# The SDK's change and notice fixtures are trimmed; ours always carry every key (null when
# absent), so these are the keys they leave out. None of the fixtures' keys is missing.
ENVELOPE = {"applicationUuid", "flag", "returnUrl", "links"}
PAYLOAD_PARTS = {"payload.user", "payload.company", "payload.addonInstance", "payload.addonBinding",
                 "payload.configuration", "payload.account.parentAccountIdentifier"}
NOTICE_EXTRA = ENVELOPE | PAYLOAD_PARTS | {"creator", "payload.order", "payload.notice.message"}


def creator(live: Live) -> dict:
    return {"uuid": live.user, "openId": f"{BASE}/openid/id/{live.user}", "email": "ada@buyer.example",
            "firstName": "Ada", "lastName": "Lovelace", "language": "en", "locale": "en-US",
            "address": None, "attributes": None}


def expected(event_type: str, payload: dict, creator_part: dict | None) -> dict:
    parts = {"user": None, "company": None, "account": None, "addonInstance": None,
             "addonBinding": None, "order": None, "notice": None, "configuration": {}}
    return {"type": event_type, "marketplace": {"partner": "MARKETLINK", "baseUrl": BASE},
            "applicationUuid": None, "flag": None, "creator": creator_part,
            "payload": parts | payload, "returnUrl": None, "links": []}


def account(status: str, identifier: str = "acct-1") -> dict:
    return {"accountIdentifier": identifier, "status": status, "parentAccountIdentifier": None}


# --- callers -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", STEPS)
async def test_anonymous_caller_is_refused_and_nothing_written(world, name):
    live = await live_subscription(world)
    before = await dump_tables(world.db)

    response = await world.api.post(step(name), {"id": live.subscription})

    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    assert await dump_tables(world.db) == before


@pytest.mark.parametrize("name", STEPS)
async def test_a_developer_is_not_allowed_and_nothing_written(world, name):
    live = await live_subscription(world)
    before = await dump_tables(world.db)

    result = await call(world, name, live.subscription, world.dev_a)

    assert result == {"subscription": None, "userErrors": [{
        "__typename": f"{name[0].upper()}{name[1:]}Error",
        "message": "Only marketplace administrators can do this.", "path": ["input"], "code": "NOT_ALLOWED"}]}
    assert await dump_tables(world.db) == before


@pytest.mark.parametrize("name", STEPS)
@pytest.mark.parametrize("subscription_id", [UNKNOWN, "not-a-uuid"])
async def test_an_unknown_subscription_is_not_found(world, name, subscription_id):
    before = await dump_tables(world.db)

    result = await call(world, name, subscription_id)

    assert result == {"subscription": None, "userErrors": [{
        "__typename": f"{name[0].upper()}{name[1:]}Error", "message": "Subscription not found.",
        "path": ["input", "id"], "code": "NOT_FOUND"}]}
    assert await dump_tables(world.db) == before


# --- the events ----------------------------------------------------------------------------

async def test_change_queues_its_event_with_the_latest_published_snapshot(world):
    live = await live_subscription(world)
    republished = await world.api.data(PUBLISH, {"i": live.integration}, world.dev_a)

    result = await call(world, "changeSubscription", live.subscription, edition="PRO",
                        items=[{"unit": "USER", "quantity": 7}])
    [_, change] = await events(world, live.subscription)

    assert result == {"subscription": {"id": live.subscription, "status": "ACTIVE", "editionCode": "BASIC"},
                      "userErrors": []}
    assert {k: v for k, v in change.items() if k != "document"} == {
        "type": "SUBSCRIPTION_CHANGE", "status": "QUEUED", "subscriptionId": live.subscription,
        "productId": live.product,
        "integrationVersionId": republished["publishProductIntegration"]["productIntegration"]["id"]}
    assert change["document"] == expected("SUBSCRIPTION_CHANGE", {
        "account": account("ACTIVE"),
        "order": {"editionCode": "PRO", "addonOfferingCode": None, "pricingDuration": "MONTHLY",
                  "items": [{"unit": "USER", "quantity": 7}]}}, creator(live))


@needs_fixtures
async def test_change_document_has_the_fixture_keys(world):
    live = await live_subscription(world)
    await call(world, "changeSubscription", live.subscription, edition="PRO")
    document = (await events(world, live.subscription))[1]["document"]

    assert key_differences(document, fixture("subscription-change.json")) == (
        ENVELOPE | PAYLOAD_PARTS | {"creator.attributes", "payload.notice", "payload.order.addonOfferingCode"},
        set())


async def test_cancel_document_is_exact_and_has_the_fixture_keys(world):
    live = await live_subscription(world)

    result = await call(world, "cancelSubscription", live.subscription)
    document = (await events(world, live.subscription))[1]["document"]

    assert result["userErrors"] == []
    assert document == expected("SUBSCRIPTION_CANCEL", {"account": account("ACTIVE")}, creator(live))
    if FIXTURES.exists():
        assert key_differences(document, fixture("subscription-cancel.json")) == (
            {"flag", "creator.locale"}, set())


@pytest.mark.parametrize("name,notice,status,fixture_name,before", [
    ("suspendSubscription", "DEACTIVATED", "SUSPENDED", "subscription-deactivated.json", []),
    ("reactivateSubscription", "REACTIVATED", "ACTIVE", "subscription-reactivated.json",
     ["suspendSubscription"]),
    ("closeSubscription", "CLOSED", "CANCELLED", "subscription-closed.json", ["suspendSubscription"]),
    ("notifyUpcomingInvoice", "UPCOMING_INVOICE", "ACTIVE", "subscription-upcoming-invoice.json", []),
])
async def test_notice_documents_are_exact_and_have_the_fixture_keys(
        world, name, notice, status, fixture_name, before):
    live = await live_subscription(world)
    for earlier in before:
        await call(world, earlier, live.subscription)
        await answer(world, "SUCCEEDED")

    result = await call(world, name, live.subscription)
    document = (await events(world, live.subscription))[-1]["document"]

    assert result["userErrors"] == []
    assert document == expected("SUBSCRIPTION_NOTICE", {
        "account": account(status), "notice": {"type": notice, "message": None}}, None)
    if FIXTURES.exists():
        assert key_differences(document, fixture(fixture_name)) == (NOTICE_EXTRA, set())


# --- the state machine ---------------------------------------------------------------------

@pytest.mark.parametrize("path,host,status", [
    (["cancelSubscription"], "SUCCEEDED", "CANCELLED"),
    (["cancelSubscription"], "PENDING", "PENDING_REMOTE_CANCELLATION"),
    (["cancelSubscription"], "FAILED", "ACTIVE"),
    (["suspendSubscription", "cancelSubscription"], "SUCCEEDED", "CANCELLED"),
    (["suspendSubscription"], "SUCCEEDED", "SUSPENDED"),
    (["suspendSubscription"], "FAILED", "ACTIVE"),
    (["suspendSubscription", "reactivateSubscription"], "SUCCEEDED", "ACTIVE"),
    (["suspendSubscription", "closeSubscription"], "SUCCEEDED", "CLOSED"),
    (["cancelSubscription", "closeSubscription"], "SUCCEEDED", "CLOSED"),
    (["notifyUpcomingInvoice"], "SUCCEEDED", "ACTIVE"),
])
async def test_the_hosts_answer_moves_the_subscription(world, path, host, status):
    live = await live_subscription(world)
    for name in path:
        assert (await call(world, name, live.subscription))["userErrors"] == []

    for _ in path[:-1]:
        await answer(world, "SUCCEEDED")
    await answer(world, host, error_code="UNKNOWN_ERROR" if host == "FAILED" else None)

    assert (await state(world, live.subscription))["status"] == status


async def test_a_pending_cancellation_that_fails_later_returns_to_what_it_was(world):
    live = await live_subscription(world)
    await call(world, "suspendSubscription", live.subscription)
    await answer(world, "SUCCEEDED")
    await call(world, "cancelSubscription", live.subscription)
    cancel = await answer(world, "PENDING")

    pending = (await state(world, live.subscription))["status"]
    await world.api.data(RESOLVE, {"id": cancel["id"]}, world.admin)

    assert (pending, (await state(world, live.subscription))["status"]) == (
        "PENDING_REMOTE_CANCELLATION", "SUSPENDED")


async def test_a_change_takes_effect_when_the_host_accepts_it(world):
    live = await live_subscription(world)
    await call(world, "changeSubscription", live.subscription, edition="PRO")
    queued = await state(world, live.subscription)
    await answer(world, "SUCCEEDED")
    await call(world, "changeSubscription", live.subscription, items=[{"unit": "SEAT", "quantity": 2}])
    await answer(world, "FAILED", error_code="UNKNOWN_ERROR")

    assert queued["editionCode"] == "BASIC"
    assert await state(world, live.subscription) == {
        "status": "ACTIVE", "accountIdentifier": "acct-1", "editionCode": "PRO",
        "pricingDuration": "MONTHLY", "items": [{"unit": "USER", "quantity": 5}]}


async def test_queued_events_count_when_checking_the_state(world):
    live = await live_subscription(world)

    suspend = await call(world, "suspendSubscription", live.subscription)
    reactivate = await call(world, "reactivateSubscription", live.subscription)
    again = await call(world, "reactivateSubscription", live.subscription)

    assert (suspend["userErrors"], reactivate["userErrors"]) == ([], [])
    assert again["userErrors"] == [{
        "__typename": "ReactivateSubscriptionError",
        "message": "The subscription is ACTIVE; it can be reactivated only when SUSPENDED.",
        "path": ["input", "id"], "code": "INVALID_STATE"}]
    notices = [e["document"]["payload"]["notice"] for e in await events(world, live.subscription)]
    assert [n and n["type"] for n in notices] == [None, "DEACTIVATED", "REACTIVATED"]


@pytest.mark.parametrize("actions,name,message", [
    (None, "changeSubscription", "The subscription is INITIALIZED; it can be changed only when ACTIVE."),
    (None, "cancelSubscription",
     "The subscription is INITIALIZED; it can be cancelled only when ACTIVE or SUSPENDED."),
    ([], "reactivateSubscription", "The subscription is ACTIVE; it can be reactivated only when SUSPENDED."),
    ([], "closeSubscription", "The subscription is ACTIVE; it can be closed only when SUSPENDED or CANCELLED."),
    (["cancelSubscription"], "cancelSubscription",
     ("The subscription will be CANCELLED once its queued events are delivered; "
      "it can be cancelled only when ACTIVE or SUSPENDED.")),
    (["cancelSubscription", "PENDING"], "closeSubscription",
     "The subscription is PENDING_REMOTE_CANCELLATION; it can be closed only when SUSPENDED or CANCELLED."),
    (["suspendSubscription", "SUCCEEDED"], "changeSubscription",
     "The subscription is SUSPENDED; it can be changed only when ACTIVE."),
    (["suspendSubscription", "SUCCEEDED"], "notifyUpcomingInvoice",
     "The subscription is SUSPENDED; an upcoming invoice can be announced only when ACTIVE."),
])
async def test_a_step_not_allowed_now_is_refused_and_nothing_written(world, actions, name, message):
    """``actions``: None leaves the order unanswered; else mutations and the host's answers."""
    live = await live_subscription(world, account=None if actions is None else "acct-1")
    for action in actions or []:
        if action.endswith("Subscription"):
            await call(world, action, live.subscription)
        else:
            await answer(world, action)
    before = await dump_tables(world.db)

    result = await call(world, name, live.subscription)

    assert result == {"subscription": None, "userErrors": [{
        "__typename": f"{name[0].upper()}{name[1:]}Error", "message": message, "path": ["input", "id"],
        "code": "INVALID_STATE"}]}
    assert await dump_tables(world.db) == before


async def test_change_mistakes_are_reported_and_nothing_written(world):
    live = await live_subscription(world)
    before = await dump_tables(world.db)

    result = await call(world, "changeSubscription", live.subscription, edition="GOLD",
                        items=[{"unit": "user", "quantity": 1}])

    assert result == {"subscription": None, "userErrors": [
        {"__typename": "ChangeSubscriptionError", "message": "editionCode is not an edition of this product.",
         "path": ["input", "editionCode"], "code": "NOT_FOUND"},
        {"__typename": "ChangeSubscriptionError",
         "message": "unit is 1 to 32 capital letters, digits or '_' and quantity is 0 or more.",
         "path": ["input", "items", "0"], "code": "INVALID"}]}
    assert await dump_tables(world.db) == before

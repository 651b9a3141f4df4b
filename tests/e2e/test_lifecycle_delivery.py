"""After the order, end to end: assignments, changes, cancellation and notices are notified to
their URLs in order, fetched by a vendor-style host, and its answers move the subscription and
the assignment (MarketLink over real HTTP, the worker driven by the test)."""

import pytest
from aiohttp import web

from marketlink.domain.actors import Role
from marketlink.domain.vendors import create_token, create_vendor
from tests.e2e.test_delivery import GQL, Call, Host, system  # noqa: F401 (fixture)

PATHS = {"createUrl": "/create", "upgradeUrl": "/upgrade", "cancelUrl": "/cancel", "notifyUrl": "/notify",
         "assignUrl": "/assign", "unassignUrl": "/unassign", "userUpdatedUrl": "/user-updated"}
STATE = """query($s: ID!) { subscription(id: $s) { status accountIdentifier editionCode
  assignments { userId status userIdentifier } events { type status } } }"""
ASSIGN = """mutation($s: ID!, $u: ID!) { assignUser(input: {subscriptionId: $s, userId: $u}) {
  assignment { status } userErrors { message } } }"""
UNASSIGN = """mutation($s: ID!, $u: ID!) { unassignUser(input: {subscriptionId: $s, userId: $u}) {
  assignment { status } userErrors { message } } }"""
CHANGE = """mutation($s: ID!) { changeSubscription(input: {id: $s, editionCode: "PRO",
  pricingDuration: YEARLY, items: [{unit: "USER", quantity: 10}]}) { userErrors { message } } }"""
STEP = """mutation($s: ID!) {{ {name}(input: {{id: $s}}) {{ userErrors {{ message }} }} }}"""
UPDATE = """mutation($u: ID!) { updateUser(input: {id: $u, firstName: "Augusta"}) { userErrors { message } } }"""


class FetchingHost(Host):
    """A host with every event URL; it fetches each event before answering as scripted."""

    async def notification(self, request: web.Request) -> web.Response:
        self.notifications.append({"path": request.path})
        self.fetched.append(await self.fetch(request.query["eventUrl"]))
        status, body = self.answers.pop(0)
        return web.json_response(body, status=status) if body is not None else web.Response(status=status)


@pytest.fixture
async def lifecycle(system):  # noqa: F811
    """MarketLink, a FetchingHost (answers given later) and an ordered subscription."""
    app, _, _, worker = system
    host = FetchingHost(answers=[])
    web_app = web.Application()
    for path in PATHS.values():
        web_app.router.add_get(path, host.notification)
    runner = web.AppRunner(web_app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    host.marketlink = app.state.services.settings.base_url
    ids = await _order(app, host)
    yield host, worker, ids
    await runner.cleanup()


async def _order(app, host: FetchingHost) -> dict:
    services = app.state.services
    async with app.state.db.write() as conn:
        vendor = await create_vendor(conn, services, "Vendor")
        developer = await create_token(conn, services, Role.DEVELOPER, vendor, "dev")
        admin = await create_token(conn, services, Role.ADMIN, None, "admin")
    call = Call(host.marketlink)
    call.admin = admin
    data = await call(GQL["setup"], {"integration": {"name": "Host"} | {
        field: host.url + path for field, path in PATHS.items()}, "product": {
        "name": "App", "editions": [{"code": "BASIC", "name": "Basic"}, {"code": "PRO", "name": "Pro"}]}},
        developer)
    integration, product = (data["createProductIntegration"]["productIntegration"]["id"],
                            data["createProduct"]["product"]["id"])
    host.inbound = (await call(GQL["client"], {"id": integration}, developer))[
        "generateProductIntegrationInboundClient"]["productIntegrationInboundClient"]
    await call(GQL["publish_link"], {"p": product, "i": integration}, developer)
    company = (await call(GQL["company"], {}, admin))["createCompany"]["company"]["id"]
    user = (await call(GQL["user"], {"c": company}, admin))["createUser"]["user"]["id"]
    order = await call(GQL["order"], {"p": product, "c": company, "u": user}, admin)
    return {"call": call, "user": user, "subscription": order["createSubscription"]["subscription"]["id"]}


async def _mutate(ids: dict, document: str, **variables) -> dict:
    data = await ids["call"](document, {"s": ids["subscription"]} | variables, ids["call"].admin)
    [payload] = data.values()
    assert payload["userErrors"] == []
    return payload


async def _state(ids: dict) -> dict:
    return (await ids["call"](STATE, {"s": ids["subscription"]}, ids["call"].admin))["subscription"]


async def test_assign_change_and_cancel_are_delivered_in_order_with_the_account(lifecycle):
    host, worker, ids = lifecycle
    host.answers = [(200, {"success": True, "accountIdentifier": "acct-77"}),
                    (200, {"success": True, "userIdentifier": "host-ada"}),
                    (200, {"success": True}), (202, None)]

    await worker.run_until_idle()
    ordered = await _state(ids)
    await _mutate(ids, ASSIGN, u=ids["user"])
    await worker.run_until_idle()
    assigned = await _state(ids)
    await _mutate(ids, CHANGE)
    await _mutate(ids, STEP.format(name="cancelSubscription"))
    await worker.run_until_idle()
    final = await _state(ids)

    assert (ordered["status"], ordered["accountIdentifier"]) == ("ACTIVE", "acct-77")
    assert assigned["assignments"] == [{"userId": ids["user"], "status": "ACTIVE",
                                        "userIdentifier": "host-ada"}]
    assert [n["path"] for n in host.notifications] == ["/create", "/assign", "/upgrade", "/cancel"]
    assert [(d["type"], d["payload"]["account"]) for d in host.fetched[1:]] == [
        (kind, {"accountIdentifier": "acct-77", "status": "ACTIVE", "parentAccountIdentifier": None})
        for kind in ("USER_ASSIGNMENT", "SUBSCRIPTION_CHANGE", "SUBSCRIPTION_CANCEL")]
    assert host.fetched[2]["payload"]["order"] == {
        "editionCode": "PRO", "addonOfferingCode": None, "pricingDuration": "YEARLY",
        "items": [{"unit": "USER", "quantity": 10}]}
    assert (final["status"], final["editionCode"]) == ("PENDING_REMOTE_CANCELLATION", "PRO")
    assert [(e["type"], e["status"]) for e in final["events"]] == [
        ("SUBSCRIPTION_CANCEL", "PENDING"), ("SUBSCRIPTION_CHANGE", "SUCCEEDED"),
        ("USER_ASSIGNMENT", "SUCCEEDED"), ("SUBSCRIPTION_ORDER", "SUCCEEDED")]


async def test_notices_user_updates_and_unassignment_reach_their_urls(lifecycle):
    host, worker, ids = lifecycle
    host.answers = [(200, {"success": True, "accountIdentifier": "acct-5"}),
                    (200, {"success": True, "userIdentifier": 1234})] + [(200, {"success": "true"})] * 4
    await worker.run_until_idle()
    await _mutate(ids, ASSIGN, u=ids["user"])
    await worker.run_until_idle()

    await _mutate(ids, STEP.format(name="suspendSubscription"))
    await _mutate(ids, STEP.format(name="reactivateSubscription"))
    await ids["call"](UPDATE, {"u": ids["user"]}, ids["call"].admin)
    await _mutate(ids, UNASSIGN, u=ids["user"])
    await worker.run_until_idle()
    final = await _state(ids)

    assert [n["path"] for n in host.notifications][2:] == ["/notify", "/notify", "/user-updated", "/unassign"]
    assert [d["payload"]["notice"] for d in host.fetched[2:4]] == [
        {"type": "DEACTIVATED", "message": None}, {"type": "REACTIVATED", "message": None}]
    assert [(d["payload"]["user"]["firstName"], d["payload"]["user"]["attributes"]) for d in host.fetched[4:]] == [
        ("Augusta", {"userIdentifier": "1234"}), ("Augusta", {"userIdentifier": "1234"})]
    assert (final["status"], final["assignments"]) == ("ACTIVE", [
        {"userId": ids["user"], "status": "UNASSIGNED", "userIdentifier": "1234"}])

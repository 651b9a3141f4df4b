"""SUBSCRIPTION_STATUS: a host that answered 202 hears, at its eventStatusUrl, that the event was
resolved without it (pending timeout, or an administrator), and fetches that notification like
any other event."""

from aiohttp import web

from tests.e2e.test_async_results import post_result
from tests.e2e.test_delivery import Host, order_through, system  # noqa: F401 (fixture)

SET_STATUS_URL = """mutation($id: ID!, $url: String!) { updateProductIntegration(input: {id: $id,
  eventStatusUrl: $url}) { userErrors { message } } }"""
RESOLVE_FAILED = """mutation($id: ID!) { resolveEvent(input: {id: $id, success: false,
  errorCode: "CONFIGURATION_ERROR", message: "Closed by support"}) { event { status } userErrors { message } } }"""
EVENTS = """query($s: ID!) { subscription(id: $s) { status events { id type status url attemptCount
  attempts { url outcome httpStatus } } } }"""


class StatusHost(Host):
    """Answers the order with 202; takes SUBSCRIPTION_STATUS at /status and fetches it."""

    statuses: list[dict]

    async def status(self, request: web.Request) -> web.Response:
        self.statuses.append(await self.fetch(request.query["eventUrl"]))
        return web.json_response({"success": True})


async def start_status_host(start_host) -> StatusHost:  # type: ignore[no-untyped-def]
    host = StatusHost(answers=[(202, None)])
    host.statuses = []
    app = web.Application()
    app.router.add_get("/create", host.notification)
    app.router.add_get("/status", host.status)
    host.url = await start_host.app(app)
    host.marketlink = start_host.marketlink
    return host


DOCUMENT_KEYS = {"type", "marketplace", "applicationUuid", "flag", "creator", "payload", "returnUrl", "links"}
PAYLOAD_KEYS = {"user", "company", "account", "addonInstance", "addonBinding", "order", "notice", "configuration"}


async def pending_order(app, start_host, worker):  # type: ignore[no-untyped-def]
    """An order the host answered with 202, of an integration with an eventStatusUrl."""
    host = await start_status_host(start_host)

    async def with_status_url(call, integration_id, developer):  # type: ignore[no-untyped-def]
        await call(SET_STATUS_URL, {"id": integration_id, "url": host.url + "/status?eventUrl={eventUrl}"},
                   developer)

    subscription_id, call = await order_through(app, host, before_publish=with_status_url)
    await worker.run_until_idle()
    [order] = (await call(EVENTS, {"s": subscription_id}, call.admin))["subscription"]["events"]
    return host, subscription_id, call, order


async def test_an_admin_resolution_is_sent_to_the_event_status_url(system):  # noqa: F811
    app, _, start_host, worker = system
    host, subscription_id, call, order = await pending_order(app, start_host, worker)

    resolved = await call(RESOLVE_FAILED, {"id": order["id"]}, call.admin)
    await worker.run_until_idle()
    state = (await call(EVENTS, {"s": subscription_id}, call.admin))["subscription"]

    assert order["status"] == "PENDING"
    assert resolved["resolveEvent"] == {"event": {"status": "FAILED"}, "userErrors": []}
    assert state["status"] == "FAILED"
    assert [(e["type"], e["status"], e["attemptCount"]) for e in state["events"]] == [  # newest first
        ("SUBSCRIPTION_STATUS", "SUCCEEDED", 1), ("SUBSCRIPTION_ORDER", "FAILED", 1)]
    assert state["events"][0]["attempts"][0]["url"].startswith(host.url + "/status?eventUrl=")
    [document] = host.statuses
    assert (set(document), set(document["payload"])) == (DOCUMENT_KEYS, PAYLOAD_KEYS)
    assert (document["type"], document["creator"], document["flag"]) == ("SUBSCRIPTION_STATUS", None, None)
    assert document["payload"]["account"] == {"accountIdentifier": None, "status": "FAILED",
                                              "parentAccountIdentifier": None}
    assert document["payload"]["notice"] == {
        "type": "RESOLVED_BY_MARKETPLACE",
        "message": f"The SUBSCRIPTION_ORDER event {order['id']} was resolved as FAILED "
                   f"(CONFIGURATION_ERROR): Closed by support"}
    assert document["payload"]["user"] is None
    assert document["links"] == [{"rel": "event", "href": order["url"]}]


async def test_a_pending_timeout_is_sent_to_the_event_status_url(system):  # noqa: F811
    app, clock, start_host, worker = system
    host, subscription_id, call, order = await pending_order(app, start_host, worker)

    clock.advance(int(app.state.services.settings.pending_timeout_s * 1000) + 1)
    await worker.run_until_idle()
    state = (await call(EVENTS, {"s": subscription_id}, call.admin))["subscription"]

    assert state["status"] == "FAILED"
    assert [(e["type"], e["status"]) for e in state["events"]] == [
        ("SUBSCRIPTION_STATUS", "SUCCEEDED"), ("SUBSCRIPTION_ORDER", "FAILED")]
    [document] = host.statuses
    assert document["payload"]["notice"] == {
        "type": "PENDING_TIMEOUT",
        "message": f"The SUBSCRIPTION_ORDER event {order['id']} was resolved as FAILED "
                   f"(PENDING_TIMEOUT): The product host posted no result within the pending timeout."}
    assert document["links"] == [{"rel": "event", "href": order["url"]}]


async def test_a_result_posted_by_the_host_sends_no_status(system):  # noqa: F811
    app, _, start_host, worker = system
    host, subscription_id, call, order = await pending_order(app, start_host, worker)

    posted = await post_result(host, order["url"], b'{"success": true, "accountIdentifier": "a-1"}',
                               "application/json")
    await worker.run_until_idle()
    state = (await call(EVENTS, {"s": subscription_id}, call.admin))["subscription"]

    assert posted == (204, None)
    assert state["status"] == "ACTIVE"
    assert [(e["type"], e["status"]) for e in state["events"]] == [("SUBSCRIPTION_ORDER", "SUCCEEDED")]
    assert host.statuses == []

"""A host that answers 202 and posts the result later (SPEC §3 step 4)."""

import asyncio
import base64
import time

import aiohttp
from aiohttp import web

from marketlink.storage import outbox
from tests.e2e.test_delivery import Host, order_through, system  # noqa: F401 (fixture)

EVENT_URL = """query($s: ID!) { subscription(id: $s) { events { url status } } }"""


async def post_result(host: Host, event_url: str, body: bytes, content_type: str) -> tuple[int, dict | None]:
    async with aiohttp.ClientSession() as session:
        pair = base64.b64encode(f"{host.inbound['clientId']}:{host.inbound['clientSecret']}".encode())
        async with session.post(f"{host.marketlink}/oauth2/token", data={"grant_type": "client_credentials"},
                                headers={"Authorization": "Basic " + pair.decode()}) as token:
            access = (await token.json())["access_token"]
        async with session.post(event_url + "/result", data=body, headers={
                "Authorization": f"Bearer {access}", "Content-Type": content_type}) as answer:
            return answer.status, (await answer.json() if answer.status != 204 else None)


async def test_a_result_posted_later_resolves_the_pending_order(system):  # noqa: F811
    app, _, start_host, worker = system
    host = await start_host(Host(answers=[(202, None)]))
    subscription_id, call = await order_through(app, host)
    await worker.run_until_idle()
    [event] = (await call(EVENT_URL, {"s": subscription_id}, call.admin))["subscription"]["events"]

    posted = await post_result(host, event["url"], b"<result><success>true</success>"
                               b"<accountIdentifier>acct-9</accountIdentifier></result>", "application/xml")
    again = await post_result(host, event["url"], b'{"success": true, "accountIdentifier": "acct-9"}',
                              "application/json")
    different = await post_result(host, event["url"], b'{"success": false, "errorCode": "UNKNOWN_ERROR"}',
                                  "application/json")
    state = await call.state(subscription_id)

    assert event["status"] == "PENDING"
    assert (posted, again) == ((204, None), (204, None))
    assert different == (409, {"error": "conflict",
                               "message": "The event was already resolved with a different result."})
    assert (state["status"], state["accountIdentifier"]) == ("ACTIVE", "acct-9")
    assert {k: state["events"][0][k] for k in ("status", "resultSuccess")} == {
        "status": "SUCCEEDED", "resultSuccess": True}


async def test_a_result_for_an_event_not_awaiting_one_is_refused(system):  # noqa: F811
    app, _, start_host, worker = system
    host = await start_host(Host(answers=[]))
    subscription_id, call = await order_through(app, host)
    [event] = (await call(EVENT_URL, {"s": subscription_id}, call.admin))["subscription"]["events"]

    answer = await post_result(host, event["url"], b'{"success": true}', "application/json")
    unreadable = await post_result(host, event["url"], b"not a result", "text/plain")

    assert answer == (409, {"error": "not_pending", "message": "The event is not awaiting a result."})
    assert unreadable[0] == 400 and unreadable[1]["error"] == "invalid_result"


RETRY = """mutation($id: ID!) { retryEvent(input: {id: $id}) { event { status nextAttemptOn }
  userErrors { __typename message path code } } }"""
RESOLVE = """mutation($id: ID!) { resolveEvent(input: {id: $id, success: true, accountIdentifier: "by-hand"}) {
  event { status resultSuccess } userErrors { __typename message path code } } }"""
EVENT_ID = """query($s: ID!) { subscription(id: $s) { events { id status } } }"""


async def test_an_admin_retries_a_failed_event_by_hand(system):  # noqa: F811
    app, clock, start_host, worker = system
    host = await start_host(Host(answers=[(500, None)] * 3 + [(200, {"success": True, "accountIdentifier": "x"})]))
    subscription_id, call = await order_through(app, host)
    for advance in (0, 1000, 2000):
        clock.advance(advance)
        await worker.run_until_idle()
    [event] = (await call(EVENT_ID, {"s": subscription_id}, call.admin))["subscription"]["events"]

    retried = await call(RETRY, {"id": event["id"]}, call.admin)
    again = await call(RETRY, {"id": event["id"]}, call.admin)
    await worker.run_until_idle()
    state = await call.state(subscription_id)

    assert event["status"] == "FAILED"
    assert retried["retryEvent"] == {"event": {"status": "QUEUED", "nextAttemptOn": clock.now_ms()},
                                     "userErrors": []}
    assert again["retryEvent"]["userErrors"] == [{
        "__typename": "RetryEventError", "message": "Only a FAILED event can be retried.",
        "path": ["input", "id"], "code": "INVALID"}]
    assert (state["status"], state["accountIdentifier"]) == ("ACTIVE", "x")
    assert [a["outcome"] for a in state["events"][0]["attempts"]] == ["TRANSPORT_ERROR"] * 3 + ["SUCCEEDED"]


async def test_an_admin_resolves_a_pending_event(system):  # noqa: F811
    app, _, start_host, worker = system
    host = await start_host(Host(answers=[(202, None)]))
    subscription_id, call = await order_through(app, host)
    await worker.run_until_idle()
    [event] = (await call(EVENT_ID, {"s": subscription_id}, call.admin))["subscription"]["events"]

    resolved = await call(RESOLVE, {"id": event["id"]}, call.admin)
    state = await call.state(subscription_id)

    assert resolved["resolveEvent"] == {"event": {"status": "SUCCEEDED", "resultSuccess": True},
                                        "userErrors": []}
    assert (state["status"], state["accountIdentifier"]) == ("ACTIVE", "by-hand")


class EagerHost(Host):
    """Posts its result before its 202 answer has even left: the result reaches MarketLink
    while the event is still DELIVERING."""

    posting: asyncio.Task | None = None

    async def notification(self, request: web.Request) -> web.Response:
        self.posting = asyncio.create_task(post_result(
            self, request.query["eventUrl"], b'{"success": true, "accountIdentifier": "acct-7"}',
            "application/json"))
        await asyncio.sleep(0.3)
        return await super().notification(request)


async def test_a_result_posted_before_the_202_is_written_waits_for_it_and_resolves(system):  # noqa: F811
    app, _, start_host, worker = system
    host = await start_host(EagerHost(answers=[(202, None)]))
    subscription_id, call = await order_through(app, host)

    await worker.run_until_idle()
    posted = await host.posting
    state = await call.state(subscription_id)

    assert posted == (204, None)
    assert (state["status"], state["accountIdentifier"]) == ("ACTIVE", "acct-7")
    assert {k: state["events"][0][k] for k in ("status", "resultSuccess")} == {
        "status": "SUCCEEDED", "resultSuccess": True}


async def test_a_result_for_an_event_still_delivering_is_refused_with_retry_after(system):  # noqa: F811
    app, clock, start_host, _ = system
    host = await start_host(Host(answers=[]))
    subscription_id, call = await order_through(app, host)
    [event] = (await call(EVENT_URL, {"s": subscription_id}, call.admin))["subscription"]["events"]
    async with app.state.db.write() as conn:  # a worker holds it, and its notification never ends
        [claimed] = await outbox.claim_due(conn, "stuck-worker", clock.now_ms(), 60_000, 10)
    started = time.monotonic()

    async with aiohttp.ClientSession() as session:
        pair = base64.b64encode(f"{host.inbound['clientId']}:{host.inbound['clientSecret']}".encode())
        async with session.post(f"{host.marketlink}/oauth2/token", data={"grant_type": "client_credentials"},
                                headers={"Authorization": "Basic " + pair.decode()}) as token:
            access = (await token.json())["access_token"]
        async with session.post(event["url"] + "/result", data=b'{"success": true}', headers={
                "Authorization": f"Bearer {access}", "Content-Type": "application/json"}) as answer:
            refused = (answer.status, answer.headers.get("Retry-After"), await answer.json())
    waited = time.monotonic() - started
    after = (await call(EVENT_URL, {"s": subscription_id}, call.admin))["subscription"]["events"]

    assert claimed["token"] == event["url"].rsplit("/", 1)[1]
    assert refused == (409, "1", {"error": "in_flight", "message":
                                  "The event's notification is still under way; post the result again shortly."})
    assert waited >= app.state.services.settings.result_wait_s
    assert [e["status"] for e in after] == ["DELIVERING"]

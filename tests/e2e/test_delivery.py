"""Notify, then fetch, end to end: MarketLink served over real HTTP (uvicorn on a loopback
port), a product host written as a vendor would (aiohttp on another port) that takes the
notification, gets a token with its inbound client, fetches the event and answers."""

import asyncio
import base64
import json
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import aiohttp
import httpx
import pytest
import uvicorn
from aiohttp import web

from marketlink.app import create_app
from marketlink.clock import FrozenClock
from marketlink.delivery.http_client import OutboundHttp
from marketlink.delivery.worker import Worker
from marketlink.domain.actors import Role
from marketlink.domain.vendors import create_token, create_vendor
from tests.e2e.server import free_port
from tests.helpers import START_MS, settings_for

GQL = {
    "setup": """mutation($integration: CreateProductIntegrationInput!, $product: CreateProductInput!) {
      createProductIntegration(input: $integration) { productIntegration { id } userErrors { message } }
      createProduct(input: $product) { product { id } } }""",
    "client": """mutation($id: ID!) { generateProductIntegrationInboundClient(input: {id: $id}) {
      productIntegrationInboundClient { clientId clientSecret } } }""",
    "publish_link": """mutation($p: ID!, $i: ID!) {
      publishProductIntegration(input: {integrationId: $i}) { userErrors { message } }
      linkProductIntegration(input: {productId: $p, integrationId: $i}) { userErrors { message } } }""",
    "company": """mutation { createCompany(input: {name: "Buyer", country: "US"}) { company { id } } }""",
    "user": """mutation($c: ID!) { createUser(input: {companyId: $c, email: "ada@buyer.example",
      firstName: "Ada", lastName: "L", language: "en"}) { user { id } } }""",
    "order": """mutation($p: ID!, $c: ID!, $u: ID!) { createSubscription(input: {productId: $p,
      companyId: $c, creatorId: $u, editionCode: "BASIC", pricingDuration: MONTHLY,
      items: [{unit: "USER", quantity: 3}]}) { subscription { id status } userErrors { message } } }""",
    "state": """query($s: ID!) { subscription(id: $s) { status accountIdentifier
      events { status resultSuccess resultErrorCode resultMessage attemptCount document
               attempts { number url authKind httpStatus outcome error } } } }""",
}


@dataclass
class Host:
    """A product host: answers notifications with the scripted answers, in order."""

    answers: list[tuple[int, dict | None]]
    inbound: dict = field(default_factory=dict)
    marketlink: str = ""
    notifications: list[dict] = field(default_factory=list)
    fetched: list[dict] = field(default_factory=list)
    url: str = ""

    async def notification(self, request: web.Request) -> web.Response:
        self.notifications.append({"path": request.path_qs,
                                   "authorization": request.headers.get("Authorization")})
        status, body = self.answers.pop(0)
        if status == 200:
            self.fetched.append(await self.fetch(request.query["eventUrl"]))
        return web.json_response(body, status=status) if body is not None else web.Response(status=status)

    async def fetch(self, event_url: str) -> dict:
        async with aiohttp.ClientSession() as session:
            pair = base64.b64encode(f"{self.inbound['clientId']}:{self.inbound['clientSecret']}".encode())
            async with session.post(f"{self.marketlink}/oauth2/token", data={
                    "grant_type": "client_credentials", "scope": "ROLE_APPLICATION"},
                    headers={"Authorization": "Basic " + pair.decode()}) as token:
                access = (await token.json())["access_token"]
            async with session.get(event_url, headers={"Authorization": f"Bearer {access}",
                                                       "Accept": "application/json"}) as event:
                assert event.status == 200
                return await event.json()


@pytest.fixture
async def system(db):
    """MarketLink on a loopback port (worker off: the test drives it), and a way to start hosts."""
    async with running_system(db) as parts:
        yield parts


@asynccontextmanager
async def running_system(db):  # type: ignore[no-untyped-def]
    """What the ``system`` fixture yields, for a database of the caller's."""
    port = free_port()
    settings = settings_for(db.url, allow_private_urls=True, base_url=f"http://127.0.0.1:{port}",
                            run_worker=False, retry_schedule_s=(1.0, 2.0), retry_jitter=0.0)
    clock = FrozenClock(START_MS)
    app = create_app(settings, clock=clock, db=db)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    runners = []

    async def start_host_app(web_app: web.Application) -> str:
        runner = web.AppRunner(web_app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        runners.append(runner)
        return f"http://127.0.0.1:{runner.addresses[0][1]}"

    async def start_host(host: Host) -> Host:
        web_app = web.Application()
        web_app.router.add_get("/create", host.notification)
        host.url = await start_host_app(web_app)
        host.marketlink = f"http://127.0.0.1:{port}"
        return host

    start_host.app = start_host_app
    start_host.marketlink = f"http://127.0.0.1:{port}"
    http = OutboundHttp(settings)
    try:
        yield app, clock, start_host, Worker(db, app.state.services, http)
    finally:
        await http.close()
        for runner in runners:
            await runner.cleanup()
        server.should_exit = True
        await serving


async def order_through(app, host: Host, credentials: dict | None = None,
                        before_publish=None) -> tuple[str, "Call"]:  # type: ignore[no-untyped-def]
    services = app.state.services
    async with app.state.db.write() as conn:
        vendor = await create_vendor(conn, services, "Vendor")
        developer = await create_token(conn, services, Role.DEVELOPER, vendor, "dev")
        admin = await create_token(conn, services, Role.ADMIN, None, "admin")
    call = Call(host.marketlink)
    integration = {"name": "Host", "createUrl": host.url + "/create?eventUrl={eventUrl}",
                   "cancelUrl": host.url + "/cancel"}
    if credentials:
        integration["outboundCredentials"] = credentials
    data = await call(GQL["setup"], {"integration": integration, "product": {
        "name": "App", "editions": [{"code": "BASIC", "name": "Basic"}]}}, developer)
    integration_id = data["createProductIntegration"]["productIntegration"]["id"]
    product_id = data["createProduct"]["product"]["id"]
    host.inbound = (await call(GQL["client"], {"id": integration_id}, developer))[
        "generateProductIntegrationInboundClient"]["productIntegrationInboundClient"]
    if before_publish:
        await before_publish(call, integration_id, developer)
    await call(GQL["publish_link"], {"p": product_id, "i": integration_id}, developer)
    company = (await call(GQL["company"], {}, admin))["createCompany"]["company"]["id"]
    user = (await call(GQL["user"], {"c": company}, admin))["createUser"]["user"]["id"]
    order = await call(GQL["order"], {"p": product_id, "c": company, "u": user}, admin)
    call.admin = admin
    return order["createSubscription"]["subscription"]["id"], call


class Call:
    def __init__(self, base_url: str) -> None:
        self.base_url, self.admin = base_url, ""

    async def __call__(self, query: str, variables: dict, token: str) -> dict:
        async with httpx.AsyncClient(base_url=self.base_url) as client:
            response = await client.post("/graphql", json={"query": query, "variables": variables},
                                         headers={"Authorization": f"Bearer {token}"})
        body = response.json()
        assert "errors" not in body, body
        return body["data"]

    async def state(self, subscription_id: str) -> dict:
        return (await self(GQL["state"], {"s": subscription_id}, self.admin))["subscription"]


async def test_order_is_notified_fetched_and_activates_the_subscription(system):
    app, _, start_host, worker = system
    host = await start_host(Host(answers=[(200, {"success": "true", "accountIdentifier": 4242})]))
    subscription_id, call = await order_through(app, host, {
        "type": "BASIC", "username": "marketlink", "password": "b4sic-secret"})

    await worker.run_until_idle()
    state = await call.state(subscription_id)

    [event] = state["events"]
    assert host.notifications[0]["authorization"] == "Basic " + base64.b64encode(
        b"marketlink:b4sic-secret").decode()
    assert host.fetched == [event["document"]]
    assert (state["status"], state["accountIdentifier"]) == ("ACTIVE", "4242")
    assert {k: v for k, v in event.items() if k not in ("document", "attempts")} == {
        "status": "SUCCEEDED", "resultSuccess": True, "resultErrorCode": None,
        "resultMessage": None, "attemptCount": 1}
    assert [(a["number"], a["authKind"], a["httpStatus"], a["outcome"]) for a in event["attempts"]] == [
        (1, "BASIC", 200, "SUCCEEDED")]
    assert event["attempts"][0]["url"].startswith(host.url + "/create?eventUrl=http%3A%2F%2F127.0.0.1")


async def test_a_server_error_is_retried_on_the_schedule(system):
    app, clock, start_host, worker = system
    host = await start_host(Host(answers=[(503, None), (200, {"success": True, "accountIdentifier": "a1"})]))
    subscription_id, call = await order_through(app, host)

    await worker.run_until_idle()
    after_failure = await call.state(subscription_id)
    clock.advance(1000)
    await worker.run_until_idle()
    after_retry = await call.state(subscription_id)

    assert (after_failure["status"], after_failure["events"][0]["status"]) == ("INITIALIZED", "QUEUED")
    assert [(a["httpStatus"], a["outcome"], a["error"]) for a in after_retry["events"][0]["attempts"]] == [
        (503, "TRANSPORT_ERROR", "HTTP 503"), (200, "SUCCEEDED", None)]
    assert (after_retry["status"], after_retry["accountIdentifier"]) == ("ACTIVE", "a1")


async def test_retries_end_in_a_transport_error_failure(system):
    app, clock, start_host, worker = system
    host = await start_host(Host(answers=[(500, None)] * 3))
    subscription_id, call = await order_through(app, host)

    for advance in (0, 1000, 2000):
        clock.advance(advance)
        await worker.run_until_idle()
    state = await call.state(subscription_id)

    assert state["status"] == "FAILED"
    assert {k: state["events"][0][k] for k in ("status", "resultErrorCode", "attemptCount")} == {
        "status": "FAILED", "resultErrorCode": "TRANSPORT_ERROR", "attemptCount": 3}


async def test_a_202_leaves_the_order_pending(system):
    app, _, start_host, worker = system
    host = await start_host(Host(answers=[(202, None)]))
    subscription_id, call = await order_through(app, host)

    await worker.run_until_idle()
    state = await call.state(subscription_id)

    assert (state["status"], state["events"][0]["status"]) == ("PENDING_REMOTE_CREATION", "PENDING")


async def test_a_business_failure_is_final(system):
    app, _, start_host, worker = system
    host = await start_host(Host(answers=[(200, {"success": False, "errorCode": "OPERATION_CANCELED",
                                                 "message": "no seats"})]))
    subscription_id, call = await order_through(app, host)

    await worker.run_until_idle()
    state = await call.state(subscription_id)

    assert state["status"] == "FAILED"
    assert {k: state["events"][0][k] for k in ("status", "resultErrorCode", "resultMessage")} == {
        "status": "FAILED", "resultErrorCode": "OPERATION_CANCELLED", "resultMessage": "no seats"}
    assert json.dumps(host.fetched[0]["type"]) == '"SUBSCRIPTION_ORDER"'


async def test_a_410_fails_the_event_and_flags_the_integration(system):
    app, clock, start_host, worker = system
    host = await start_host(Host(answers=[(410, None)]))
    subscription_id, call = await order_through(app, host)

    await worker.run_until_idle()
    state = await call.state(subscription_id)
    flagged = await call("""{ productIntegrations { nodes { hostGoneOn } } }""", {}, call.admin)

    assert state["status"] == "FAILED"
    assert {k: state["events"][0][k] for k in ("status", "resultErrorCode")} == {
        "status": "FAILED", "resultErrorCode": "GONE"}
    assert flagged["productIntegrations"]["nodes"] == [{"hostGoneOn": clock.now_ms()}]

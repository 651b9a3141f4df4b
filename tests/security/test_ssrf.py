"""Server-side request forgery (SPEC §6, ADR 0008), beyond tests/unit/test_http_client.py
(which pins the client's literal checks, the resolver's filter, and that a redirect comes back
as an answer): here, every way a vendor can aim MarketLink at its own network, through what
vendors actually control (event URLs, the OAuth2 token URI, direct mode), on the delivery and
ping-test paths, with real loopback servers that must receive nothing.

- URLs are accepted when configured (DNS can change; ADR 0008) and refused when called.
- Non-canonical and hex forms of loopback: with private URLs allowed they do reach loopback
  (so the refusal is not vacuous); refused otherwise.
- Names: resolved by a resolver the test controls (or the system's, for ``localhost``) to every
  private range; refused at connection time, each time a connection is made.
- Redirects: never followed, for notifications, token requests and direct-mode POSTs; the
  second server receives nothing (not even the credentials).
"""

import asyncio
import json
import socket
from pathlib import Path

import aiohttp
import pytest
import uvicorn
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

from marketlink.app import create_app
from marketlink.clock import SystemClock
from marketlink.delivery.http_client import (
    InvalidUrl,
    OutboundError,
    OutboundHttp,
    PublicAddressResolver,
    RefusedAddress,
)
from marketlink.delivery.worker import Worker
from marketlink.demo_host import CREDENTIALS_FILE
from marketlink.domain.services import Services
from marketlink.sso.oidc.logout import BackChannelLogout, LogoutNotice
from tests.e2e.server import free_port
from tests.helpers import dump_tables, make_world, settings_for
from tests.unit.test_http_client import FixedResolver, outbound, start_receiver  # noqa: F401 (fixtures)

ERRORS = "userErrors { __typename message path code }"
SETUP = f"""mutation($integration: CreateProductIntegrationInput!, $product: CreateProductInput!) {{
  createProductIntegration(input: $integration) {{ productIntegration {{ id createUrl upgradeUrl cancelUrl
    notifyUrl eventStatusUrl assignUrl unassignUrl userUpdatedUrl addonNotificationUrl
    outboundCredentials {{ tokenUri }} }} {ERRORS} }}
  createProduct(input: $product) {{ product {{ id }} {ERRORS} }} }}"""
PING = f"""mutation($id: ID!, $types: [EventType!]) {{ triggerProductIntegrationPingTest(input: {{id: $id,
  version: WORKING, eventTypes: $types}}) {{ {ERRORS} }} }}"""
LAST_TEST = """query($id: ID!) { productIntegration(id: $id) { lastTest { status results {
  eventType url success httpStatus errorCode message } } } }"""
PUBLISH_LINK = f"""mutation($p: ID!, $i: ID!) {{ publishProductIntegration(input: {{integrationId: $i}}) {{ {ERRORS} }}
  linkProductIntegration(input: {{productId: $p, integrationId: $i}}) {{ {ERRORS} }} }}"""
DIRECT = f"""mutation($id: ID!) {{ updateProductIntegration(input: {{id: $id, deliveryMode: DIRECT}}) {{
  {ERRORS} }} }}"""
BUYER = f"""mutation {{ createCompany(input: {{name: "Buyer", country: "US"}}) {{ company {{ id }} {ERRORS} }} }}"""
USER = f"""mutation($c: ID!) {{ createUser(input: {{companyId: $c, email: "ada@buyer.example", firstName: "Ada",
  lastName: "L", language: "en"}}) {{ user {{ id }} {ERRORS} }} }}"""
ORDER = f"""mutation($p: ID!, $c: ID!, $u: ID!) {{ createSubscription(input: {{productId: $p, companyId: $c,
  creatorId: $u, editionCode: "BASIC", pricingDuration: MONTHLY}}) {{ subscription {{ id }} {ERRORS} }} }}"""
ATTEMPTS = """query($s: ID!) { events(subscriptionId: $s) { nodes { status attempts {
  url authKind httpStatus outcome error } } } }"""
PING_TYPES = ["SUBSCRIPTION_ORDER", "SUBSCRIPTION_CHANGE", "SUBSCRIPTION_CANCEL", "SUBSCRIPTION_NOTICE",
              "SUBSCRIPTION_STATUS", "USER_ASSIGNMENT", "USER_UNASSIGNMENT", "USER_UPDATED", "ADDON_ORDER"]
URL_FIELDS = ["createUrl", "upgradeUrl", "cancelUrl", "notifyUrl", "eventStatusUrl", "assignUrl",
              "unassignUrl", "userUpdatedUrl", "addonNotificationUrl"]


class NamedResolver(AbstractResolver):
    """The test's DNS: ``names`` answer the given addresses (and are counted); every other name
    goes to the system's resolver (``localhost``, hex forms of addresses)."""

    def __init__(self, names: dict[str, list[str]]) -> None:
        self.names, self.asked = names, []
        self.system = aiohttp.ThreadedResolver()

    async def resolve(self, host, port=0, family=socket.AF_INET) -> list[ResolveResult]:
        if host not in self.names:
            return await self.system.resolve(host, port, family)
        self.asked.append(host)
        return [ResolveResult(hostname=host, host=a, port=port, proto=0, flags=0,
                              family=socket.AF_INET6 if ":" in a else socket.AF_INET)
                for a in self.names[host]]

    async def close(self) -> None:
        await self.system.close()


@pytest.fixture
async def loopback(start_receiver):  # noqa: F811
    """Product hosts on 127.0.0.1 and ::1, which must receive nothing."""
    return await start_receiver(), await start_receiver(host="::1")


@pytest.fixture
async def world(db):
    world, client = await make_world(db, allow_private_urls=False, retry_schedule_s=(600.0,))
    async with client:
        yield world


async def deliver(world, resolver: AbstractResolver | None = None, **overrides) -> None:
    """What the worker does with every due event, with the world's settings (``overrides``)."""
    settings = world.settings.model_copy(update=overrides)
    http = OutboundHttp(settings, resolver=resolver)
    try:
        await Worker(world.db, world.services, http).run_until_idle()
    finally:
        await http.close()


async def integration(world, **fields) -> dict:
    data = await world.api.data(SETUP, {"integration": {"name": "Host"} | fields, "product": {
        "name": "App", "editions": [{"code": "BASIC", "name": "Basic"}]}}, world.dev_a)
    return {"integration": data["createProductIntegration"]["productIntegration"],
            "product": data["createProduct"]["product"]["id"]}


async def order(world, made: dict) -> str:
    integration_id = made["integration"]["id"]
    await world.api.data(PUBLISH_LINK, {"p": made["product"], "i": integration_id}, world.dev_a)
    company = (await world.api.data(BUYER, {}, world.admin))["createCompany"]["company"]["id"]
    user = (await world.api.data(USER, {"c": company}, world.admin))["createUser"]["user"]["id"]
    data = await world.api.data(ORDER, {"p": made["product"], "c": company, "u": user}, world.admin)
    return data["createSubscription"]["subscription"]["id"]


async def attempts_of(world, subscription: str) -> list[dict]:
    [event] = (await world.api.data(ATTEMPTS, {"s": subscription}, world.admin))["events"]["nodes"]
    return [event["status"], event["attempts"]]


# --- forms of loopback the URL parser accepts ----------------------------------------------

@pytest.mark.parametrize("host,refused,allowed", [
    # Not literals to aiohttp: resolved by the system (inet_aton reads hex), so the resolver
    # judges what they mean.
    ("0x7f.0.0.1", (RefusedAddress, "0x7f.0.0.1 has no public address"), 200),
    ("0x7f000001", (RefusedAddress, "0x7f000001 has no public address"), 200),
    ("0x7F.1", (RefusedAddress, "0x7f.1 has no public address"), 200),
    ("LOCALHOST", (RefusedAddress, "localhost has no public address"), 200),
    # Literals to aiohttp but not canonical: neither we nor aiohttp send them anywhere.
    ("017700000001", (InvalidUrl, "017700000001 is not a canonical IP address"),
     (InvalidUrl, "017700000001 - is not a canonical IPv4 address")),
    ("0177.0.0.01", (InvalidUrl, "0177.0.0.01 is not a canonical IP address"),
     (InvalidUrl, "0177.0.0.01 - is not a canonical IPv4 address")),
    ("127.000.000.001", (InvalidUrl, "127.000.000.001 is not a canonical IP address"),
     (InvalidUrl, "127.000.000.001 - is not a canonical IPv4 address")),
    # Canonical literals that mean this machine.
    ("0.0.0.0", (RefusedAddress, "0.0.0.0 is not a public address"), 200),
    ("[0:0:0:0:0:ffff:127.0.0.1]", (RefusedAddress, "::ffff:7f00:1 is not a public address"), 200),
])
async def test_each_form_of_loopback_reaches_it_only_when_private_urls_are_allowed(
        start_receiver, outbound, host, refused, allowed):  # noqa: F811
    receiver = await start_receiver()
    url = f"http://{host}:{receiver.port}/x"

    with pytest.raises(OutboundError) as raised:
        await outbound(allow_private_urls=False).request("GET", url)
    assert ((type(raised.value), str(raised.value)), receiver.requests) == (refused, [])

    try:
        outcome = (await outbound(allow_private_urls=True).request("GET", url)).status
    except OutboundError as exc:
        outcome = (type(exc), str(exc))
    assert outcome == allowed
    assert receiver.requests == ([("GET", "/x", b"")] if allowed == 200 else [])


# --- names resolving to private addresses --------------------------------------------------

PRIVATE_EDGES = ["10.0.0.0", "10.255.255.255", "172.16.0.0", "172.31.255.255", "192.168.0.0",
                 "192.168.255.255", "127.0.0.1", "127.255.255.254", "169.254.0.1", "169.254.169.254",
                 "169.254.255.255", "100.64.0.0", "100.127.255.255", "0.0.0.0", "::1", "::",
                 "::ffff:127.0.0.1", "::ffff:169.254.169.254", "fc00::1", "fdff:ffff::1", "fe80::1",
                 "febf:ffff::1", "64:ff9b::a9fe:a9fe"]
PUBLIC_NEIGHBOURS = ["9.255.255.255", "11.0.0.0", "172.15.255.255", "172.32.0.0", "192.167.255.255",
                     "192.169.0.0", "126.255.255.255", "128.0.0.0", "169.253.255.255", "169.255.0.0",
                     "100.63.255.255", "100.128.0.0", "1.0.0.0", "2000::1", "2a00:1450::1",
                     "::ffff:8.8.8.8", "64:ff9b::808:808", "2001:4860::8888"]


async def test_the_resolver_drops_every_private_range_up_to_its_edges_and_keeps_its_neighbours():
    resolver = PublicAddressResolver(FixedResolver(*PRIVATE_EDGES, *PUBLIC_NEIGHBOURS))

    found = await resolver.resolve("mixed.example", 443, socket.AF_UNSPEC)

    assert [result["host"] for result in found] == PUBLIC_NEIGHBOURS


@pytest.mark.parametrize("address", PRIVATE_EDGES)
async def test_a_name_resolving_to_a_private_address_is_refused_at_connection(
        loopback, outbound, address):  # noqa: F811
    v4, v6 = loopback
    resolver = NamedResolver({"internal.example": [address]})

    with pytest.raises(RefusedAddress) as raised:
        await outbound(resolver=resolver, allow_private_urls=False).request(
            "GET", f"http://internal.example:{v4.port}/x")

    assert str(raised.value) == "internal.example has no public address"
    assert (resolver.asked, v4.requests, v6.requests) == (["internal.example"], [], [])


async def test_the_name_is_resolved_and_judged_again_for_every_connection(loopback, outbound):  # noqa: F811
    """DNS rebinding: each request resolves anew (a refusal is not remembered as a pass, and
    the answer checked is the one connected to), whatever the name answered before."""
    v4, v6 = loopback
    resolver = NamedResolver({"rebind.example": ["127.0.0.1"]})
    http = outbound(resolver=resolver, allow_private_urls=False)
    refusals = []

    for answer in (["127.0.0.1"], ["::1"], ["10.0.0.1", "127.0.0.1", "::1"]):
        resolver.names["rebind.example"] = answer
        with pytest.raises(RefusedAddress) as raised:
            await http.request("GET", f"http://rebind.example:{v4.port}/x")
        refusals.append(str(raised.value))

    assert refusals == ["rebind.example has no public address"] * 3
    assert (resolver.asked, v4.requests, v6.requests) == (["rebind.example"] * 3, [], [])


# --- configured freely, refused when called -------------------------------------------------

PRIVATE_TARGETS = {  # URL field -> (URL, the attempt's error)
    "createUrl": ("http://127.0.0.1:{v4}/create", "127.0.0.1 is not a public address"),
    "upgradeUrl": ("http://[::1]:{v6}/upgrade", "::1 is not a public address"),
    "cancelUrl": ("http://localhost:{v4}/cancel", "localhost has no public address"),
    "notifyUrl": ("http://0x7f.0.0.1:{v4}/notify", "0x7f.0.0.1 has no public address"),
    "eventStatusUrl": ("http://2130706433:{v4}/status", "2130706433 is not a canonical IP address"),
    "assignUrl": ("http://[::ffff:127.0.0.1]:{v4}/assign", "::ffff:7f00:1 is not a public address"),
    "unassignUrl": ("http://internal.example:{v4}/unassign", "internal.example has no public address"),
    "userUpdatedUrl": ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is not a public address"),
    "addonNotificationUrl": ("http://0.0.0.0:{v4}/addon", "0.0.0.0 is not a public address"),
}


async def test_private_urls_are_configured_as_given_and_every_ping_of_them_is_refused(world, loopback):
    v4, v6 = loopback
    urls = {field: url.format(v4=v4.port, v6=v6.port) for field, (url, _) in PRIVATE_TARGETS.items()}
    made = await integration(world, **urls)
    resolver = NamedResolver({"internal.example": ["127.0.0.1", "10.0.0.7", "::1"]})

    await world.api.data(PING, {"id": made["integration"]["id"], "types": PING_TYPES}, world.dev_a)
    await deliver(world, resolver)
    test = (await world.api.data(LAST_TEST, {"id": made["integration"]["id"]}, world.dev_a))[
        "productIntegration"]["lastTest"]

    assert made["integration"] == {"id": made["integration"]["id"], **urls, "outboundCredentials": None}
    assert test == {"status": "FAILED", "results": [
        {"eventType": event_type, "url": urls[field], "success": False, "httpStatus": None,
         "errorCode": "TRANSPORT_ERROR", "message": PRIVATE_TARGETS[field][1]}
        for event_type, field in zip(PING_TYPES, URL_FIELDS)]}
    assert (resolver.asked, v4.requests, v6.requests) == (["internal.example"], [], [])


async def test_a_private_token_uri_is_refused_and_the_secret_never_sent(world, loopback):
    v4, v6 = loopback
    made = await integration(world, createUrl=f"http://[::1]:{v6.port}/create",
                             cancelUrl=f"http://[::1]:{v6.port}/cancel", outboundCredentials={
                                 "type": "OAUTH2", "clientId": "ml", "clientSecret": "s3cret",
                                 "tokenUri": f"http://127.0.0.1:{v4.port}/token"})
    subscription = await order(world, made)

    await deliver(world)

    assert await attempts_of(world, subscription) == ["QUEUED", [{
        "url": f"http://[::1]:{v6.port}/create?eventUrl=" + (await event_url(world, subscription)),
        "authKind": "OAUTH2", "httpStatus": None, "outcome": "TRANSPORT_ERROR",
        "error": "127.0.0.1 is not a public address"}]]
    assert (v4.requests, v6.requests) == ([], [])


async def event_url(world, subscription: str) -> str:
    from urllib.parse import quote

    data = await world.api.data("query($s: ID!) { events(subscriptionId: $s) { nodes { url } } }",
                                {"s": subscription}, world.admin)
    return quote(data["events"]["nodes"][0]["url"], safe="")


# --- redirects ------------------------------------------------------------------------------

def redirecting_to(target, status: int):
    async def redirect(request, receiver):
        return web.Response(status=status, headers={"Location": f"http://127.0.0.1:{target.port}/stolen"})
    return redirect


async def test_pings_answered_with_a_redirect_fail_and_the_redirect_is_not_followed(db, start_receiver):  # noqa: F811
    world, client = await make_world(db, allow_private_urls=True)
    target = await start_receiver()
    origins = {status: await start_receiver(redirecting_to(target, status)) for status in (301, 302, 303, 307, 308)}
    fields = dict(zip(URL_FIELDS, [f"http://127.0.0.1:{origin.port}/ping" for origin in origins.values()]))
    async with client:
        made = await integration(world, **fields)
        await world.api.data(PING, {"id": made["integration"]["id"], "types": PING_TYPES[:5]}, world.dev_a)
        await deliver(world)
        test = (await world.api.data(LAST_TEST, {"id": made["integration"]["id"]}, world.dev_a))[
            "productIntegration"]["lastTest"]

    assert test == {"status": "FAILED", "results": [
        {"eventType": event_type, "url": fields[field], "success": False, "httpStatus": status,
         "errorCode": "INVALID_RESPONSE", "message": f"unexpected HTTP {status}"}
        for event_type, field, status in zip(PING_TYPES, URL_FIELDS, origins)]}
    assert [len(origin.requests) for origin in origins.values()] == [1] * 5
    assert target.requests == []


async def test_a_token_endpoint_redirect_is_not_followed_with_the_credentials(db, start_receiver):  # noqa: F811
    world, client = await make_world(db, allow_private_urls=True, retry_schedule_s=(600.0,))
    target = await start_receiver()
    token_origin = await start_receiver(redirecting_to(target, 307))
    host = await start_receiver()
    async with client:
        made = await integration(world, createUrl=f"http://127.0.0.1:{host.port}/create",
                                 cancelUrl=f"http://127.0.0.1:{host.port}/cancel", outboundCredentials={
                                     "type": "OAUTH2", "clientId": "ml", "clientSecret": "s3cret",
                                     "tokenUri": f"http://127.0.0.1:{token_origin.port}/token"})
        subscription = await order(world, made)
        await deliver(world)
        [status, [attempt]] = await attempts_of(world, subscription)

    assert (status, attempt["outcome"], attempt["error"]) == (
        "QUEUED", "TRANSPORT_ERROR", "token endpoint: unexpected_status (HTTP 307)")
    assert [(method, path) for method, path, _ in token_origin.requests] == [("POST", "/token")]
    assert (target.requests, host.requests) == ([], [])


async def test_a_direct_post_answered_with_a_redirect_is_not_posted_again(db, start_receiver):  # noqa: F811
    world, client = await make_world(db, allow_private_urls=True)
    target = await start_receiver()
    origin = await start_receiver(redirecting_to(target, 308))
    async with client:
        made = await integration(world, createUrl=f"http://127.0.0.1:{origin.port}/create",
                                 cancelUrl=f"http://127.0.0.1:{origin.port}/cancel")
        await world.api.data(DIRECT, {"id": made["integration"]["id"]}, world.dev_a)
        subscription = await order(world, made)
        await deliver(world)
        [status, [attempt]] = await attempts_of(world, subscription)

    assert (status, attempt["httpStatus"], attempt["outcome"], attempt["error"]) == (
        "FAILED", 308, "INVALID_RESPONSE", "unexpected HTTP 308")
    assert [method for method, _, _ in origin.requests] == ["POST"]
    assert target.requests == []


# --- the demo product host (make run) ---------------------------------------------------------

async def test_the_demo_host_fetches_only_this_services_event_urls(db, tmp_path, start_receiver):  # noqa: F811
    """``/demo/product-host/events`` is open to anyone (it stands in for a vendor's host) and
    fetches the ``eventUrl`` it is given with the demo inbound client's bearer token: only an
    event URL of this service may be fetched, or it would fetch any URL, private ones and
    redirects included, and hand the token to whoever serves it."""
    stranger = await start_receiver()
    port = free_port()
    settings = settings_for(db.url, base_url=f"http://127.0.0.1:{port}", demo_host=True,
                            data_dir=str(tmp_path), run_worker=False)
    app = create_app(settings, db=db)
    world_token = await _demo_credentials(app, tmp_path)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        before = await dump_tables(db)
        answers = []
        async with aiohttp.ClientSession() as browser:
            for event_url in (f"http://127.0.0.1:{stranger.port}/steal",
                              f"http://127.0.0.1:{port}.evil.example/api/integration/v1/events/x",
                              f"http://127.0.0.1:{port}/api/integration/v1/events/../../../graphql"):
                async with browser.get(f"http://127.0.0.1:{port}/demo/product-host/events",
                                       params={"eventUrl": event_url}) as answer:
                    answers.append((answer.status, await answer.json()))
    finally:
        server.should_exit = True
        await serving

    assert answers == [(200, {"success": False, "errorCode": "CONFIGURATION_ERROR",
                              "message": "no eventUrl, or the demo host has no credentials"})] * 3
    assert stranger.requests == []
    assert world_token and await dump_tables(db) == before


async def _demo_credentials(app, data_dir: Path) -> str:
    """An inbound client of a demo integration, in the file ``marketlink demo`` writes."""
    from marketlink.domain.actors import Actor, Role
    from marketlink.domain.inbound_clients import generate_client
    from marketlink.domain.integrations import create_integration
    from marketlink.domain.vendors import create_vendor

    services = app.state.services
    async with app.state.db.write() as conn:
        vendor = await create_vendor(conn, services, "Demo vendor")
        made = await create_integration(conn, Actor(Role.DEVELOPER, vendor), services, {"name": "Demo"})
        issued = (await generate_client(conn, Actor(Role.DEVELOPER, vendor), services,
                                        {"id": made.value.integration_id})).value
    (data_dir / CREDENTIALS_FILE).write_text(json.dumps({"clientId": issued.client_id,
                                                         "clientSecret": issued.client_secret}))
    return issued.client_id


# --- OpenID Connect back-channel logout (the vendor's logoutUrl) ----------------------------

@pytest.mark.parametrize("allow_private", [False, True])
async def test_a_logout_url_gets_the_same_refusals_and_no_redirect(start_receiver, allow_private):  # noqa: F811
    """The logout token is POSTed through the one outbound client: a private logoutUrl is not
    called, and a redirect (to where the token would be replayed) is not followed."""
    target = await start_receiver()
    origin = await start_receiver(redirecting_to(target, 307))
    settings = settings_for("sqlite:///unused.db", allow_private_urls=allow_private)
    sender = BackChannelLogout(None, Services(settings, None, SystemClock()), None)
    notice = LogoutNotice(f"http://127.0.0.1:{origin.port}/logout", "client", "user", "sid")
    try:
        outcome = await sender._post(notice, "logout-token")  # one attempt, as _deliver makes it
    finally:
        await sender.close()

    assert outcome == "retry"  # no 2xx: the attempts go on, to the same URL
    assert [method for method, _, _ in origin.requests] == (["POST"] if allow_private else [])
    assert target.requests == []

"""Guessing, replaying and flooding, against a real ``marketlink serve`` process over TCP (the
in-process rules are pinned by tests/api/test_web_logins.py, test_token_throttle.py,
test_http_edge.py and test_protocol.py; here: that they hold as served, behind uvicorn).

Each test speaks from a loopback address of its own (127.0.0.N), which is how the server tells
clients apart. ``marketlink serve`` believes ``X-Forwarded-For`` from no address unless
``MARKETLINK_FORWARDED_ALLOW_IPS`` names a proxy (uvicorn alone would believe it from 127.0.0.1
and ::1), so a forged header changes nothing, from loopback too.

OAuth 1.0a replays are refused where signatures are verified inbound: the event endpoints
(``GET`` the event, ``POST`` its result). MarketLink also signs its notifications with the
same key and secret; such a signature cannot be replayed at the event endpoints."""

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from aiohttp import web

from marketlink.app import create_app
from marketlink.delivery.http_client import OutboundHttp
from marketlink.delivery.oauth1 import authorization_header
from marketlink.delivery.worker import Worker
from marketlink.domain import companies, deliveries
from marketlink.domain.actors import Actor, Role
from marketlink.domain.logins import set_password
from marketlink.domain.passwords import Passwords
from marketlink.domain.vendors import create_token, create_vendor
from marketlink.storage import outbox
from marketlink.storage.database import Database
from tests.e2e.server import free_port
from tests.helpers import TEST_SECRET_KEY, dump_tables, make_world, settings_for

BIN = Path(sys.executable).parent
PASSWORD = "correct horse battery staple"
FAST_HASHING = {"password_hash_memory_kib": 19_456, "password_hash_time_cost": 2, "password_hash_parallelism": 1}
LIMITS = {"login_max_failures": 3, "login_max_failures_per_ip": 6, "token_max_failures_per_client": 3,
          "token_max_failures_per_ip": 6, "max_body_bytes": 1024, "max_query_depth": 3, "max_aliases": 2,
          "max_tokens": 100}
USERS = ("ada", "bob", "carol", "dan")
REFUSAL = "Incorrect email or password. After repeated failures, logging in pauses for 15 minutes."
TOO_MANY = {"error": "invalid_request",
            "error_description": "Too many failed client authentications; try again in 900 seconds."}
BAD_CLIENT = {"error": "invalid_client", "error_description": "Unknown client or wrong secret."}
TOO_LARGE = {"errors": [{"message": "The request body is larger than 1024 bytes.",
                         "extensions": {"code": "REQUEST_TOO_LARGE"}}]}
ERRORS = "userErrors { message }"
SETUP = f"""mutation($i: CreateProductIntegrationInput!) {{ createProductIntegration(input: $i) {{
  productIntegration {{ id }} {ERRORS} }}
  createProduct(input: {{name: "App", editions: [{{code: "BASIC", name: "Basic"}}]}}) {{ product {{ id }} }} }}"""
CLIENT = """mutation($id: ID!) { generateProductIntegrationInboundClient(input: {id: $id}) {
  productIntegrationInboundClient { clientId clientSecret } } }"""
PUBLISH_LINK = """mutation($p: ID!, $i: ID!) {
  publishProductIntegration(input: {integrationId: $i}) { userErrors { message } }
  linkProductIntegration(input: {productId: $p, integrationId: $i}) { userErrors { message } } }"""
ORDER = """mutation($p: ID!, $c: ID!, $u: ID!) { createSubscription(input: {productId: $p, companyId: $c,
  creatorId: $u, editionCode: "BASIC", pricingDuration: MONTHLY}) { subscription { id } } }"""
EVENTS = """query($s: ID!) { events(subscriptionId: $s) { nodes { id url status resolvedOn
  attempts { number } } } }"""
OAUTH1 = {"type": "OAUTH1", "consumerKey": "vendor-key", "consumerSecret": "vendor-s3cret"}
BAD_SIGNATURE = {"error": "unauthorized", "message": "The OAuth 1.0a signature does not verify."}


class Served:
    """``marketlink serve`` on a copy of the migrated SQLite template, with small limits."""

    def __init__(self, tmp: Path, sqlite_template: Path) -> None:
        self.path = tmp / "served.db"
        self.path.write_bytes(sqlite_template.read_bytes())
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log = tmp / "server.log"
        self.ids: dict[str, str] = {}
        self.admin, self.developer = asyncio.run(self._prepare())
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("MARKETLINK_") and k != "FORWARDED_ALLOW_IPS"} | {
            "MARKETLINK_DATABASE_URL": f"sqlite:///{self.path}", "MARKETLINK_SECRET_KEY": TEST_SECRET_KEY,
            "MARKETLINK_PORT": str(self.port), "MARKETLINK_BASE_URL": self.base_url,
            "MARKETLINK_RUN_WORKER": "false", "MARKETLINK_LOG_LEVEL": "WARNING",
            **{f"MARKETLINK_{k.upper()}": str(v) for k, v in (FAST_HASHING | LIMITS).items()}}
        with self.log.open("wb") as out:
            self.process = subprocess.Popen([str(BIN / "marketlink"), "serve"], env=env, stdout=out,
                                            stderr=subprocess.STDOUT, start_new_session=True)

    async def _prepare(self) -> tuple[str, str]:
        db = Database(f"sqlite:///{self.path}")
        settings = settings_for(db.url, **FAST_HASHING)
        services = create_app(settings, db=db).state.services
        admin_actor = Actor(Role.ADMIN, None)
        try:
            async with db.write() as conn:
                vendor = await create_vendor(conn, services, "Vendor")
                tokens = (await create_token(conn, services, Role.ADMIN, None, "admin"),
                          await create_token(conn, services, Role.DEVELOPER, vendor, "dev"))
                company = (await companies.create_company(conn, admin_actor, services,
                                                          {"name": "Buyer", "country": "US"})).value.id
                for name in USERS:
                    user = await companies.create_user(conn, admin_actor, services, {
                        "companyId": company, "email": f"{name}@buyer.example", "firstName": name,
                        "lastName": "L", "language": "en"})
                    self.ids[name] = user.value.id
            self.ids["company"] = company
            for name in USERS:
                await set_password(db, services, Passwords(settings), f"{name}@buyer.example", PASSWORD)
        finally:
            await db.dispose()
        return tokens

    def wait_until_up(self) -> None:
        for _ in range(1200):
            if self.process.poll() is not None:
                raise AssertionError(f"marketlink serve exited:\n{self.log.read_text()}")
            try:
                if httpx.get(self.base_url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"marketlink serve did not start:\n{self.log.read_text()}")

    def client(self, source: str) -> httpx.Client:
        """A client speaking from the loopback address ``source``."""
        return httpx.Client(base_url=self.base_url, timeout=30,
                            transport=httpx.HTTPTransport(local_address=source))

    def graphql(self, query: str, variables: dict, token: str | None = None) -> dict:
        with self.client("127.0.0.1") as client:
            response = client.post("/graphql", json={"query": query, "variables": variables},
                                   headers={"Authorization": f"Bearer {token or self.developer}"})
        assert response.status_code == 200 and "errors" not in response.json(), response.text
        return response.json()["data"]

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def served(tmp_path_factory, sqlite_template):
    server = Served(tmp_path_factory.mktemp("abuse"), sqlite_template)
    try:
        server.wait_until_up()
        yield server
    finally:
        server.stop()


def log_in(client: httpx.Client, email: str, password: str, headers: dict | None = None) -> httpx.Response:
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]*)"', form.text).group(1)
    return client.post("/login", headers=headers, data={"email": email, "password": password,
                                                         "csrf_token": token, "next": "/"})


def refusal_of(response: httpx.Response) -> tuple[int, list[str]]:
    return response.status_code, re.findall(r'id="login-error">([^<]*)<', response.text)


# --- logins ---------------------------------------------------------------------------------

def test_guessing_one_accounts_password_locks_that_account_only(served):
    with served.client("127.0.0.2") as attacker, served.client("127.0.0.3") as owner:
        guesses = [refusal_of(log_in(attacker, "ada@buyer.example", f"guess number {n}")) for n in range(3)]
        right_from_attacker = refusal_of(log_in(attacker, "ada@buyer.example", PASSWORD))
        right_from_owner = refusal_of(log_in(owner, "ada@buyer.example", PASSWORD))
        other_account = log_in(attacker, "bob@buyer.example", PASSWORD)

    assert guesses == [(400, [REFUSAL])] * 3
    # Locked for the window, from any address: the owner too (the price of a per-email limit).
    assert right_from_attacker == right_from_owner == (400, [REFUSAL])
    assert other_account.status_code == 303


def test_a_forged_forwarded_for_header_does_not_unlock_an_account(served):
    """From 127.0.0.1 each guess claims another client address: the per-email limit still
    counts every one of them."""
    with served.client("127.0.0.1") as attacker:
        guesses = [refusal_of(log_in(attacker, "carol@buyer.example", f"guess number {n}",
                                     {"X-Forwarded-For": f"203.0.113.{n}"})) for n in range(3)]
        right = refusal_of(log_in(attacker, "carol@buyer.example", PASSWORD,
                                  {"X-Forwarded-For": "203.0.113.99"}))

    assert guesses == [(400, [REFUSAL])] * 3
    assert right == (400, [REFUSAL])


def test_a_forged_forwarded_for_header_from_loopback_does_not_escape_the_address_limit(served):
    """No proxy is configured, so from 127.0.0.1 too the address is the TCP peer's: guesses at
    other accounts, each claiming a new address, lock 127.0.0.1 (uvicorn's default would have
    believed the header from loopback and counted each guess for another address)."""
    with served.client("127.0.0.1") as attacker, served.client("127.0.0.9") as someone_else:
        guesses = [refusal_of(log_in(attacker, f"nobody{n}@buyer.example", f"guess number {n}",
                                     {"X-Forwarded-For": f"192.0.2.{n}"})) for n in range(6)]
        right_from_attacker = refusal_of(log_in(attacker, "bob@buyer.example", PASSWORD,
                                                {"X-Forwarded-For": "192.0.2.200"}))
        right_elsewhere = log_in(someone_else, "bob@buyer.example", PASSWORD)

    assert guesses == [(400, [REFUSAL])] * 6
    assert right_from_attacker == (400, [REFUSAL])
    assert right_elsewhere.status_code == 303


def test_guessing_many_accounts_from_one_address_locks_that_address_only(served):
    """From an address uvicorn does not trust as a proxy, a forged X-Forwarded-For is ignored."""
    with served.client("127.0.0.4") as attacker, served.client("127.0.0.5") as someone_else:
        guesses = [refusal_of(log_in(attacker, f"user{n}@buyer.example", f"guess number {n}",
                                     {"X-Forwarded-For": f"198.51.100.{n}"})) for n in range(6)]
        right_from_attacker = refusal_of(log_in(attacker, "dan@buyer.example", PASSWORD))
        right_elsewhere = log_in(someone_else, "dan@buyer.example", PASSWORD)

    assert guesses == [(400, [REFUSAL])] * 6
    assert right_from_attacker == (400, [REFUSAL])
    assert right_elsewhere.status_code == 303


# --- the token endpoint ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def inbound(served):
    """Two inbound clients of an OAUTH1 integration with an ordered (undelivered) event."""
    data = served.graphql(SETUP, {"i": {"name": "Host", "createUrl": "https://host.example/create",
                                        "cancelUrl": "https://host.example/cancel", "outboundCredentials": OAUTH1}})
    integration = data["createProductIntegration"]["productIntegration"]["id"]
    product = data["createProduct"]["product"]["id"]
    clients = [served.graphql(CLIENT, {"id": integration})["generateProductIntegrationInboundClient"][
        "productIntegrationInboundClient"] for _ in range(2)]
    served.graphql(PUBLISH_LINK, {"p": product, "i": integration})
    subscription = served.graphql(ORDER, {"p": product, "c": served.ids["company"], "u": served.ids["ada"]},
                                  served.admin)["createSubscription"]["subscription"]["id"]
    [event] = served.graphql(EVENTS, {"s": subscription}, served.admin)["events"]["nodes"]
    return {"clients": clients, "event": event, "subscription": subscription}


def token(client: httpx.Client, client_id: str, secret: str) -> httpx.Response:
    return client.post("/oauth2/token", data={"grant_type": "client_credentials", "scope": "ROLE_APPLICATION"},
                       auth=(client_id, secret))


def test_guessing_a_clients_secret_locks_that_client_only(served, inbound):
    first, second = inbound["clients"]
    with served.client("127.0.0.6") as attacker:
        guesses = [token(attacker, first["clientId"], f"guess-{n}") for n in range(3)]
        right = token(attacker, first["clientId"], first["clientSecret"])
        other_client = token(attacker, second["clientId"], second["clientSecret"])

    assert [(g.status_code, g.json()) for g in guesses] == [(401, BAD_CLIENT)] * 3
    assert (right.status_code, right.headers["retry-after"], right.json()) == (429, "900", TOO_MANY)
    assert other_client.status_code == 200


def test_guessing_client_ids_from_one_address_locks_that_address_only(served, inbound):
    _, second = inbound["clients"]
    with served.client("127.0.0.7") as attacker, served.client("127.0.0.8") as host:
        guesses = [token(attacker, f"guessed-id-{n}", "guess") for n in range(6)]
        right_from_attacker = token(attacker, second["clientId"], second["clientSecret"])
        right_from_host = token(host, second["clientId"], second["clientSecret"])

    assert [g.status_code for g in guesses] == [401] * 6
    assert (right_from_attacker.status_code, right_from_attacker.json()) == (429, TOO_MANY)
    assert right_from_host.status_code == 200


# --- OAuth 1.0a replay, as served ------------------------------------------------------------

def test_a_signed_event_fetch_is_refused_when_replayed(served, inbound):
    url = inbound["event"]["url"]
    header = authorization_header("GET", url, "vendor-key", "vendor-s3cret")
    with served.client("127.0.0.9") as host:
        first = host.get(urlsplit(url).path, headers={"Authorization": header, "Accept": "application/json"})
        replays = [host.get(urlsplit(url).path, headers={"Authorization": header}) for _ in range(2)]
        fresh = host.get(urlsplit(url).path, headers={
            "Authorization": authorization_header("GET", url, "vendor-key", "vendor-s3cret"),
            "Accept": "application/json"})

    assert (first.status_code, first.json()["type"]) == (200, "SUBSCRIPTION_ORDER")
    assert [(r.status_code, r.json()) for r in replays] == [(401, BAD_SIGNATURE)] * 2
    assert (fresh.status_code, fresh.json()) == (200, first.json())


# --- sizes and shapes, as served ---------------------------------------------------------------

def padded(body: bytes, size: int) -> bytes:
    return body + b" " * (size - len(body))


def chunks(body: bytes, size: int = 256):
    for start in range(0, len(body), size):
        yield body[start:start + size]


@pytest.mark.parametrize("path,content_type,body", [
    ("/graphql", "application/json", b'{"query": "{ viewer { role } }"}'),
    ("/oauth2/token", "application/x-www-form-urlencoded", b"grant_type=client_credentials"),
    ("/login", "application/x-www-form-urlencoded", b"email=ada%40buyer.example&password=x"),
    ("/api/integration/v1/events/x/result", "application/json", b'{"success": true}'),
])
def test_a_body_over_the_limit_is_refused_before_anything_reads_it(served, path, content_type, body):
    headers = {"Content-Type": content_type, "Authorization": f"Bearer {served.admin}"}
    with served.client("127.0.0.10") as client:
        declared = client.post(path, content=padded(body, 1025), headers=headers)
        streamed = client.post(path, content=chunks(padded(body, 1025)), headers=headers)
        flood = client.post(path, content=chunks(padded(body, 8 * 1024 * 1024), 65536), headers=headers)

    assert "content-length" not in streamed.request.headers
    assert [(r.status_code, r.json()) for r in (declared, streamed, flood)] == [(413, TOO_LARGE)] * 3


@pytest.mark.parametrize("query,message", [
    ('query Deep { product(id: "1") { integration { linkedProducts { integration { id } } } } }',
     "'Deep' exceeds maximum operation depth of 3"),
    ("{ a: viewer { role } b: viewer { role } c: viewer { role } }", "3 aliases found. Allowed: 2"),
    ("{ " + " ".join(["viewer { role }"] * 30) + " }",
     "Syntax Error: Document contains more than 100 tokens. Parsing aborted."),
    ("{ __schema { types { fields { type { fields { type { fields { type { name } } } } } } } } }",
     "Maximum introspection depth exceeded"),
])
def test_deep_wide_and_long_queries_are_refused_before_execution(served, query, message):
    with served.client("127.0.0.11") as client:
        response = client.post("/graphql", json={"query": query}, headers={
            "Authorization": f"Bearer {served.admin}", "Accept": "application/graphql-response+json"})

    assert response.status_code == 400
    assert "data" not in response.json()
    assert [e["message"] for e in response.json()["errors"]] == [message]


# --- OAuth 1.0a replay, in process (both databases) ------------------------------------------

@pytest.fixture
async def oauth1_world(db):
    world, client = await make_world(db, allow_private_urls=True)
    async with client:
        yield world


async def oauth1_event(world, create_url: str = "https://host.example/create") -> dict:
    data = await world.api.data(SETUP, {"i": {"name": "Host", "createUrl": create_url,
                                              "cancelUrl": "https://host.example/cancel",
                                              "outboundCredentials": OAUTH1}}, world.dev_a)
    integration = data["createProductIntegration"]["productIntegration"]["id"]
    product = data["createProduct"]["product"]["id"]
    await world.api.data(PUBLISH_LINK, {"p": product, "i": integration}, world.dev_a)
    company = (await world.api.data('mutation { createCompany(input: {name: "B", country: "US"}) { company { id } } }',
                                    {}, world.admin))["createCompany"]["company"]["id"]
    user = (await world.api.data("""mutation($c: ID!) { createUser(input: {companyId: $c, email: "a@b.example",
        firstName: "A", lastName: "B", language: "en"}) { user { id } } }""", {"c": company}, world.admin))[
        "createUser"]["user"]["id"]
    subscription = (await world.api.data(ORDER, {"p": product, "c": company, "u": user}, world.admin))[
        "createSubscription"]["subscription"]["id"]
    [event] = (await world.api.data(EVENTS, {"s": subscription}, world.admin))["events"]["nodes"]
    return event


async def pending(world) -> None:
    """The host answered the due event with 202: it is PENDING, awaiting the host's result."""
    async with world.db.write() as conn:
        [event] = await outbox.claim_due(conn, "test", world.clock.now_ms(), 60_000, 1)
        attempt = {"started_on": world.clock.now_ms(), "url": "https://host.example", "outcome": "PENDING"}
        assert await deliveries.settle(conn, world.settings, dict(event), "test",
                                       deliveries.AttemptOutcome("PENDING"), attempt, world.clock.now_ms())


async def test_a_signed_result_is_applied_once_and_its_replay_refused(oauth1_world):
    world = oauth1_world
    event = await oauth1_event(world)
    await pending(world)
    url = event["url"] + "/result"
    header = authorization_header("POST", url, "vendor-key", "vendor-s3cret",
                                  timestamp=world.clock.now_ms() // 1000, nonce="result-nonce")
    body = {"success": True, "accountIdentifier": "acct-1"}

    first = await world.api.client.post(urlsplit(url).path, json=body, headers={"Authorization": header})
    after_first = await dump_tables(world.db)
    replay = await world.api.client.post(urlsplit(url).path, json=body | {"accountIdentifier": "acct-evil"},
                                         headers={"Authorization": header})

    assert first.status_code == 204
    assert (replay.status_code, replay.json()) == (401, BAD_SIGNATURE)
    assert await dump_tables(world.db) == after_first


async def test_a_captured_fetch_is_refused_after_the_window_too(oauth1_world):
    """Once the nonce is forgotten (its timestamp has left the window), the window refuses."""
    world = oauth1_world
    event = await oauth1_event(world)
    path = urlsplit(event["url"]).path
    header = authorization_header("GET", event["url"], "vendor-key", "vendor-s3cret",
                                  timestamp=world.clock.now_ms() // 1000, nonce="captured")

    first = await world.api.client.get(path, headers={"Authorization": header})
    world.clock.advance(301_000)
    late = await world.api.client.get(path, headers={"Authorization": header})

    assert (first.status_code, late.status_code, late.json()) == (200, 401, BAD_SIGNATURE)


async def test_the_signature_on_a_notification_cannot_be_replayed_to_fetch_the_event(oauth1_world, start_host):
    """Whoever sees the notification (its URL carries the event URL) and its OAuth header
    cannot fetch the event with them: the signature covers the notification's URL."""
    world = oauth1_world
    seen = []

    async def notification(request: web.Request) -> web.Response:
        seen.append((str(request.url), request.headers["Authorization"]))
        return web.Response(status=202)

    host = await start_host(notification)
    event = await oauth1_event(world, create_url=f"{host}/create?eventUrl={{eventUrl}}")
    http = OutboundHttp(world.settings)
    try:
        await Worker(world.db, world.services, http).run_until_idle()
    finally:
        await http.close()
    [(notified_url, header)] = seen
    path = urlsplit(event["url"]).path

    replayed = await world.api.client.get(path, headers={"Authorization": header})
    with_its_url = await world.api.client.get(path + "?" + urlsplit(notified_url).query,
                                              headers={"Authorization": header})

    assert header.startswith("OAuth ") and 'oauth_consumer_key="vendor-key"' in header
    assert [(r.status_code, r.json()) for r in (replayed, with_its_url)] == [(401, BAD_SIGNATURE)] * 2


@pytest.fixture
async def start_host():
    runners = []

    async def start(handler) -> str:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        runners.append(runner)
        return f"http://127.0.0.1:{runner.addresses[0][1]}"

    yield start
    for runner in runners:
        await runner.cleanup()


# --- connections ----------------------------------------------------------------------------

def test_an_idle_connection_stays_open_longer_than_uvicorns_default(served):
    """``MARKETLINK_KEEP_ALIVE_S`` (75 s) above a balancer's idle timeout: a connection idle
    for 6 s (uvicorn alone closes it after 5) still serves the next request on the same socket."""
    request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as conn:
        conn.sendall(request)
        first = whole_answer(conn)
        time.sleep(6)
        conn.sendall(request)
        second = whole_answer(conn)

    assert first == second == (b"HTTP/1.1 200 OK", b'{"status":"ok"}')


def whole_answer(conn: socket.socket) -> tuple[bytes, bytes]:
    """(status line, body) of one answer read off ``conn``; (b"", b"") if it was closed."""
    received = b""
    while b"\r\n\r\n" not in received:
        if not (chunk := conn.recv(4096)):
            return b"", b""
        received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?im)^content-length: *(\d+)", head).group(1))
    while len(body) < length:
        if not (chunk := conn.recv(4096)):
            break
        body += chunk
    return head.split(b"\r\n", 1)[0], body

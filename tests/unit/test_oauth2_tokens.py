"""Client-credentials tokens for OAUTH2 outbound credentials (SPEC §3.1), against a real token
server on a loopback port."""

import asyncio
import base64
import json
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from marketlink.clock import FrozenClock
from marketlink.config import Settings
from marketlink.delivery.http_client import OutboundHttp, TransportError
from marketlink.delivery.oauth2_tokens import TokenCache, TokenError, TokenFailure
from tests.helpers import TEST_SECRET_KEY

T0 = 1_700_000_000_000
SCOPE = "ROLE_APPLICATION"


@dataclass
class Received:
    method: str
    path: str
    content_type: str
    form: list[tuple[str, str]]
    authorization: str | None
    accept: str | None


@dataclass
class TokenServer:
    """Answers POST /token from ``answers`` (status, body), or with token-N for request N."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    answers: list[tuple[int, str]] = field(default_factory=list)
    gate: asyncio.Event | None = None
    redirect_target_hits: int = 0

    async def token(self, request: web.Request) -> web.Response:
        form = await request.post()
        self.received.append(Received(
            request.method, request.path, request.content_type, list(form.items()),
            request.headers.get("Authorization"), request.headers.get("Accept"),
        ))
        if self.gate is not None:
            await self.gate.wait()
        status, body = self.answers.pop(0) if self.answers else (200, self.token_json(len(self.received)))
        return web.Response(status=status, text=body, content_type="application/json")

    async def redirect(self, request: web.Request) -> web.Response:
        raise web.HTTPTemporaryRedirect(self.url.replace("/token", "/elsewhere"))

    async def redirect_target(self, request: web.Request) -> web.Response:
        self.redirect_target_hits += 1
        return web.Response(text=self.token_json(99))

    @staticmethod
    def token_json(n: int, expires_in: object = 3600) -> str:
        return json.dumps({"access_token": f"token-{n}", "token_type": "Bearer", "expires_in": expires_in})


@pytest.fixture
async def server():
    token_server = TokenServer()
    app = web.Application()
    app.router.add_post("/token", token_server.token)
    app.router.add_post("/elsewhere", token_server.redirect_target)
    app.router.add_post("/redirect", token_server.redirect)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    token_server.url = f"http://127.0.0.1:{port}/token"
    yield token_server
    await runner.cleanup()


@pytest.fixture
async def session():
    http = OutboundHttp(Settings(secret_key=TEST_SECRET_KEY, allow_private_urls=True))
    yield http
    await http.close()


@pytest.fixture
def clock():
    return FrozenClock(T0)


@pytest.fixture
def cache(session, clock):
    return TokenCache(session, clock)


# -- the request --------------------------------------------------------------------------------


async def test_token_endpoint_receives_a_form_encoded_client_credentials_grant_with_basic_auth(server, cache):
    token = await cache.token(server.url, "client 1", "s3cr!t é", SCOPE)

    # RFC 6749 §2.3.1: id and secret are form-urlencoded before base64
    expected_basic = "Basic " + base64.b64encode(b"client+1:s3cr%21t+%C3%A9").decode()
    assert token == "token-1"
    assert server.received == [Received(
        method="POST", path="/token", content_type="application/x-www-form-urlencoded",
        form=[("grant_type", "client_credentials"), ("scope", "ROLE_APPLICATION")],
        authorization=expected_basic, accept="application/json",
    )]


async def test_no_scope_sends_only_the_grant_type(server, cache):
    await cache.token(server.url, "client-1", "secret", None)

    assert server.received[0].form == [("grant_type", "client_credentials")]
    assert server.received[0].authorization == "Basic " + base64.b64encode(b"client-1:secret").decode()


# -- caching ------------------------------------------------------------------------------------


async def test_token_is_cached_until_30_seconds_before_it_expires(server, cache, clock):
    first = await cache.token(server.url, "client-1", "secret", SCOPE)
    clock.advance(3_570_000 - 1)
    still_cached = await cache.token(server.url, "client-1", "secret", SCOPE)
    clock.advance(1)
    refreshed = await cache.token(server.url, "client-1", "secret", SCOPE)

    assert (first, still_cached, refreshed) == ("token-1", "token-1", "token-2")
    assert len(server.received) == 2


@pytest.mark.parametrize(
    ("expires_in", "usable_ms"),
    [(None, 270_000), ("120", 90_000), (20, 10_000), ("soon", 270_000), (10**9, 86_370_000)],
    ids=["missing", "string", "short", "garbage", "huge"],
)
async def test_cache_lifetime_follows_expires_in(server, cache, clock, expires_in, usable_ms):
    body = {"access_token": "short-lived"} | ({} if expires_in is None else {"expires_in": expires_in})
    server.answers.append((200, json.dumps(body)))
    await cache.token(server.url, "client-1", "secret", SCOPE)

    clock.advance(usable_ms - 1)
    before = await cache.token(server.url, "client-1", "secret", SCOPE)
    clock.advance(1)
    after = await cache.token(server.url, "client-1", "secret", SCOPE)

    assert (before, after) == ("short-lived", "token-2")


async def test_token_without_lifetime_left_is_used_once(server, cache):
    server.answers.append((200, json.dumps({"access_token": "instant", "expires_in": 0})))

    first = await cache.token(server.url, "client-1", "secret", SCOPE)
    second = await cache.token(server.url, "client-1", "secret", SCOPE)

    assert (first, second) == ("instant", "token-2")


async def test_twenty_concurrent_callers_share_one_request(server, cache):
    server.gate = asyncio.Event()
    callers = [asyncio.create_task(cache.token(server.url, "client-1", "secret", SCOPE)) for _ in range(20)]
    while not server.received:
        await asyncio.sleep(0.001)
    await asyncio.sleep(0.01)  # give a second request, if any, the time to arrive
    server.gate.set()

    tokens = await asyncio.gather(*callers)

    assert tokens == ["token-1"] * 20
    assert len(server.received) == 1


async def test_one_cancelled_caller_does_not_cancel_the_shared_refresh(server, cache):
    server.gate = asyncio.Event()
    impatient = asyncio.create_task(cache.token(server.url, "client-1", "secret", SCOPE))
    patient = asyncio.create_task(cache.token(server.url, "client-1", "secret", SCOPE))
    while not server.received:
        await asyncio.sleep(0.001)
    impatient.cancel()
    server.gate.set()

    assert await patient == "token-1"
    assert impatient.cancelled()


async def test_invalidate_after_401_fetches_a_new_token(server, cache):
    used = await cache.token(server.url, "client-1", "secret", SCOPE)

    cache.invalidate(server.url, "client-1", SCOPE, used)
    again = await cache.token(server.url, "client-1", "secret", SCOPE)

    assert (used, again) == ("token-1", "token-2")


async def test_invalidate_of_an_older_token_keeps_the_newer_one(server, cache):
    old = await cache.token(server.url, "client-1", "secret", SCOPE)
    cache.invalidate(server.url, "client-1", SCOPE, old)
    new = await cache.token(server.url, "client-1", "secret", SCOPE)

    cache.invalidate(server.url, "client-1", SCOPE, old)  # a late 401 for the old token

    assert await cache.token(server.url, "client-1", "secret", SCOPE) == new == "token-2"
    assert len(server.received) == 2


async def test_distinct_scopes_clients_and_secrets_get_distinct_tokens(server, cache):
    tokens = [
        await cache.token(server.url, "client-1", "secret", "read"),
        await cache.token(server.url, "client-1", "secret", "write"),
        await cache.token(server.url, "client-1", "secret", None),
        await cache.token(server.url, "client-2", "secret", "read"),
        await cache.token(server.url, "client-1", "wrong-secret", "read"),
        await cache.token(server.url, "client-1", "secret", "read"),
        await cache.token(server.url, "client-1", "secret", "write"),
    ]

    assert tokens == ["token-1", "token-2", "token-3", "token-4", "token-5", "token-1", "token-2"]


async def test_cache_holds_at_most_max_keys_and_drops_the_oldest(server, session, clock):
    cache = TokenCache(session, clock, max_keys=2)
    for scope in ("a", "b", "c"):
        await cache.token(server.url, "client-1", "secret", scope)

    newest = await cache.token(server.url, "client-1", "secret", "c")
    oldest = await cache.token(server.url, "client-1", "secret", "a")

    assert (newest, oldest) == ("token-3", "token-4")


# -- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "reason", "detail"),
    [
        (401, '{"error": "invalid_client"}', TokenFailure.UNEXPECTED_STATUS, "invalid_client"),
        (500, "<html>oops</html>", TokenFailure.UNEXPECTED_STATUS, None),
        (201, '{"access_token": "t"}', TokenFailure.UNEXPECTED_STATUS, None),
        (200, "<html>oops</html>", TokenFailure.NOT_JSON, None),
        (200, "", TokenFailure.NOT_JSON, None),
        (200, '{"token_type": "Bearer"}', TokenFailure.NO_ACCESS_TOKEN, None),
        (200, '["token"]', TokenFailure.NO_ACCESS_TOKEN, None),
        (200, '{"access_token": 42}', TokenFailure.NO_ACCESS_TOKEN, None),
        (200, '{"access_token": "a\\r\\nX-Injected: 1"}', TokenFailure.NO_ACCESS_TOKEN, None),
    ],
    ids=["401", "500", "201", "html", "empty", "no-token", "list", "number", "newline"],
)
async def test_unusable_answers_raise_token_error(server, cache, status, body, reason, detail):
    server.answers.append((status, body))

    with pytest.raises(TokenError) as raised:
        await cache.token(server.url, "client-1", "secret", SCOPE)

    assert (raised.value.reason, raised.value.status, raised.value.detail) == (reason, status, detail)


async def test_errors_are_not_cached(server, cache):
    server.answers.append((503, "busy"))
    with pytest.raises(TokenError):
        await cache.token(server.url, "client-1", "secret", SCOPE)

    assert await cache.token(server.url, "client-1", "secret", SCOPE) == "token-2"


async def test_concurrent_callers_share_one_failure(server, cache):
    server.answers.append((401, '{"error": "invalid_client"}'))
    server.gate = asyncio.Event()
    callers = [asyncio.create_task(cache.token(server.url, "client-1", "secret", SCOPE)) for _ in range(5)]
    while not server.received:
        await asyncio.sleep(0.001)
    server.gate.set()

    outcomes = await asyncio.gather(*callers, return_exceptions=True)

    assert [(type(o), o.reason, o.status) for o in outcomes] == [(TokenError, "unexpected_status", 401)] * 5
    assert len(server.received) == 1


async def test_redirects_are_not_followed(server, cache):
    redirecting_url = server.url.replace("/token", "/redirect")

    with pytest.raises(TokenError) as raised:
        await cache.token(redirecting_url, "client-1", "secret", SCOPE)

    assert (raised.value.reason, raised.value.status) == ("unexpected_status", 307)
    assert server.redirect_target_hits == 0


async def test_oversized_answer_raises_token_error(server, cache):
    server.answers.append((200, json.dumps({"access_token": "t", "padding": "x" * 70_000})))

    with pytest.raises(TokenError) as raised:
        await cache.token(server.url, "client-1", "secret", SCOPE)

    assert (raised.value.reason, raised.value.status) == ("body_too_large", 200)


async def test_transport_failure_propagates_as_the_transports_own_error(server, cache):
    closed = web.AppRunner(web.Application())
    await closed.setup()
    site = web.TCPSite(closed, "127.0.0.1", 0)
    await site.start()
    dead_port = closed.addresses[0][1]
    await closed.cleanup()  # nothing listens on dead_port any more

    with pytest.raises(TransportError):
        await cache.token(f"http://127.0.0.1:{dead_port}/token", "client-1", "secret", SCOPE)
    assert await cache.token(server.url, "client-1", "secret", SCOPE) == "token-1"

"""The outbound HTTP client (STYLE §5, SPEC §6): real aiohttp servers on loopback ports, no mocks.

Only loopback addresses ever receive traffic. Refusals of IP literals are asserted with
``refused_before_io``, which runs a request only up to its first suspension: the refusal must
come before the request waits on anything (DNS, connect), so aiohttp never gets to a socket.
Names are resolved by a stub only at the resolution layer (``FixedResolver``), or really
(``localhost``)."""

import asyncio
import gzip
import socket
import time
from ipaddress import ip_address

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

from marketlink.config import Settings
from marketlink.delivery.http_client import (
    AnswerTooLarge,
    InvalidUrl,
    OutboundError,
    OutboundHttp,
    PublicAddressResolver,
    RefusedAddress,
    TransportError,
    checked_url,
    is_public_address,
)

CAP = 1024


def settings(**overrides: object) -> Settings:
    values = {"allow_private_urls": True, "http_timeout_s": 2.0, "http_connect_timeout_s": 1.0,
              "max_answer_bytes": CAP, "http_connections_per_host": 2} | overrides
    return Settings(**values)


class Receiver:
    """A product host on a loopback port: answers with ``handler`` and records every request
    as (method, path with query, body). Handlers that hang wait on ``release``."""

    def __init__(self, handler) -> None:
        self.handler = handler
        self.requests: list[tuple[str, str, bytes]] = []
        self.release = asyncio.Event()
        self.runner: web.AppRunner | None = None
        self.port = 0

    async def start(self, host: str) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self.runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self.runner.setup()
        await web.TCPSite(self.runner, host, 0).start()
        self.port = self.runner.addresses[0][1]

    async def stop(self) -> None:
        self.release.set()
        await self.runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append((request.method, request.path_qs, await request.read()))
        return await self.handler(request, self)


async def say_hello(request: web.Request, receiver: Receiver) -> web.Response:
    return web.Response(text="hello", headers={"X-Seen-Host": request.host})


@pytest.fixture
async def start_receiver():
    """``await start_receiver(handler, host="127.0.0.1")``: a running Receiver, stopped after."""
    receivers = []

    async def start(handler=say_hello, host: str = "127.0.0.1") -> Receiver:
        receiver = Receiver(handler)
        await receiver.start(host)
        receivers.append(receiver)
        return receiver

    yield start
    for receiver in receivers:
        await receiver.stop()


@pytest.fixture
async def outbound():
    """``outbound(**settings_overrides)``: an OutboundHttp, closed after the test."""
    clients = []

    def make(resolver: AbstractResolver | None = None, **overrides: object) -> OutboundHttp:
        clients.append(OutboundHttp(settings(**overrides), resolver=resolver))
        return clients[-1]

    yield make
    for client in clients:
        await client.close()


def refused_before_io(request) -> OutboundError:
    """Run ``request`` (a coroutine) up to its first suspension; it must raise by then."""
    try:
        request.send(None)
    except OutboundError as exc:
        return exc
    finally:
        request.close()
    pytest.fail("the request reached I/O before refusing")


class FixedResolver(AbstractResolver):
    """The resolution layer only: answers ``addresses`` for every name (no DNS traffic)."""

    def __init__(self, *addresses: str) -> None:
        self.addresses = addresses
        self.asked: list[str] = []

    async def resolve(self, host, port=0, family=socket.AF_INET) -> list[ResolveResult]:
        self.asked.append(host)
        return [ResolveResult(hostname=host, host=address, port=port, proto=0, flags=0,
                              family=socket.AF_INET6 if ":" in address else socket.AF_INET)
                for address in self.addresses]

    async def close(self) -> None:
        pass


# Allowed when allow_private_urls is true ------------------------------------------------------

async def test_given_private_urls_allowed_when_get_then_the_answer_is_returned(start_receiver,
                                                                               outbound):
    receiver = await start_receiver()
    http = outbound(allow_private_urls=True)

    answer = await http.request("GET", f"http://127.0.0.1:{receiver.port}/create?eventUrl=e1")

    assert (answer.status, answer.body) == (200, b"hello")
    assert answer.headers["content-type"] == "text/plain; charset=utf-8"
    assert isinstance(answer.duration_ms, int) and answer.duration_ms >= 0
    assert receiver.requests == [("GET", "/create?eventUrl=e1", b"")]


async def test_when_form_post_then_the_host_receives_the_form_and_headers(start_receiver,
                                                                         outbound):
    seen = {}

    async def token(request, receiver):
        seen.update(authorization=request.headers["Authorization"],
                    content_type=request.headers["Content-Type"],
                    user_agent=request.headers["User-Agent"])
        return web.json_response({"access_token": "t", "expires_in": 60})

    receiver = await start_receiver(token)
    answer = await outbound().request(
        "POST", f"http://127.0.0.1:{receiver.port}/token",
        headers={"Authorization": "Basic aWQ6c2VjcmV0"}, data={"grant_type": "client_credentials"})

    assert (answer.status, answer.body) == (200, b'{"access_token": "t", "expires_in": 60}')
    assert receiver.requests == [("POST", "/token", b"grant_type=client_credentials")]
    assert seen == {"authorization": "Basic aWQ6c2VjcmV0", "user_agent": "MarketLink",
                    "content_type": "application/x-www-form-urlencoded"}


@pytest.mark.parametrize("server_host,url_host", [
    ("127.0.0.1", "127.0.0.1"), ("127.0.0.1", "localhost"), ("::1", "[::1]"),
    ("127.0.0.1", "[::ffff:127.0.0.1]"),
])
async def test_given_private_urls_allowed_then_loopback_hosts_are_reached(
        start_receiver, outbound, server_host, url_host):
    receiver = await start_receiver(host=server_host)

    answer = await outbound(allow_private_urls=True).request(
        "GET", f"http://{url_host}:{receiver.port}/x")

    assert (answer.status, receiver.requests) == (200, [("GET", "/x", b"")])


# Refused when allow_private_urls is false ---------------------------------------------------

@pytest.mark.parametrize("server_host,url_host,host", [
    ("127.0.0.1", "127.0.0.1", "127.0.0.1"), ("::1", "[::1]", "::1"),
    ("127.0.0.1", "[::ffff:127.0.0.1]", "::ffff:7f00:1"),
    ("127.0.0.1", "[0:0:0:0:0:ffff:7f00:1]", "::ffff:7f00:1"),
])
async def test_loopback_literals_are_refused_before_io(start_receiver, outbound, server_host,
                                                       url_host, host):
    receiver = await start_receiver(host=server_host)
    http = outbound(allow_private_urls=False)

    error = refused_before_io(http.request("GET", f"http://{url_host}:{receiver.port}/x"))

    assert (type(error), str(error)) == (RefusedAddress, f"{host} is not a public address")
    assert receiver.requests == []


async def test_a_name_resolving_to_loopback_is_refused_at_connection_time(start_receiver,
                                                                          outbound):
    receiver = await start_receiver()

    with pytest.raises(RefusedAddress) as raised:
        await outbound(allow_private_urls=False).request(
            "GET", f"http://localhost:{receiver.port}/x")

    assert str(raised.value) == "localhost has no public address"
    assert receiver.requests == []


@pytest.mark.parametrize("literal,host", [
    (literal, literal) for literal in [
        "10.0.0.1", "10.255.255.254", "172.16.0.1", "192.168.1.1", "169.254.169.254",
        "100.64.0.1", "0.0.0.0", "224.0.0.251", "240.0.0.1", "255.255.255.255", "198.18.0.1"]
] + [
    ("[fe80::1]", "fe80::1"), ("[fe80::1%25eth0]", "fe80::1%25eth0"), ("[fc00::1]", "fc00::1"),
    ("[fd00::2]", "fd00::2"), ("[::]", "::"), ("[ff02::1]", "ff02::1"), ("[fec0::1]", "fec0::1"),
    ("[::ffff:10.0.0.1]", "::ffff:a00:1"), ("[::ffff:169.254.169.254]", "::ffff:a9fe:a9fe"),
    ("[64:ff9b::a9fe:a9fe]", "64:ff9b::a9fe:a9fe"), ("[2002:a00:1::]", "2002:a00:1::"),
    ("[2001:db8::1]", "2001:db8::1"), ("[::127.0.0.1]", "::7f00:1"),
])
async def test_private_literals_are_refused_before_io(outbound, literal, host):
    http = outbound(allow_private_urls=False)

    error = refused_before_io(http.request("GET", f"http://{literal}:8080/x"))

    assert (type(error), str(error)) == (RefusedAddress, f"{host} is not a public address")


@pytest.mark.parametrize("url,message", [
    ("http://127.1:8080/", "127.1 is not a canonical IP address"),
    ("http://2130706433:8080/", "2130706433 is not a canonical IP address"),
    ("http://0177.0.0.1:8080/", "0177.0.0.1 is not a canonical IP address"),
    ("http://127.0.0.1.:8080/", "127.0.0.1. is not a canonical IP address"),
    ("ftp://host.example/", "not an absolute http(s) URL"),
    ("/relative/path", "not an absolute http(s) URL"),
    ("http://user:secret@host.example/", "credentials in the URL"),
    ("http://[::1/", "not a URL"),
])
async def test_urls_that_cannot_be_sent_are_invalid_before_io(outbound, url, message):
    error = refused_before_io(outbound(allow_private_urls=False).request("GET", url))

    assert (type(error), str(error)) == (InvalidUrl, message)


@pytest.mark.parametrize("address,public", [
    ("93.184.216.34", True), ("8.8.8.8", True), ("2606:4700::1111", True),
    ("::ffff:93.184.216.34", True), ("64:ff9b::808:808", True), ("2002:808:808::", True),
    ("127.0.0.1", False), ("10.1.2.3", False), ("172.31.255.255", False), ("192.168.0.1", False),
    ("169.254.0.1", False), ("100.64.0.1", False), ("100.127.255.255", False), ("0.0.0.0", False),
    ("224.0.0.1", False), ("240.0.0.1", False), ("192.0.2.1", False), ("::1", False),
    ("::", False), ("fe80::1", False), ("fe80::1%eth0", False), ("fc00::1", False),
    ("fd12:3456::1", False), ("fec0::1", False), ("ff0e::1", False), ("2001:db8::1", False),
    ("::ffff:127.0.0.1", False), ("::ffff:10.0.0.1", False), ("64:ff9b::7f00:1", False),
    ("64:ff9b::a00:1", False), ("2002:7f00:1::", False), ("2002:c0a8:101::", False),
    ("::127.0.0.1", False),
])
def test_is_public_address(address, public):
    assert is_public_address(ip_address(address)) is public


@pytest.mark.parametrize("url", ["http://93.184.216.34/x", "https://[2606:4700::1111]/x",
                                 "http://[::ffff:5db8:d822]/", "http://[64:ff9b::808:808]/",
                                 "https://product.example/x"])
def test_public_literals_and_names_pass_the_literal_check(url):
    assert str(checked_url(url, allow_private=False)) == url


async def test_the_resolver_keeps_only_public_addresses():
    resolver = PublicAddressResolver(FixedResolver(
        "10.0.0.1", "93.184.216.34", "::1", "2606:4700::1111", "fe80::1%eth0", "100.64.1.1",
        "::ffff:127.0.0.1", "not-an-address"))

    found = await resolver.resolve("product.example", 443, socket.AF_UNSPEC)

    assert [(result["host"], result["port"]) for result in found] == [
        ("93.184.216.34", 443), ("2606:4700::1111", 443)]


async def test_a_name_resolving_only_to_private_addresses_is_refused(start_receiver, outbound):
    receiver = await start_receiver()
    resolver = FixedResolver("127.0.0.1")
    http = outbound(resolver=resolver, allow_private_urls=False)

    with pytest.raises(RefusedAddress) as raised:
        await http.request("GET", f"http://product.example:{receiver.port}/x")

    assert str(raised.value) == "product.example has no public address"
    assert (resolver.asked, receiver.requests) == (["product.example"], [])


async def test_given_private_urls_allowed_then_the_same_name_is_reached(start_receiver, outbound):
    receiver = await start_receiver()
    http = outbound(resolver=FixedResolver("127.0.0.1"), allow_private_urls=True)

    answer = await http.request("GET", f"http://product.example:{receiver.port}/x")

    assert answer.headers["X-Seen-Host"] == f"product.example:{receiver.port}"
    assert receiver.requests == [("GET", "/x", b"")]


async def test_aiohttp_does_not_resolve_ip_literals_hence_the_literal_check(start_receiver,
                                                                          outbound):
    receiver = await start_receiver()
    resolver = FixedResolver("127.0.0.1")

    await outbound(resolver=resolver).request("GET", f"http://127.0.0.1:{receiver.port}/x")

    assert (resolver.asked, receiver.requests) == ([], [("GET", "/x", b"")])


# Redirects, size, time ----------------------------------------------------------------------

@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_a_redirect_is_returned_not_followed(start_receiver, outbound, status):
    target = await start_receiver()
    location = f"http://127.0.0.1:{target.port}/elsewhere"

    async def redirect(request, receiver):
        return web.Response(status=status, headers={"Location": location})

    origin = await start_receiver(redirect)
    answer = await outbound().request("POST", f"http://127.0.0.1:{origin.port}/start", data=b"x")

    assert (answer.status, answer.headers["Location"], answer.body) == (status, location, b"")
    assert origin.requests == [("POST", "/start", b"x")]
    assert target.requests == []


@pytest.mark.parametrize("size", [0, 1, CAP])
async def test_an_answer_up_to_the_cap_is_read_whole(start_receiver, outbound, size):
    async def answer_bytes(request, receiver):
        return web.Response(body=b"a" * size)

    receiver = await start_receiver(answer_bytes)
    answer = await outbound().request("GET", f"http://127.0.0.1:{receiver.port}/")

    assert answer.body == b"a" * size


async def test_an_answer_one_byte_over_the_cap_raises(start_receiver, outbound):
    async def answer_bytes(request, receiver):
        return web.Response(status=201, body=b"a" * (CAP + 1))

    receiver = await start_receiver(answer_bytes)
    with pytest.raises(AnswerTooLarge) as raised:
        await outbound().request("GET", f"http://127.0.0.1:{receiver.port}/")

    assert (raised.value.status, raised.value.limit) == (201, CAP)
    assert str(raised.value) == f"the answer's body is larger than {CAP} bytes"


async def test_the_cap_applies_to_the_decompressed_body(start_receiver, outbound):
    compressed = gzip.compress(b"a" * (CAP * 50))
    assert len(compressed) < CAP

    async def answer_gzip(request, receiver):
        return web.Response(body=compressed, headers={"Content-Encoding": "gzip"})

    receiver = await start_receiver(answer_gzip)
    with pytest.raises(AnswerTooLarge):
        await outbound().request("GET", f"http://127.0.0.1:{receiver.port}/")


async def test_an_endless_answer_is_not_read_to_its_end(start_receiver, outbound):
    offered = 64 * 1024 * 1024
    sent = []
    done = asyncio.Event()

    async def stream(request, receiver):
        response = web.StreamResponse()
        await response.prepare(request)  # chunked: no Content-Length to go by
        try:
            for _ in range(offered // 65536):
                await response.write(b"a" * 65536)
                sent.append(65536)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            done.set()
        return response

    receiver = await start_receiver(stream)
    with pytest.raises(AnswerTooLarge):
        await outbound().request("GET", f"http://127.0.0.1:{receiver.port}/")
    await asyncio.wait_for(done.wait(), 5)

    assert sum(sent) < offered // 4


async def test_a_host_that_never_answers_times_out(start_receiver, outbound):
    async def hang(request, receiver):
        await receiver.release.wait()
        return web.Response()

    receiver = await start_receiver(hang)
    started = time.monotonic()
    with pytest.raises(TransportError) as raised:
        await outbound(http_timeout_s=0.3).request("GET", f"http://127.0.0.1:{receiver.port}/")

    assert str(raised.value) == "timed out"
    # Lower bounds only: a timeout never fires early, but a busy machine may make it late.
    assert time.monotonic() - started >= 0.25
    assert raised.value.duration_ms >= 250


async def test_a_body_that_stalls_times_out(start_receiver, outbound):
    async def stall(request, receiver):
        response = web.StreamResponse()
        await response.prepare(request)
        await response.write(b"partial")
        await receiver.release.wait()
        return response

    receiver = await start_receiver(stall)
    with pytest.raises(TransportError) as raised:
        await outbound(http_timeout_s=0.3).request("GET", f"http://127.0.0.1:{receiver.port}/")

    assert str(raised.value) == "timed out"


async def test_a_connection_that_is_not_accepted_times_out_on_the_connect_timeout(outbound):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = fill_backlog(port)
    try:
        started = time.monotonic()
        with pytest.raises(TransportError) as raised:
            await outbound(http_timeout_s=5.0, http_connect_timeout_s=0.3).request(
                "GET", f"http://127.0.0.1:{port}/")
        elapsed = time.monotonic() - started
    finally:
        for sock in fillers + [listener]:
            sock.close()

    assert str(raised.value) == "timed out while connecting"
    assert elapsed >= 0.25  # and well before the 5 s total timeout


def fill_backlog(port: int) -> list[socket.socket]:
    """Connect to a listener that never accepts until a connection attempt hangs (its SYN is
    dropped), so the next one hangs too (Linux does so; this suite runs on Linux)."""
    sockets = []
    for _ in range(16):
        sock = socket.socket()
        sock.settimeout(0.2)
        sockets.append(sock)
        try:
            sock.connect(("127.0.0.1", port))
        except TimeoutError:
            return sockets
    raise AssertionError("the loopback listener's backlog never filled")


async def test_a_closed_port_is_a_transport_error(outbound):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    with pytest.raises(TransportError) as raised:
        await outbound().request("GET", f"http://127.0.0.1:{port}/")

    assert str(raised.value).startswith(f"Cannot connect to host 127.0.0.1:{port} ssl:default [")


# Connections, cookies, proxies --------------------------------------------------------------

async def test_no_more_connections_per_host_than_the_limit(start_receiver, outbound):
    in_flight = []
    peak = []

    async def hold(request, receiver):
        in_flight.append(1)
        peak.append(len(in_flight))
        await asyncio.sleep(0.05)
        in_flight.pop()
        return web.Response(text="ok")

    receiver = await start_receiver(hold)
    http = outbound(http_connections_per_host=2)
    answers = await asyncio.gather(*[
        http.request("GET", f"http://127.0.0.1:{receiver.port}/{n}") for n in range(10)])

    assert [answer.status for answer in answers] == [200] * 10
    assert sorted(path for _, path, _ in receiver.requests) == sorted(f"/{n}" for n in range(10))
    assert max(peak) == 2


async def test_cookies_a_host_sets_are_never_sent_back(start_receiver, outbound):
    cookies = []

    async def set_cookie(request, receiver):
        cookies.append(request.headers.get("Cookie"))
        response = web.Response()
        response.set_cookie("session", "s1")
        return response

    receiver = await start_receiver(set_cookie)
    http = outbound(resolver=FixedResolver("127.0.0.1"))  # cookies of IP hosts are dropped anyway
    for _ in range(2):
        await http.request("GET", f"http://product.example:{receiver.port}/")

    assert cookies == [None, None]


async def test_proxy_variables_of_the_environment_are_ignored(start_receiver, outbound,
                                                              monkeypatch):
    proxy = await start_receiver()
    target = await start_receiver()
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{proxy.port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)

    await outbound().request("GET", f"http://127.0.0.1:{target.port}/direct")

    assert (proxy.requests, target.requests) == ([], [("GET", "/direct", b"")])

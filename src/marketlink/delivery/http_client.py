"""The one outbound HTTP client: every call to a product host (notifications, OAuth2 token
requests) goes through an :class:`OutboundHttp`. See docs/adr/0008-outbound-http.md.

Unless ``settings.allow_private_urls`` is true, only public addresses are called: an IP-literal
host is checked before anything is sent (aiohttp does not resolve literals), a name is checked at
connection time on every address it resolves to (:class:`PublicAddressResolver`), so a DNS answer
that changes between checks (rebinding) cannot slip past. Redirects are never followed, every
request has a total and a connect timeout, answers are capped at ``settings.max_answer_bytes``,
connections are limited per host, and no cookies or proxy settings from the environment are used.

Exceptions (all carry ``duration_ms``, the time spent before failing)::

    OutboundError          base; a MarketLinkError
      InvalidUrl           not an absolute http(s) URL with a host and no credentials; nothing sent
      RefusedAddress       the host is, or resolves only to, non-public addresses; nothing sent
      TransportError       DNS failure, refused or reset connection, TLS, malformed answer, timeout
      AnswerTooLarge       the body exceeds max_answer_bytes; the rest is not read
"""

import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from marketlink.config import Settings
from marketlink.errors import MarketLinkError

TOTAL_CONNECTIONS = 100  # across all hosts; the per-host bound is a setting
USER_AGENT = "MarketLink"
SHARED_ADDRESS_SPACE = ip_network("100.64.0.0/10")  # carrier-grade NAT, RFC 6598
NAT64_PREFIX = ip_network("64:ff9b::/96")  # RFC 6052: the last 32 bits are an IPv4 address

Body = bytes | Mapping[str, str] | None  # a mapping is sent form-encoded


class OutboundError(MarketLinkError):
    """A request to a product host failed; ``duration_ms`` is the time spent before failing."""

    duration_ms: int = 0


class InvalidUrl(OutboundError):
    """The URL is not an absolute http(s) URL with a host and without credentials."""


class RefusedAddress(OutboundError):
    """The host is, or resolves only to, addresses that are not public. Nothing was sent."""


class TransportError(OutboundError):
    """No complete HTTP answer: DNS, connection, TLS or protocol failure, or a timeout."""


class AnswerTooLarge(OutboundError):
    """The answer's body is larger than the cap; ``status`` is the answer's status code."""

    def __init__(self, status: int, limit: int) -> None:
        super().__init__(f"the answer's body is larger than {limit} bytes")
        self.status = status
        self.limit = limit


@dataclass(frozen=True)
class Answer:
    """What a product host answered: any status (3xx included, never followed), the whole body."""

    status: int
    headers: Mapping[str, str]  # case-insensitive
    body: bytes
    duration_ms: int


def is_public_address(address: IPv4Address | IPv6Address) -> bool:
    """True for a globally routable unicast address. An IPv6 address carrying an IPv4 address
    (IPv4-mapped, NAT64 64:ff9b::/96, 6to4) is judged by the IPv4 address it carries."""
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        return is_public_address(embedded)
    refused = (address.is_private or address.is_loopback or address.is_link_local
               or address.is_unspecified or address.is_multicast or address.is_reserved
               or (address.version == 4 and address in SHARED_ADDRESS_SPACE)
               or (address.version == 6 and address.is_site_local))
    return address.is_global and not refused


def _embedded_ipv4(address: IPv4Address | IPv6Address) -> IPv4Address | None:
    if isinstance(address, IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    return IPv4Address(int(address) & 0xFFFF_FFFF) if address in NAT64_PREFIX else None


def checked_url(url: str, allow_private: bool) -> URL:
    """The URL to request. Raises :class:`InvalidUrl` for anything but an absolute http(s) URL
    with a host and no credentials, :class:`RefusedAddress` for an IP-literal host that is not
    public (unless ``allow_private``). Names are left to :class:`PublicAddressResolver`."""
    try:
        target = URL(url)
    except (TypeError, ValueError):
        raise InvalidUrl("not a URL") from None
    if target.scheme not in ("http", "https") or not target.raw_host:
        raise InvalidUrl("not an absolute http(s) URL")
    if target.user is not None or target.password is not None:
        raise InvalidUrl("credentials in the URL")
    if not allow_private and _looks_like_ip(target.raw_host):
        _check_literal(target.raw_host)
    return target


def _looks_like_ip(host: str) -> bool:
    # The very test aiohttp 3.14 applies (helpers.is_ip_address) to skip the resolver.
    return ":" in host or host.replace(".", "").isdigit()


def _check_literal(host: str) -> None:
    try:
        address = ip_address(host)
    except ValueError:  # 127.1, 2130706433, 0177.0.0.1: sockets read them as addresses
        raise InvalidUrl(f"{host} is not a canonical IP address") from None
    if not is_public_address(address):
        raise RefusedAddress(f"{host} is not a public address")


class PublicAddressResolver(AbstractResolver):
    """Resolves with ``inner`` and keeps only public addresses; raises :class:`RefusedAddress`
    when none is left. aiohttp calls it for every new connection to a name (DNS cache aside),
    so what is checked is exactly what is connected to."""

    def __init__(self, inner: AbstractResolver) -> None:
        self._inner = inner

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        public = [result for result in found if _is_public_text(result["host"])]
        if not public:  # the addresses stay out of the message: they may be internal
            raise RefusedAddress(f"{host} has no public address")
        return public

    async def close(self) -> None:
        await self._inner.close()


def _is_public_text(host: str) -> bool:
    try:
        return is_public_address(ip_address(host))
    except ValueError:  # not an address we can judge: refuse
        return False


class OutboundHttp:
    """Owns the single ``aiohttp.ClientSession`` for product hosts; create it inside the event
    loop, share it, :meth:`close` it once. ``resolver`` (default: aiohttp's) is the name
    resolver to wrap; the session is not exposed, so no call can skip the checks."""

    def __init__(self, settings: Settings, *, resolver: AbstractResolver | None = None) -> None:
        inner = resolver or aiohttp.DefaultResolver()
        self._allow_private = settings.allow_private_urls
        self._max_answer_bytes = settings.max_answer_bytes
        self._resolver = inner if self._allow_private else PublicAddressResolver(inner)
        connector = aiohttp.TCPConnector(resolver=self._resolver, limit=TOTAL_CONNECTIONS,
                                         limit_per_host=settings.http_connections_per_host)
        timeout = aiohttp.ClientTimeout(total=settings.http_timeout_s,
                                        sock_connect=settings.http_connect_timeout_s)
        self._session = aiohttp.ClientSession(
            connector=connector, timeout=timeout, cookie_jar=aiohttp.DummyCookieJar(),
            trust_env=False, headers={"User-Agent": USER_AGENT})

    async def request(self, method: str, url: str, *, headers: Mapping[str, str] | None = None,
                      data: Body = None) -> Answer:
        """Send one request and read the answer. Every failure of the exchange raises an
        :class:`OutboundError`; a refusal is raised before any I/O (DNS aside for names).

        aiohttp itself sends a GET (an idempotent method) a second time when the server closes
        the connection before answering; only a private session attribute turns that off, so we
        leave it: notifications are delivered at least once anyway, and the attempt is one
        attempt in the log (tests/faults/test_single_faults.py pins the behaviour)."""
        target = checked_url(url, self._allow_private)
        started = time.monotonic()
        try:
            status, answer_headers, body = await self._exchange(method, target, headers, data)
        except OutboundError as exc:
            exc.duration_ms = _elapsed_ms(started)
            raise
        except aiohttp.InvalidURL as exc:  # e.g. aiohttp's own check of IPv4 literals
            raise InvalidUrl(str(exc)) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            error = TransportError(_describe(exc))
            error.duration_ms = _elapsed_ms(started)
            raise error from exc
        return Answer(status, answer_headers, body, _elapsed_ms(started))

    async def _exchange(self, method: str, target: URL, headers: Mapping[str, str] | None,
                        data: Body) -> tuple[int, Mapping[str, str], bytes]:
        async with self._session.request(method, target, headers=headers, data=data,
                                         allow_redirects=False) as response:
            body = await _read_capped(response, self._max_answer_bytes)
            return response.status, response.headers, body

    async def close(self) -> None:
        """Close every connection and the resolver. The client is unusable afterwards."""
        await self._session.close()
        await self._resolver.close()


async def _read_capped(response: aiohttp.ClientResponse, limit: int) -> bytes:
    """The body if it has at most ``limit`` bytes (after decompression). Reads at most
    ``limit + 1`` bytes; beyond that closes the connection and raises :class:`AnswerTooLarge`."""
    body = bytearray()
    while len(body) <= limit:
        chunk = await response.content.read(limit + 1 - len(body))
        if not chunk:
            return bytes(body)
        body += chunk
    response.close()
    raise AnswerTooLarge(response.status, limit)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out while connecting" if isinstance(exc, aiohttp.ConnectionTimeoutError) \
            else "timed out"
    return str(exc) or type(exc).__name__


def _elapsed_ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)

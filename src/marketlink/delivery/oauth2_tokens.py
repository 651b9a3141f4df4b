"""Access tokens for ``OAUTH2`` outbound credentials: client credentials grant, cached (SPEC §3.1).

``TokenCache.token`` POSTs ``grant_type=client_credentials`` (and ``scope``) to the token URI with
HTTP Basic client authentication, and keeps the token until shortly before ``expires_in``. At most
one request per key is in flight in this process: concurrent callers await the same one. After a
401 from the product host the caller ``invalidate``s the token it used and asks once more.

Requests go through the one outbound client (``http_client.OutboundHttp``), so token URIs obey
the same address policy, timeouts, size cap and no-redirect rule as notifications.

Errors:
  ``TokenError``   the token endpoint answered, but not with a usable token (``reason``, ``status``)
  anything else    the client's ``OutboundError``s propagate unchanged so the caller records a
                   ``TRANSPORT_ERROR`` (or a refused address).

The cache key includes a digest of the client secret: two integrations naming the same token URI
and client id with different secrets must never share a token (else a wrong secret would obtain,
and send to its own URLs, the token fetched with the right one).
"""

import asyncio
import base64
import hashlib
import json
import math
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol
from urllib.parse import quote_plus


from marketlink.clock import Clock
from marketlink.errors import MarketLinkError

DEFAULT_LIFETIME_S = 300
MAX_LIFETIME_S = 24 * 3600  # a 401 invalidates earlier; this only bounds a silly expires_in
REFRESH_MARGIN_S = 30
MAX_KEYS = 10_000
MAX_BODY_BYTES = 64 * 1024

_Key = tuple[str, str, str | None, str]  # token URI, client id, scope, secret digest


class TokenFailure(StrEnum):
    UNEXPECTED_STATUS = "unexpected_status"
    BODY_TOO_LARGE = "body_too_large"
    NOT_JSON = "not_json"
    NO_ACCESS_TOKEN = "no_access_token"


class TokenError(MarketLinkError):
    """The token endpoint answered without a usable token. ``detail`` is the OAuth ``error``
    code of an error answer (RFC 6749 §5.2) when there is one; never the body itself."""

    def __init__(self, reason: TokenFailure, status: int, detail: str | None = None) -> None:
        super().__init__(f"token endpoint: {reason} (HTTP {status})" + (f": {detail}" if detail else ""))
        self.reason, self.status, self.detail = reason, status, detail


@dataclass(frozen=True, slots=True)
class _Cached:
    token: str
    usable_until_ms: int


class HttpClient(Protocol):
    """What the cache needs of ``OutboundHttp``."""

    async def request(self, method: str, url: str, *, headers: Mapping[str, str] | None = None,
                      data: Mapping[str, str] | None = None) -> Any: ...


class TokenCache:
    """Client-credentials tokens per (token URI, client id, scope, secret), at most ``max_keys``
    of them (the oldest stored goes first). ``http`` is the outbound client (its timeouts and
    address policy apply; redirects are never followed). For one event loop; not thread-safe."""

    def __init__(self, http: HttpClient, clock: Clock, *, max_keys: int = MAX_KEYS,
                 on_failure: Callable[[], object] | None = None) -> None:
        self._http = http
        self._clock = clock
        self._on_failure = on_failure  # called once per failed token request (metrics)
        self._max_keys = max_keys
        self._cached: OrderedDict[_Key, _Cached] = OrderedDict()
        self._in_flight: dict[_Key, asyncio.Task[str]] = {}

    async def token(
        self, token_uri: str, client_id: str, client_secret: str, scope: str | None = None
    ) -> str:
        """A valid access token: the cached one, or one fetched now (shared with concurrent callers).

        Raises ``TokenError`` or the transport's own exception; failures are not cached.
        """
        key = (token_uri, client_id, scope or None, _digest(client_secret))
        cached = self._cached.get(key)
        if cached is not None and self._clock.now_ms() < cached.usable_until_ms:
            return cached.token
        task = self._in_flight.get(key) or self._start_refresh(key, client_secret)
        return await asyncio.shield(task)  # one caller cancelled does not cancel the others

    def invalidate(self, token_uri: str, client_id: str, scope: str | None, token: str) -> None:
        """Forget ``token`` (the host answered 401 to it). A newer token stored meanwhile by a
        concurrent refresh is kept, so a late 401 never throws away a fresh token."""
        stale = [
            key for key, cached in self._cached.items()
            if key[:3] == (token_uri, client_id, scope or None) and cached.token == token
        ]
        for key in stale:
            del self._cached[key]

    def _start_refresh(self, key: _Key, client_secret: str) -> "asyncio.Task[str]":
        task = asyncio.create_task(self._refresh(key, client_secret))
        task.add_done_callback(lambda done: self._refresh_done(key, done))
        self._in_flight[key] = task
        return task

    def _refresh_done(self, key: _Key, task: "asyncio.Task[str]") -> None:
        """Forget the finished refresh (also one cancelled before it ran) and mark its exception
        retrieved, so a refresh whose waiters were all cancelled logs no 'never retrieved'."""
        if self._in_flight.get(key) is task:
            del self._in_flight[key]
        if not task.cancelled() and task.exception() is not None and self._on_failure:
            self._on_failure()

    async def _refresh(self, key: _Key, client_secret: str) -> str:
        token_uri, client_id, scope, _ = key
        started_ms = self._clock.now_ms()  # the lifetime counts from before the request
        status, body = await self._post(token_uri, client_id, client_secret, scope)
        token, lifetime_s = _parse_token_answer(status, body)
        self._store(key, _Cached(token, started_ms + _usable_ms(lifetime_s)))
        return token

    async def _post(
        self, token_uri: str, client_id: str, client_secret: str, scope: str | None
    ) -> tuple[int, bytes]:
        form = {"grant_type": "client_credentials"} | ({"scope": scope} if scope else {})
        headers = {
            "Authorization": basic_client_auth(client_id, client_secret),
            "Accept": "application/json",
        }
        answer = await self._http.request("POST", token_uri, headers=headers, data=form)
        if len(answer.body) > MAX_BODY_BYTES:
            raise TokenError(TokenFailure.BODY_TOO_LARGE, answer.status)
        return answer.status, answer.body

    def _store(self, key: _Key, cached: _Cached) -> None:
        self._cached.pop(key, None)
        while len(self._cached) >= self._max_keys:
            self._cached.popitem(last=False)
        self._cached[key] = cached


def basic_client_auth(client_id: str, client_secret: str) -> str:
    """``Basic`` value per RFC 6749 §2.3.1: id and secret form-urlencoded, then base64."""
    pair = f"{quote_plus(client_id, safe='')}:{quote_plus(client_secret, safe='')}"
    return "Basic " + base64.b64encode(pair.encode("ascii")).decode("ascii")


def _parse_token_answer(status: int, body: bytes) -> tuple[str, float | None]:
    """``(access_token, expires_in)`` from a 200 JSON answer; ``TokenError`` otherwise."""
    document = _json_object(body)
    if status != 200:
        raise TokenError(TokenFailure.UNEXPECTED_STATUS, status, _oauth_error(document))
    if document is None:
        raise TokenError(TokenFailure.NOT_JSON, status)
    token = document.get("access_token")
    if not isinstance(token, str) or not token or not (token.isascii() and token.isprintable()):
        raise TokenError(TokenFailure.NO_ACCESS_TOKEN, status)
    return token, _seconds(document.get("expires_in"))


def _json_object(body: bytes) -> dict | None:
    try:
        document = json.loads(body)
    except ValueError:  # UnicodeDecodeError is a ValueError too
        return None
    return document if isinstance(document, dict) else {}


def _oauth_error(document: dict | None) -> str | None:
    error = (document or {}).get("error")
    return error[:100] if isinstance(error, str) else None


def _seconds(value: object) -> float | None:
    """``expires_in`` in seconds, at most ``MAX_LIFETIME_S``; numbers and numeric strings are
    accepted, anything else (missing, ``true``, ``"soon"``, NaN) counts as unknown (None)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return min(seconds, MAX_LIFETIME_S) if math.isfinite(seconds) else None


def _usable_ms(lifetime_s: float | None) -> int:
    """How long a token is used: its lifetime (default when unknown) minus a margin, at most half
    of a short lifetime, so a 20 s token is still reused for 10 s."""
    lifetime_ms = int(1000 * (DEFAULT_LIFETIME_S if lifetime_s is None else max(lifetime_s, 0.0)))
    return lifetime_ms - min(REFRESH_MARGIN_S * 1000, lifetime_ms // 2)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()

"""One notification attempt (SPEC §3 steps 1, 2, 4, 5): authenticate, GET the URL (or, in
DIRECT mode, POST the document with Standard Webhooks signatures), classify.

``notify`` never raises for anything the host or the network does; it returns an
:class:`AttemptResult` whose ``outcome`` says what the delivery engine does next:

  SUCCEEDED / FAILED   a valid result (final, never retried)
  PENDING              202: the host will POST the result later
  TRANSPORT_ERROR      connection error, timeout, 5xx, 408, 429 (retried on the schedule)
  INVALID_RESPONSE     an answer we cannot read, or another 4xx (final; an admin may retry)
  GONE                 410: the host says this integration is gone (final)
"""

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field

from marketlink.delivery.http_client import Answer, AnswerTooLarge, OutboundError, OutboundHttp
from marketlink.delivery.oauth1 import authorization_header
from marketlink.delivery.oauth2_tokens import TokenCache, TokenError
from marketlink.delivery.results import HostResult, InvalidResponse, parse_result
from marketlink.delivery.retry_policy import retry_after_seconds

EXCERPT_BYTES = 16 * 1024
ACCEPT = "application/json, application/xml;q=0.9"
RETRIED_STATUSES = frozenset({408, 429})


@dataclass(frozen=True)
class Target:
    """Where and how to notify: the expanded URL and the (decrypted) outbound credentials;
    for DIRECT delivery, a POST of the document with its signature headers."""

    url: str
    kind: str | None
    public: Mapping[str, str]
    secret: str | None
    method: str = "GET"
    body: bytes | None = None
    extra_headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AttemptResult:
    outcome: str
    result: HostResult | None = None
    http_status: int | None = None
    duration_ms: int = 0
    error: str | None = None
    excerpt: str | None = None
    retry_after_s: float | None = None


async def notify(http: OutboundHttp, tokens: TokenCache, target: Target) -> AttemptResult:
    """GET the target once (twice when an OAuth2 token is refused with 401)."""
    try:
        answer, authorization = await _get(http, tokens, target)
        if answer.status == 401 and target.kind == "OAUTH2":
            tokens.invalidate(target.public["tokenUri"], target.public["clientId"],
                              target.public.get("scope"), authorization.removeprefix("Bearer "))
            answer, _ = await _get(http, tokens, target)
    except TokenError as exc:
        return AttemptResult("TRANSPORT_ERROR", error=str(exc))  # "token endpoint: ..."
    except AnswerTooLarge as exc:
        return AttemptResult("INVALID_RESPONSE", http_status=exc.status,
                             duration_ms=exc.duration_ms, error=str(exc))
    except OutboundError as exc:
        return AttemptResult("TRANSPORT_ERROR", duration_ms=exc.duration_ms, error=str(exc))
    return classify(answer)


def classify(answer: Answer) -> AttemptResult:
    """What an answer means (pure)."""
    common = {"http_status": answer.status, "duration_ms": answer.duration_ms,
              "excerpt": excerpt(answer.body)}
    if answer.status == 200:
        try:
            result = parse_result(answer.body, answer.headers.get("content-type"))
        except InvalidResponse as exc:
            return AttemptResult("INVALID_RESPONSE", error=exc.reason, **common)
        return AttemptResult("SUCCEEDED" if result.success else "FAILED", result=result, **common)
    if answer.status == 202:
        return AttemptResult("PENDING", **common)
    if answer.status == 410:
        return AttemptResult("GONE", error="the host answered 410 Gone", **common)
    if answer.status >= 500 or answer.status in RETRIED_STATUSES:
        return AttemptResult("TRANSPORT_ERROR", error=f"HTTP {answer.status}",
                             retry_after_s=retry_after_seconds(answer.headers.get("retry-after")),
                             **common)
    return AttemptResult("INVALID_RESPONSE", error=f"unexpected HTTP {answer.status}", **common)


def excerpt(body: bytes) -> str | None:
    """At most 16 KiB of the answer, as text, for the event log."""
    return body[:EXCERPT_BYTES].decode("utf-8", errors="replace") if body else None


async def _get(http: OutboundHttp, tokens: TokenCache, target: Target) -> tuple[Answer, str]:
    """The answer and the Authorization value sent (to drop a refused OAuth2 token)."""
    authorization = await _authorization(tokens, target)
    headers = {"Accept": ACCEPT} | dict(target.extra_headers) | (
        {"Authorization": authorization} if authorization else {})
    return await http.request(target.method, target.url, headers=headers, data=target.body), authorization


async def _authorization(tokens: TokenCache, target: Target) -> str:
    if target.kind == "OAUTH2":
        token = await tokens.token(target.public["tokenUri"], target.public["clientId"],
                                   target.secret or "", target.public.get("scope"))
        return f"Bearer {token}"
    if target.kind == "BASIC":
        pair = f"{target.public['username']}:{target.secret or ''}".encode()
        return "Basic " + base64.b64encode(pair).decode()
    if target.kind == "OAUTH1":
        return authorization_header(target.method, target.url, target.public["consumerKey"],
                                    target.secret or "")
    return ""

"""Two-legged OAuth 1.0a (RFC 5849): HMAC-SHA1, consumer key and secret, no token.

Used both ways for ``OAUTH1`` integrations (SPEC §3): we sign the notification GET we send to
the product host, and we verify the signature the host puts on its event fetch. The base string
and the HMAC come from Authlib (``construct_base_string``, ``hmac_sha1_signature``,
``prepare_headers``); this module only chooses the parameters and checks the protocol rules.

The URL's query string is part of the base string, so sign exactly the URL that goes on the wire
and verify with the URL the client used (public scheme, host and port; behind a proxy that is not
necessarily what the ASGI scope says). Two details of the URL are *not* normalised by RFC 5849:
the path is taken as written (``/a%20b`` and ``/a b`` differ), and so must be sent verbatim.

Failures are reasons, not exceptions: ``verify`` returns ``(False, Oauth1Failure.X)``.
"""

import hmac
import secrets
import time
from enum import StrEnum
from urllib.parse import parse_qsl, urlsplit
from urllib.request import parse_http_list

from authlib.oauth1.rfc5849.parameters import prepare_headers
from authlib.oauth1.rfc5849.signature import (
    SIGNATURE_HMAC_SHA1,
    construct_base_string,
    hmac_sha1_signature,
)
from authlib.oauth1.rfc5849.util import escape, unescape

from marketlink.delivery.nonce_cache import NonceCache, NonceFailure

__all__ = ["NonceCache", "Oauth1Failure", "authorization_header", "parse_authorization_header", "verify"]

DEFAULT_WINDOW_S = 300
MAX_NONCE_CHARS = 255
_REQUIRED = (
    "oauth_consumer_key", "oauth_nonce", "oauth_signature", "oauth_signature_method", "oauth_timestamp",
)


class Oauth1Failure(StrEnum):
    """Why a signed request was refused (stable codes, safe to log and to show)."""

    MALFORMED_HEADER = "malformed_header"
    MISSING_PARAMETER = "missing_parameter"
    UNSUPPORTED_SIGNATURE_METHOD = "unsupported_signature_method"
    UNSUPPORTED_VERSION = "unsupported_version"
    UNKNOWN_CONSUMER_KEY = "unknown_consumer_key"
    INVALID_NONCE = "invalid_nonce"
    INVALID_TIMESTAMP = "invalid_timestamp"
    TIMESTAMP_OUT_OF_WINDOW = "timestamp_out_of_window"
    OAUTH_PARAMETERS_IN_QUERY = "oauth_parameters_in_query"
    INVALID_SIGNATURE = "invalid_signature"
    NONCE_REUSED = NonceFailure.NONCE_REUSED.value
    NONCE_CACHE_FULL = NonceFailure.NONCE_CACHE_FULL.value


class MalformedHeader(ValueError):
    """The Authorization value is not an ``OAuth`` header we can read."""


def authorization_header(
    method: str, url: str, consumer_key: str, consumer_secret: str,
    *, timestamp: int | None = None, nonce: str | None = None,
) -> str:
    """The ``Authorization`` value (``OAuth oauth_consumer_key="...", ...``) signing ``method url``.

    ``url`` is signed exactly as given, query included; ``timestamp`` (epoch seconds) and ``nonce``
    default to now and 128 random bits. Raises ``ValueError`` for a URL that is not absolute or
    whose query carries ``oauth_*`` parameters (they would be ambiguous with the header's).
    """
    if _has_oauth_query(url):
        raise ValueError("the URL's query must not carry oauth_* parameters")
    oauth = [
        ("oauth_consumer_key", consumer_key),
        ("oauth_nonce", secrets.token_hex(16) if nonce is None else nonce),
        ("oauth_signature_method", SIGNATURE_HMAC_SHA1),
        ("oauth_timestamp", str(int(time.time()) if timestamp is None else timestamp)),
        ("oauth_version", "1.0"),
    ]
    oauth.append(("oauth_signature", _signature(method, url, oauth, consumer_secret)))
    return prepare_headers(oauth)["Authorization"]


def verify(
    method: str, url: str, authorization_header: str, consumer_key: str, consumer_secret: str,
    now: float, *, window_s: int = DEFAULT_WINDOW_S, nonces: NonceCache | None = None,
) -> tuple[bool, Oauth1Failure | None]:
    """Check a request signed with ``authorization_header``: ``(True, None)`` or ``(False, why)``.

    Checks, in order: header syntax, required parameters, HMAC-SHA1, version ``1.0`` when given,
    the consumer key (constant time), the nonce's shape, ``oauth_timestamp`` within ``window_s``
    of ``now`` (epoch seconds), the signature over ``method`` and ``url`` (constant time), and
    last, when ``nonces`` is given, that the nonce is new. Only a correctly signed request reaches
    the nonce cache, so unsigned traffic cannot fill it.
    """
    if nonces is not None and nonces.window_s < window_s:
        raise ValueError("the nonce cache must remember nonces at least as long as the window")
    try:
        params = parse_authorization_header(authorization_header)
    except MalformedHeader:
        return False, Oauth1Failure.MALFORMED_HEADER
    failure = _protocol_failure(params, consumer_key, now, window_s) or _signature_failure(
        method, url, params, consumer_secret
    )
    if failure is None and nonces is not None:
        failure = _nonce_failure(nonces, params, now)
    return failure is None, failure


def parse_authorization_header(value: str) -> dict[str, str]:
    """The ``oauth_*`` parameters of an ``OAuth`` Authorization value, percent-decoded.

    ``realm`` is dropped; other names, duplicates and items without ``=`` raise ``MalformedHeader``.
    """
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() != "oauth":
        raise MalformedHeader("not an OAuth header")
    params: dict[str, str] = {}
    for item in parse_http_list(rest):
        name, value_part = _split_item(item)
        if name in params or not (name.startswith("oauth_") or name == "realm"):
            raise MalformedHeader(f"unexpected or repeated parameter {name!r}")
        params[name] = value_part
    params.pop("realm", None)
    return params


def _split_item(item: str) -> tuple[str, str]:
    name, sep, raw = item.strip().partition("=")
    if not sep:
        raise MalformedHeader("parameter without a value")
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        raw = raw[1:-1]
    return unescape(name.strip()), unescape(raw)


def _protocol_failure(
    params: dict[str, str], consumer_key: str, now: float, window_s: int
) -> Oauth1Failure | None:
    if any(name not in params for name in _REQUIRED):
        return Oauth1Failure.MISSING_PARAMETER
    if params["oauth_signature_method"] != SIGNATURE_HMAC_SHA1:
        return Oauth1Failure.UNSUPPORTED_SIGNATURE_METHOD
    if params.get("oauth_version", "1.0") != "1.0":
        return Oauth1Failure.UNSUPPORTED_VERSION
    if not _same(params["oauth_consumer_key"], consumer_key):
        return Oauth1Failure.UNKNOWN_CONSUMER_KEY
    if not 0 < len(params["oauth_nonce"]) <= MAX_NONCE_CHARS:
        return Oauth1Failure.INVALID_NONCE
    return _timestamp_failure(params["oauth_timestamp"], now, window_s)


def _timestamp_failure(raw: str, now: float, window_s: int) -> Oauth1Failure | None:
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 12):
        return Oauth1Failure.INVALID_TIMESTAMP
    if abs(now - int(raw)) > window_s:
        return Oauth1Failure.TIMESTAMP_OUT_OF_WINDOW
    return None


def _signature_failure(
    method: str, url: str, params: dict[str, str], consumer_secret: str
) -> Oauth1Failure | None:
    if _has_oauth_query(url):
        return Oauth1Failure.OAUTH_PARAMETERS_IN_QUERY
    expected = _signature(method, url, list(params.items()), consumer_secret)
    if not _same(expected, params["oauth_signature"]):
        return Oauth1Failure.INVALID_SIGNATURE
    return None


def _nonce_failure(nonces: NonceCache, params: dict[str, str], now: float) -> Oauth1Failure | None:
    key, timestamp = params["oauth_consumer_key"], int(params["oauth_timestamp"])
    failure = nonces.check(key, timestamp, params["oauth_nonce"], now)
    return None if failure is None else Oauth1Failure(failure.value)


def _signature(method: str, url: str, oauth: list[tuple[str, str]], consumer_secret: str) -> str:
    """HMAC-SHA1 over the RFC 5849 §3.4.1 base string of the URL's query plus ``oauth``.

    Authlib's ``construct_base_string`` percent-decodes ``oauth_*`` values (it expects them as they
    appear in a header), so they are handed over encoded to keep the base string exact.
    """
    encoded = [(name, escape(value)) for name, value in oauth]
    base_string = construct_base_string(method, url, _query_params(url) + encoded)
    return hmac_sha1_signature(base_string, consumer_secret, None)


def _query_params(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


def _has_oauth_query(url: str) -> bool:
    return any(name.startswith("oauth_") for name, _ in _query_params(url))


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())

"""``POST /oauth2/token``: client-credentials tokens for inbound clients (RFC 6749 §4.4).

Client authentication by HTTP Basic (id and secret form-urlencoded, RFC 6749 §2.3.1) or by
``client_id`` / ``client_secret`` form fields, not both. ``scope`` may be left out or be
``ROLE_APPLICATION``. Errors are RFC 6749 §5.2 bodies. The authorization-code and refresh-token
grants of the OpenID provider are handed, with the form already read, to ``other_grants``
(``sso/oidc/endpoints.py``).

Failed client authentications (401, every grant) are limited per client id and per client
address with the login throttle's rule (``domain/login_throttle.py``), counted when they have
failed, with no more checks under way at once than the failures left allow; past the limit the
answer is 429 with ``Retry-After`` until the window has passed, whatever the credentials.
"""

import base64
import binascii
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl, unquote_plus

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from marketlink.domain import inbound_tokens
from marketlink.domain.login_throttle import LoginThrottle, ThrottlePolicy
from marketlink.domain.services import Services
from marketlink.storage.database import Database

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
MAX_FORM_BYTES = 8192
MAX_CLIENT_ID_KEY = 100  # the throttle keys on at most this much of a client id


OtherGrants = Callable[[Request, dict[str, str]], Awaitable[Response]]


def token_endpoint(db: Database, services: Services,  # type: ignore[no-untyped-def]
                   other_grants: dict[str, OtherGrants] | None = None):
    throttle = LoginThrottle(ThrottlePolicy.for_token_endpoint(services.settings))
    retry_after = str(int(services.settings.login_window_s))

    async def endpoint(request: Request) -> Response:
        form, problem = await _form(request)
        if problem:
            return _error(400, "invalid_request", problem)
        client = (_client_id(request, form) or "")[:MAX_CLIENT_ID_KEY]
        address = request.client.host if request.client else ""
        # Only failed client authentications count, once they have failed, so a host's burst
        # of concurrent token requests is never mistaken for guessing; no more checks of one
        # client (or address) run at once than its failures left allow, so a burst of guesses
        # cannot get past the limit either: the rest wait their turn (enter/leave).
        if not await throttle.enter(client, address, services.clock.now_ms):
            response = _error(429, "invalid_request", "Too many failed client authentications; "
                              f"try again in {retry_after} seconds.")
            response.headers["Retry-After"] = retry_after
            return response
        try:
            response = await grant(request, form)
            if response.status_code == 401:
                throttle.failed(client, address, services.clock.now_ms())
        finally:
            await throttle.leave(client, address)
        return response

    async def grant(request: Request, form: dict[str, str]) -> Response:
        if handler := (other_grants or {}).get(form.get("grant_type", "")):
            return await handler(request, form)
        credentials, basic = _client_credentials(request, form)
        if credentials is None:
            return _error(401 if basic else 400, "invalid_client" if basic else "invalid_request",
                          "Authenticate the client with HTTP Basic or client_id and client_secret.",
                          basic=basic)
        if form.get("grant_type") != "client_credentials":
            return _error(400, "unsupported_grant_type", "Use grant_type=client_credentials.")
        if form.get("scope", inbound_tokens.SCOPE) != inbound_tokens.SCOPE:
            return _error(400, "invalid_scope", f"The only scope is {inbound_tokens.SCOPE}.")
        async with db.read() as conn:
            caller = await inbound_tokens.client_for_secret(conn, services, *credentials)
        if caller is None:
            return _error(401, "invalid_client", "Unknown client or wrong secret.", basic=basic)
        token, lifetime = inbound_tokens.issue_token(services, caller)
        return JSONResponse({"access_token": token, "token_type": "Bearer", "expires_in": lifetime,
                             "scope": inbound_tokens.SCOPE}, headers=NO_STORE)

    return endpoint


async def _form(request: Request) -> tuple[dict[str, str], str | None]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return {}, "The body must be application/x-www-form-urlencoded."
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return {}, "The body is too large."
    try:
        pairs = parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=bool(body))
    except (UnicodeDecodeError, ValueError):
        return {}, "The body is not form-urlencoded text."
    names = [name for name, _ in pairs]
    if len(names) != len(set(names)):
        return {}, "A parameter is repeated."
    return dict(pairs), None


def _client_id(request: Request, form: dict[str, str]) -> str | None:
    """The client a request authenticates as, as far as can be read (for the throttle)."""
    header = request.headers.get("authorization", "")
    if header[:6].lower() == "basic ":
        credentials = _basic(header[6:].strip())
        return credentials[0] if credentials else None
    return form.get("client_id")


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[tuple[str, str] | None, bool]:
    """((client id, secret) or None, whether HTTP Basic was used)."""
    header = request.headers.get("authorization", "")
    if header[:6].lower() == "basic ":
        if "client_id" in form or "client_secret" in form:
            return None, True
        return _basic(header[6:].strip()), True
    if form.get("client_id") and form.get("client_secret"):
        return (form["client_id"], form["client_secret"]), False
    return None, False


def _basic(encoded: str) -> tuple[str, str] | None:
    try:
        decoded = base64.b64decode(encoded, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    return (unquote_plus(client_id), unquote_plus(secret)) if sep and client_id else None


def _error(status: int, code: str, description: str, *, basic: bool = False) -> JSONResponse:
    headers = dict(NO_STORE)
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="marketlink"' if basic else 'Bearer realm="marketlink"'
    return JSONResponse({"error": code, "error_description": description}, status_code=status,
                        headers=headers)

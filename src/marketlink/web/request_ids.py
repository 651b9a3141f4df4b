"""Every HTTP request gets an id, in every log line written while it is served
(``request_id``, through structlog's context variables) and in the answer's ``X-Request-Id``
header; a caller's own ``X-Request-Id`` is kept when it is a plain token (letters, digits,
``.``, ``_``, ``-``; at most 64). One ``http.request`` line per request says what was asked and
answered: method, path (never the query string, which can carry codes and SAML messages),
status and duration."""

import re
import time
import uuid

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger("marketlink.http")
_PLAIN = re.compile(r"[A-Za-z0-9._-]{1,64}")
MAX_LOGGED_PATH = 200


def request_id_of(headers: list[tuple[bytes, bytes]]) -> str:
    given = dict(headers).get(b"x-request-id", b"").decode("latin-1")
    return given if _PLAIN.fullmatch(given) else uuid.uuid4().hex


class RequestIds:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id, started, status = request_id_of(scope["headers"]), time.monotonic(), 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []),
                                      (b"x-request-id", request_id.encode())]
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                log.info("http.request", method=scope["method"],
                         path=scope["path"][:MAX_LOGGED_PATH], status=status,
                         duration_ms=round((time.monotonic() - started) * 1000, 1))

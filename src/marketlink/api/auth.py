"""The HTTP edge of the API: bearer-token authentication and the request body limit.

Both run before GraphQL sees the request, so an anonymous caller learns nothing about the
schema and an oversized body is never read into memory.
"""

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from marketlink.domain import vendors
from marketlink.domain.services import Services
from marketlink.storage.database import Database


def _json_error(status: int, code: str, message: str, headers: list | None = None) -> dict:
    body = json.dumps({"errors": [{"message": message, "extensions": {"code": code}}]}).encode()
    return {
        "status": status,
        "body": body,
        "headers": [(b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode())] + (headers or []),
    }


async def _send(send: Send, response: dict) -> None:
    await send({"type": "http.response.start", "status": response["status"],
                "headers": response["headers"]})
    await send({"type": "http.response.body", "body": response["body"]})


class BearerAuth:
    """Resolves ``Authorization: Bearer <token>`` to an actor in ``scope["state"]["actor"]``;
    answers 401 with a GraphQL-shaped error when it is missing, unknown or revoked."""

    def __init__(self, app: ASGIApp, db: Database, services: Services) -> None:
        self.app, self.db, self.services = app, db, services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = _bearer_token(scope)
        actor = None
        if token:
            async with self.db.read() as conn:
                actor = await vendors.authenticate(conn, self.services, token)
        if actor is None:
            message = "Authentication required: send Authorization: Bearer <API token>." \
                if not token else "The API token is unknown or revoked."
            await _send(send, _json_error(401, "UNAUTHENTICATED", message,
                                          [(b"www-authenticate", b'Bearer realm="marketlink"')]))
            return
        scope.setdefault("state", {})["actor"] = actor
        await self.app(scope, receive, send)


def _bearer_token(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    return None


class BodySizeLimit:
    """Refuses bodies over ``max_bytes`` with 413, by Content-Length or while streaming."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await _send(send, self._too_large())
            return
        try:
            await self.app(scope, self._counting(receive), send)
        except _BodyTooLarge:
            await _send(send, self._too_large())

    def _too_large(self) -> dict:
        return _json_error(413, "REQUEST_TOO_LARGE",
                           f"The request body is larger than {self.max_bytes} bytes.")

    def _counting(self, receive: Receive) -> Receive:
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise _BodyTooLarge()
            return message

        return counted


class _BodyTooLarge(Exception):
    pass

"""The product host's event endpoints (SPEC §3 steps 3-4):

- ``GET /api/integration/v1/events/{token}``: the event, XML unless ``Accept`` asks for JSON;
- ``POST /api/integration/v1/events/{token}/result``: the result of an event the host answered
  with 202. The same result twice is accepted (204 both times); a different one is 409. One
  posted while the notification is still under way (the 202 not yet written down) waits up to
  ``result_wait_s`` for it, then is 409 ``in_flight`` with ``Retry-After: 1``.

The caller is an inbound client of the event's integration (``Authorization: Bearer`` with a
token from ``/oauth2/token``) or, for OAUTH1 integrations, a request signed with the
integration's consumer key and secret (timestamp window, nonce replay check). Missing, expired
or wrong credentials answer 401; another integration's event, like an unknown token, 404.
"""

import asyncio
import json
import time
from dataclasses import asdict

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from marketlink.delivery.oauth1 import NonceCache, verify
from marketlink.delivery.results import InvalidResponse, parse_result
from marketlink.domain import deliveries, inbound_tokens, integrations
from marketlink.domain.events import event_by_token
from marketlink.domain.models import Event
from marketlink.domain.services import Services
from marketlink.protocol.event_xml import event_to_xml
from marketlink.storage.database import Database

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="marketlink", OAuth realm="marketlink"'}
MAX_RESULT_BYTES = 65_536
RESULT_POLL_S = 0.05  # how often a result posted early looks for its event's 202 to be written


class EventEndpoints:
    def __init__(self, db: Database, services: Services, nonces: NonceCache) -> None:
        self.db, self.services, self.nonces = db, services, nonces

    async def get(self, request: Request) -> Response:
        async with self.db.read() as conn:
            event, refusal = await self._event_for(conn, request)
        if refusal:
            return refusal
        return _render(event.document, request.headers.get("accept", ""))

    async def post_result(self, request: Request) -> Response:
        """A host may post its result as soon as it answered 202, before the worker has
        written that answer down: while the event is DELIVERING, the post waits (up to
        ``result_wait_s``) for it, then answers 409 ``in_flight`` with Retry-After."""
        body = await request.body()
        async with self.db.write() as conn:
            event, refusal = await self._event_for(conn, request)  # once: it uses up an OAuth1 nonce
            if refusal:
                return refusal
            try:
                outcome = _outcome(parse_result(body[:MAX_RESULT_BYTES + 1], request.headers.get("content-type")))
            except InvalidResponse as exc:
                return _error(400, "invalid_result", f"The result cannot be read: {exc.reason}.")
            resolution = await deliveries.resolve_pending(conn, asdict(event), outcome, self.services.clock.now_ms())
        deadline = time.monotonic() + self.services.settings.result_wait_s
        while resolution.reason == "in_flight" and time.monotonic() < deadline:
            await asyncio.sleep(RESULT_POLL_S)
            async with self.db.write() as conn:
                event = await event_by_token(conn, request.path_params["token"])
                resolution = (await deliveries.resolve_pending(conn, asdict(event), outcome, self.services.clock.now_ms())
                              if event else deliveries.Resolution(False, "not_pending"))
        if resolution.accepted:
            return Response(status_code=204)
        answer = _error(409, resolution.reason, _CONFLICT[resolution.reason])
        if resolution.reason == "in_flight":
            answer.headers["Retry-After"] = "1"
        return answer

    async def _event_for(self, conn, request: Request) -> tuple[Event | None, Response | None]:  # type: ignore[no-untyped-def]
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        event = await event_by_token(conn, request.path_params["token"])
        if scheme.lower() == "bearer":
            caller = await inbound_tokens.caller_for_token(conn, self.services, credentials.strip())
            if caller is None:
                return None, _unauthorized("The access token is unknown, expired or revoked.")
            allowed = event is not None and caller.integration_id == event.integration_id
        elif scheme.lower() == "oauth":
            allowed = event is not None and await self._signed(conn, event, request)
            if event is not None and not allowed:
                return None, _unauthorized("The OAuth 1.0a signature does not verify.")
        else:
            return None, _unauthorized("Authenticate with Bearer or OAuth.")
        if not allowed:
            return None, _error(404, "not_found", "No such event.")
        return event, None

    async def _signed(self, conn, event: Event, request: Request) -> bool:  # type: ignore[no-untyped-def]
        """The signature covers the public URL the host used: our base URL, path and query."""
        credentials = await integrations.oauth1_credentials(conn, self.services, event.integration_version_id)
        if credentials is None:
            return False
        query = f"?{request.url.query}" if request.url.query else ""
        url = self.services.settings.base_url + request.url.path + query
        ok, _ = verify(request.method, url, request.headers["authorization"], *credentials,
                       self.services.clock.now_ms() / 1000, nonces=self.nonces)
        return ok


_CONFLICT = {
    "conflict": "The event was already resolved with a different result.",
    "not_pending": "The event is not awaiting a result.",
    "in_flight": "The event's notification is still under way; post the result again shortly.",
}


def _outcome(result) -> deliveries.AttemptOutcome:  # type: ignore[no-untyped-def]
    return deliveries.AttemptOutcome("SUCCEEDED" if result.success else "FAILED", success=result.success,
                              account_identifier=result.account_identifier,
                              user_identifier=result.user_identifier,
                              error_code=result.error_code, message=result.message)


def _render(document: dict, accept: str) -> Response:
    if "application/json" in accept.lower():
        return Response(json.dumps(document), media_type="application/json")
    return Response(event_to_xml(document), media_type="application/xml")


def _unauthorized(message: str) -> JSONResponse:
    return JSONResponse({"error": "unauthorized", "message": message}, status_code=401,
                        headers=CHALLENGE)


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status)

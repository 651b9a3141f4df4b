"""``GET /api/integration/v1/events/{token}``: the product host fetches an event (SPEC §3 step 3).

The caller is an inbound client of the event's integration (``Authorization: Bearer`` with a
token from ``/oauth2/token``) or, for OAUTH1 integrations, a request signed with the
integration's consumer key and secret (timestamp window, nonce replay check). Missing, expired
or wrong credentials answer 401; another integration's event, like an unknown token, 404. The
answer is XML unless ``Accept`` asks for JSON.
"""

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from marketlink.delivery.oauth1 import NonceCache, verify
from marketlink.domain import inbound_tokens, integrations
from marketlink.domain.events import event_by_token
from marketlink.domain.models import Event
from marketlink.domain.services import Services
from marketlink.protocol.event_xml import event_to_xml
from marketlink.storage.database import Database

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="marketlink", OAuth realm="marketlink"'}


def events_endpoint(db: Database, services: Services, nonces: NonceCache):  # type: ignore[no-untyped-def]
    async def endpoint(request: Request) -> Response:
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        async with db.read() as conn:
            event = await event_by_token(conn, request.path_params["token"])
            if scheme.lower() == "bearer":
                caller = await inbound_tokens.caller_for_token(conn, services, credentials.strip())
                if caller is None:
                    return _unauthorized("The access token is unknown, expired or revoked.")
                allowed = event is not None and caller.integration_id == event.integration_id
            elif scheme.lower() == "oauth" and event is not None:
                allowed = await _signed(conn, services, nonces, event, request)
                if not allowed:
                    return _unauthorized("The OAuth 1.0a signature does not verify.")
            elif scheme.lower() == "oauth":
                allowed = False
            else:
                return _unauthorized("Authenticate with Bearer or OAuth.")
        if not allowed:
            return JSONResponse({"error": "not_found", "message": "No such event."}, status_code=404)
        return _render(event.document, request.headers.get("accept", ""))

    return endpoint


async def _signed(conn, services: Services, nonces: NonceCache, event: Event, request: Request) -> bool:  # type: ignore[no-untyped-def]
    """The signature covers the public URL the host used: our base URL, path and query."""
    credentials = await integrations.oauth1_credentials(conn, services, event.integration_version_id)
    if credentials is None:
        return False
    url = services.settings.base_url + request.url.path + (f"?{request.url.query}" if request.url.query else "")
    ok, _ = verify(request.method, url, request.headers["authorization"], *credentials,
                   services.clock.now_ms() / 1000, nonces=nonces)
    return ok


def _render(document: dict, accept: str) -> Response:
    if "application/json" in accept.lower():
        return Response(json.dumps(document), media_type="application/json")
    return Response(event_to_xml(document), media_type="application/xml")


def _unauthorized(message: str) -> JSONResponse:
    return JSONResponse({"error": "unauthorized", "message": message}, status_code=401,
                        headers=CHALLENGE)

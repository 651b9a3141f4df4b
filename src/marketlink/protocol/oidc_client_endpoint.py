"""``GET /api/integration/v1/oidc-clients/{id}``: the product host fetches the OpenID Connect
client an order event links to (``{rel: "oidcClient", href}``), with its inbound credentials
(``Authorization: Bearer`` from ``/oauth2/token``, as for events). The answer is
``{clientId, clientSecret, redirectUrls, issuer}``; it may be fetched again (a host whose first
fetch failed retries). Another integration's client, like an unknown one, is 404.
"""

from starlette.requests import Request
from starlette.responses import JSONResponse

from marketlink.domain import inbound_tokens, oidc_clients
from marketlink.domain.services import Services
from marketlink.storage.database import Database

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="marketlink"'}


def oidc_client_endpoint(db: Database, services: Services):  # type: ignore[no-untyped-def]
    async def endpoint(request: Request) -> JSONResponse:
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        async with db.read() as conn:
            caller = await inbound_tokens.caller_for_token(conn, services, credentials.strip()) \
                if scheme.lower() == "bearer" else None
            if caller is None:
                return JSONResponse({"error": "unauthorized", "message": "Authenticate with the "
                                     "access token of an inbound client of this integration."},
                                    status_code=401, headers=CHALLENGE)
            client = await oidc_clients.client_for_host(conn, services, caller, request.path_params["id"])
        if client is None:
            return JSONResponse({"error": "not_found", "message": "No such client."}, status_code=404)
        return JSONResponse({"clientId": client.client_id, "clientSecret": client.client_secret,
                             "redirectUrls": list(client.redirect_urls),
                             "issuer": services.settings.base_url}, headers=NO_STORE)

    return endpoint

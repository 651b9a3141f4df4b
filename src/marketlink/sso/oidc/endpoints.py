"""The provider's routes (SPEC §5): discovery, JWKS, authorize, the authorization-code and
refresh-token grants of ``POST /oauth2/token`` (the client-credentials grant of inbound clients
stays in ``protocol/token_endpoint.py``, which hands these two grants over), and userinfo.

Each handler reads the request and what it needs from the database, lets Authlib decide
(``provider.ProviderServer``), then writes what Authlib asked for (``preload.apply``).
"""

from typing import Any

from authlib.oauth2.rfc6749 import InvalidGrantError, OAuth2Error
from authlib.oidc.core.errors import LoginRequiredError
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from marketlink.domain.services import Services
from marketlink.sso.oidc import preload
from marketlink.sso.oidc.claims import CLAIMS_SUPPORTED
from marketlink.sso.oidc.clients import ALL_SCOPES, AUTH_METHODS
from marketlink.sso.oidc.keys import ALGORITHM, SigningKeys
from marketlink.sso.oidc.preload import Loaded, Writes
from marketlink.sso.oidc.provider import ProviderServer, ReadRequest
from marketlink.sso.oidc.reauthentication import max_age_of, needs_fresh_login, reauthentication_url
from marketlink.storage.database import Database
from marketlink.web.auth import current_session, login_url
from marketlink.web.pages import page

GRANT_TYPES = ("authorization_code", "refresh_token")  # the grants this module answers
UNQUOTABLE = ("The request is not valid: a parameter that is not registered for this client "
              "(the redirect URI or the response type) contains characters not allowed here.")
DISCOVERY_CACHE = {"Cache-Control": "public, max-age=3600"}
# Short enough that relying parties see a rotated key soon; most refetch on an unknown kid.
JWKS_CACHE = {"Cache-Control": "public, max-age=300"}
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class OidcProvider:
    """Made once per process: the routes and what they share (the signing keys' cache)."""

    def __init__(self, db: Database, services: Services) -> None:
        self.db, self.services = db, services
        self.keys = SigningKeys(db, services)

    def routes(self) -> list[Route]:
        return [
            Route("/.well-known/openid-configuration", self.discovery, methods=["GET"]),
            Route("/oauth2/certs", self.certs, methods=["GET"]),
            Route("/oauth2/authorize", self.authorize, methods=["GET"]),
            Route("/oauth2/userinfo", self.userinfo, methods=["GET", "POST"]),
        ]

    async def discovery(self, _: Request) -> JSONResponse:
        return JSONResponse(discovery_document(self.services.settings.base_url), headers=DISCOVERY_CACHE)

    async def certs(self, _: Request) -> JSONResponse:
        await self.keys.signing_key()  # the first key is made before anyone needs to verify it
        return JSONResponse(await self.keys.published(), headers=JWKS_CACHE)

    async def authorize(self, request: Request) -> Response:
        """Valid request and signed-in user: a code, or ``access_denied`` when the user may not
        use the app; an unknown client or redirect URI: an error page, never a redirect."""
        query = list(request.query_params.multi_items())
        read = ReadRequest("GET", self._public_url(request), request.headers, query=query)
        signed = await current_session(request)
        async with self.db.read() as conn:
            loaded = await preload.for_authorization(conn, self.services, _first_values(query), signed)
        if loaded.client is not None and loaded.client.problems:
            return _error_page("unauthorized_client", "This app's sign-in configuration cannot be "
                               "used yet: " + " ".join(loaded.client.problems))
        server, writes = self._server(loaded)
        try:
            grant = server.get_consent_grant(read, end_user=signed.user if signed else None)
        except OAuth2Error as error:
            return server.handle_error_response(None, error) if error.redirect_uri \
                else _error_page(error.error, error.get_error_description())
        except ValueError:  # Authlib refuses to quote a '"', '\\' or non-ASCII value in an error
            return _error_page("invalid_request", UNQUOTABLE)
        if signed is None:
            return RedirectResponse(login_url(_path_and_query(request)), status_code=303)
        params = _first_values(query)
        try:
            fresh = needs_fresh_login(params.get("prompt"), max_age_of(params.get("max_age")),
                                      signed.session.created_on, loaded.now_ms)
            if fresh and "none" in params.get("prompt", "").split():
                raise LoginRequiredError()
        except OAuth2Error as error:
            error.redirect_uri, error.state = grant.redirect_uri, params.get("state")
            return server.handle_error_response(None, error)
        if fresh:
            return RedirectResponse(reauthentication_url(request.url.path, query), status_code=303)
        response = server.create_authorization_response(grant.request, grant_user=loaded.subject,
                                                        grant=grant)
        await self._apply(writes, loaded)
        return response

    async def token(self, request: Request, form: dict[str, str]) -> Response:
        """``grant_type=authorization_code`` or ``refresh_token`` (``form`` already read)."""
        read = ReadRequest("POST", self._public_url(request), request.headers, form=list(form.items()))
        if not preload.basic_credentials_readable(request.headers):
            return JSONResponse({"error": "invalid_client", "error_description": "The HTTP Basic "
                                 "credentials are not readable."}, status_code=401,
                                headers=NO_STORE | {"WWW-Authenticate": 'Basic realm="marketlink"'})
        async with self.db.read() as conn:
            loaded = await preload.for_token(conn, self.services, request.headers, form)
        if loaded.code is not None and loaded.subject is not None and "openid" in loaded.code.scope.split():
            loaded.signing_key = await self.keys.signing_key(loaded.signing_key_row)
        server, writes = self._server(loaded)
        try:
            response = server.create_token_response(read)
        except OAuth2Error as error:  # raised before Authlib's own handling (insecure transport)
            return server.handle_error_response(None, error)
        if not await self._apply(writes, loaded):
            return server.handle_error_response(None, InvalidGrantError(
                "The code or refresh token was used by another request."))
        return response

    async def userinfo(self, request: Request) -> Response:
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        access_token = credentials.strip() if scheme.lower() == "bearer" else None
        async with self.db.read() as conn:
            loaded = await preload.for_userinfo(conn, self.services, access_token)
        server, _ = self._server(loaded)
        read = ReadRequest(request.method, self._public_url(request), request.headers)
        try:
            return server.create_endpoint_response("userinfo", read)
        except OAuth2Error as error:
            return server.handle_error_response(None, error)

    def _server(self, loaded: Loaded) -> tuple[ProviderServer, Writes]:
        writes = Writes()
        return ProviderServer(self.services, loaded, writes), writes

    async def _apply(self, writes: Writes, loaded: Loaded) -> bool:
        if not writes:
            return True
        async with self.db.write() as conn:
            return await preload.apply(conn, writes, loaded.now_ms)

    def _public_url(self, request: Request) -> str:
        """The URL as the client addressed it (Authlib refuses plain http but on loopback)."""
        return self.services.settings.base_url + _path_and_query(request)


def discovery_document(issuer: str) -> dict[str, Any]:
    """OpenID Provider Metadata (OpenID Connect Discovery 1.0 §3)."""
    return {
        "issuer": issuer,
        "authorization_endpoint": issuer + "/oauth2/authorize",
        "token_endpoint": issuer + "/oauth2/token",
        "userinfo_endpoint": issuer + "/oauth2/userinfo",
        "jwks_uri": issuer + "/oauth2/certs",
        "scopes_supported": list(ALL_SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [ALGORITHM],
        "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": list(CLAIMS_SUPPORTED),
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
    }


def _first_values(pairs: list[tuple[str, str]]) -> dict[str, str]:
    values: dict[str, str] = {}
    for name, value in pairs:
        values.setdefault(name, value)
    return values


def _path_and_query(request: Request) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def _error_page(error: str, description: str) -> Response:
    return page("sign_in_error.html", status_code=400, error=error, description=description)

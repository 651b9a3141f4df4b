"""The Starlette adapter of Authlib's authorization server (docs/adr/0012).

Authlib ships Flask and Django integrations; a framework of its own implements
``create_oauth2_request``, ``create_json_request``, ``handle_response`` and ``send_signal``.
Here the request reaches Authlib already read (:class:`ReadRequest`: the body is awaited before
the synchronous code runs), and one :class:`ProviderServer` is made per request around the
:class:`~preload.Loaded` data its callbacks answer from and the :class:`~preload.Writes` they
collect. Grants and extensions are Authlib's, subclassed only to reach those two objects:
``AuthorizationCodeGrant`` with ``CodeChallenge`` (PKCE, S256 only) and ``OpenIDCode`` (id_token,
nonce), ``RefreshTokenGrant`` (with rotation) and the ``UserInfoEndpoint``.
"""

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    InvalidRequestError,
    JsonPayload,
    JsonRequest,
    OAuth2Payload,
    OAuth2Request,
    ResourceProtector,
)
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import OpenIDCode, UserInfo, UserInfoEndpoint
from starlette.responses import JSONResponse, Response

from marketlink.domain.services import Services
from marketlink.sso.oidc.claims import user_claims
from marketlink.sso.oidc.clients import AUTH_METHODS
from marketlink.sso.oidc.codes import MAX_NONCE_LENGTH, IssuedCode, code_row
from marketlink.sso.oidc.keys import ALGORITHM
from marketlink.sso.oidc.preload import Loaded, Writes
from marketlink.sso.oidc.tokens import IssuedToken, bearer_tokens, token_row

Pairs = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class ReadRequest:
    """An HTTP request as Authlib needs it, read in full: ``uri`` is the public URL (our base
    URL and the path), ``query`` and ``form`` the parameters in order (repeats kept)."""

    method: str
    uri: str
    headers: Mapping[str, str]
    query: Pairs = ()
    form: Pairs = ()
    body: bytes = b""


class _Payload(OAuth2Payload):
    def __init__(self, pairs: Pairs) -> None:
        self._data: dict[str, str] = {}
        self._datalist: defaultdict[str, list] = defaultdict(list)
        for name, value in pairs:
            self._data.setdefault(name, value)
            self._datalist[name].append(value)

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list]:
        return self._datalist


class StarletteOAuth2Request(OAuth2Request):
    def __init__(self, read: ReadRequest) -> None:
        super().__init__(read.method, read.uri, headers=read.headers)
        self.payload = _Payload(list(read.query) + list(read.form))
        self._args, self._form = dict(read.query), dict(read.form)

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


class _JsonPayload(JsonPayload):
    def __init__(self, body: bytes) -> None:
        self._body = body

    @property
    def data(self) -> Any:
        return json.loads(self._body or b"{}")


class ProviderServer(AuthorizationServer):
    """Authlib's authorization server for one request: callbacks read ``loaded`` and add to
    ``writes``; nothing here touches the database."""

    def __init__(self, services: Services, loaded: Loaded, writes: Writes) -> None:
        super().__init__(scopes_supported=None)  # clients filter scopes (clients.RelyingParty)
        self.services, self.loaded, self.writes = services, loaded, writes
        self.register_token_generator("default", bearer_tokens(services))
        self.register_grant(CodeGrant, [S256CodeChallenge(required=True), ProviderOpenIDCode(self)])
        self.register_grant(RefreshGrant)
        protector = RequestProtector(loaded)
        self.register_endpoint(ProviderUserInfo(self, resource_protector=protector))

    def query_client(self, client_id: str) -> Any:
        client = self.loaded.client
        if client is None or client.client_id != client_id or client.problems:
            return None
        return client

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        origin = request.authorization_code or request.refresh_token
        code_id = origin.id if isinstance(origin, IssuedCode) else origin.code_id
        self.writes.tokens.append(token_row(
            self.services, token, oidc_client_id=request.client.row_id, user_id=request.user.id,
            subscription_id=origin.subscription_id, code_id=code_id, auth_time=origin.auth_time,
            sid=origin.sid))

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        return request if isinstance(request, OAuth2Request) else StarletteOAuth2Request(request)

    def create_json_request(self, request: ReadRequest) -> JsonRequest:
        json_request = JsonRequest(request.method, request.uri, request.headers)
        json_request.payload = _JsonPayload(request.body)
        return json_request

    def handle_response(self, status: int, body: Any, headers: list[tuple[str, str]]) -> Response:
        if isinstance(body, dict):
            return JSONResponse(body, status_code=status, headers=dict(headers))
        return Response(body, status_code=status, headers=dict(headers))

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """Authlib announces events (``after_authenticate_client``, ...); nothing listens."""


class CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = list(AUTH_METHODS)
    server: ProviderServer

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        loaded = self.server.loaded
        self.server.writes.codes.append(code_row(
            self.server.services, code, oidc_client_id=request.client.row_id,
            user_id=request.user.id, subscription_id=request.user.subscription_id,
            redirect_uri=request.payload.redirect_uri, scope=request.scope,
            data=request.payload.data, auth_time=loaded.auth_time, sid=loaded.sid))

    def query_authorization_code(self, code: str, client: Any) -> IssuedCode | None:
        """The code if it was issued to ``client``, is unused and has not expired. A used
        code is a replay: every token issued from it is revoked (RFC 6749 §4.1.2)."""
        found, loaded = self.server.loaded.code, self.server.loaded
        if found is None or found.oidc_client_id != client.row_id:
            return None
        if found.used_on is not None:
            self.server.writes.revoke_chains.add(found.id)
            return None
        return found if found.expires_on > loaded.now_ms else None

    def delete_authorization_code(self, authorization_code: IssuedCode) -> None:
        self.server.writes.use_code = authorization_code.id  # single use, checked in apply()

    def authenticate_user(self, authorization_code: IssuedCode) -> Any:
        return self.server.loaded.subject  # None when the user may no longer sign in


class RefreshGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = list(AUTH_METHODS)
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation: each refresh token is used once
    server: ProviderServer

    def authenticate_refresh_token(self, refresh_token: str) -> IssuedToken | None:
        """The live refresh token, while its user may still sign in. A revoked one presented
        again is a replay (or a stolen copy): its whole chain is revoked."""
        found = self.server.loaded.token
        if found is None:
            return None
        if found.revoked_on is not None:
            self.server.writes.revoke_chains.add(found.code_id)
            return None
        return found if found.refresh_is_live() and found.subject is not None else None

    def authenticate_user(self, refresh_token: IssuedToken) -> Any:
        return refresh_token.subject

    def revoke_old_credential(self, refresh_token: IssuedToken) -> None:
        self.server.writes.rotate_token = (refresh_token.id, refresh_token.code_id)


class S256CodeChallenge(CodeChallenge):
    """PKCE with S256 only: ``plain`` would put the verifier in the browser's URL."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if data.get("code_challenge") and not data.get("code_challenge_method"):
            raise InvalidRequestError("'code_challenge_method' must be S256.")
        super().validate_code_challenge(grant, redirect_uri)


class ProviderOpenIDCode(OpenIDCode):
    """id_token RS256 with ``iss``, ``sub``, ``aud``, ``exp``, ``iat``, ``auth_time``, ``nonce``,
    ``sid`` and the claims of the granted scopes, signed with the current key (its ``kid`` in the header)."""

    def __init__(self, server: ProviderServer) -> None:
        super().__init__(require_nonce=False)
        self.server = server

    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        if len(nonce) > MAX_NONCE_LENGTH:
            raise InvalidRequestError(f"'nonce' must be at most {MAX_NONCE_LENGTH} characters.")
        return self.server.loaded.nonce_used

    def resolve_client_private_key(self, client: Any) -> Any:
        return self.server.loaded.signing_key

    def get_client_algorithm(self, client: Any) -> str:
        return ALGORITHM

    def get_encode_header(self, client: Any) -> dict[str, str]:
        return {"alg": ALGORITHM, "kid": self.server.loaded.signing_key.kid}

    def get_client_claims(self, client: Any) -> dict[str, Any]:
        """Besides Authlib's claims; ``sid`` names the login session, as back-channel logout
        tokens do (OpenID Connect Back-Channel Logout 1.0 §2.1)."""
        loaded = self.server.loaded
        now_s = loaded.now_ms // 1000
        lifetime = self.server.services.settings.oidc_id_token_lifetime_s
        claims = {"iss": self.server.services.settings.base_url, "aud": [client.client_id],
                  "iat": now_s, "exp": now_s + lifetime}
        if loaded.code is not None and loaded.code.sid:
            claims["sid"] = loaded.code.sid
        return claims

    def generate_user_info(self, user: Any, scope: str) -> UserInfo:
        return user_claims(user, scope)


class RequestProtector(ResourceProtector):
    """Bearer access tokens, answered from what was preloaded for this request."""

    def __init__(self, loaded: Loaded) -> None:
        super().__init__()
        self.request: OAuth2Request | None = None
        self.register_token_validator(PreloadedBearer(loaded))

    def acquire_token(self, scopes: str) -> IssuedToken:
        return self.validate_request([scopes], self.request)


class PreloadedBearer(BearerTokenValidator):
    def __init__(self, loaded: Loaded) -> None:
        super().__init__(realm="marketlink")
        self.loaded = loaded

    def authenticate_token(self, token_string: str) -> IssuedToken | None:
        token = self.loaded.token
        return token if token is not None and token.subject is not None else None


class ProviderUserInfo(UserInfoEndpoint):
    def create_endpoint_request(self, request: Any) -> OAuth2Request:
        oauth2_request = self.server.create_oauth2_request(request)
        self.resource_protector.request = oauth2_request
        return oauth2_request

    def generate_user_info(self, user: Any, scope: str) -> UserInfo:
        return user_claims(user, scope)

    def get_issuer(self) -> str:
        return self.server.services.settings.base_url

"""The IdP's routes (docs/adr/0013), all under the IdP's entity ID ``/saml/idp/{id}``:

- ``GET  .../metadata``: JSON, or SAML metadata XML on ``Accept: application/samlmetadata+xml``;
- ``GET  .../login``: IdP-initiated login (the app tile): a signed Response, unsolicited;
- ``GET  .../sso``: SP-initiated, HTTP-Redirect binding (``SAMLRequest`` deflated and base64);
- ``POST .../sso``: SP-initiated, HTTP-POST binding (``SAMLRequest`` base64).

Login comes first: an anonymous visitor goes to ``/login`` and comes back to ``GET .../sso``
with the ``SAMLRequest`` and ``RelayState`` (a POSTed request is re-encoded for the Redirect
binding: the SP's cross-site POST does not carry our SameSite=Lax session cookie, the GET it
is turned into does). Signatures on AuthnRequests are not checked (the configuration has no SP
certificate): a Response only ever goes to the configured ACS, for the configured audience.
"""

import asyncio
from urllib.parse import urlencode

from lxml import etree
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from marketlink.domain import saml_idps
from marketlink.domain.saml_idps import Configured, Party, Urls
from marketlink.domain.services import Services
from marketlink.domain.web_sessions import SignedIn
from marketlink.sso.saml import authn_requests as requests
from marketlink.sso.saml import metadata, pages, responses
from marketlink.sso.saml.issuing import encoded_response, relay_state_for, statement_for
from marketlink.sso.saml.keys import IdpKeys
from marketlink.sso.saml.signing import MODES, signed_response
from marketlink.storage import saml as store
from marketlink.storage.database import Database
from marketlink.web.auth import current_session, login_required, login_url, read_form
from marketlink.web.redirects import MAX_NEXT_LENGTH

NOT_FOUND = "There is no such SAML identity provider, or its application no longer signs in with SAML."
NOT_ASSIGNED = "You are not assigned to an active subscription of this application."


class SamlEndpoints:
    def __init__(self, db: Database, services: Services) -> None:
        self.db, self.services = db, services
        self.keys = IdpKeys(db, services)

    def routes(self) -> list[Route]:
        return [
            Route("/saml/idp/{idp_id}/metadata", self.metadata, methods=["GET"]),
            Route("/saml/idp/{idp_id}/login", login_required(self.idp_initiated), methods=["GET"]),
            Route("/saml/idp/{idp_id}/sso", self.sso_redirect, methods=["GET"]),
            Route("/saml/idp/{idp_id}/sso", self.sso_post, methods=["POST"]),
        ]

    async def metadata(self, request: Request) -> Response:
        configured = await self._configured(request)
        if configured is None:
            return JSONResponse({"error": "not_found", "message": NOT_FOUND}, status_code=404)
        certificate = await self.keys.certificate(configured.idp)
        urls, name_id_format = self._urls(configured), configured.fields["nameIdFormat"]
        headers = {"Cache-Control": "max-age=300"}
        if metadata.XML_MEDIA_TYPE in request.headers.get("accept", "").lower():
            return Response(metadata.as_xml(urls, certificate, name_id_format),
                            media_type=metadata.XML_MEDIA_TYPE, headers=headers)
        return JSONResponse(metadata.as_json(urls, certificate, name_id_format), headers=headers)

    async def idp_initiated(self, request: Request) -> Response:
        signed = await current_session(request)
        assert signed is not None  # login_required
        configured = await self._usable(request)
        if isinstance(configured, Response):
            return configured
        party = await self._party(configured, signed)
        if party is None:
            return pages.refused(403, NOT_ASSIGNED)
        return await self._assertion_form(configured, party, signed, None,
                                          relay_state_for(configured.fields, party))

    async def sso_redirect(self, request: Request) -> Response:
        encoded = request.query_params.get("SAMLRequest", "")
        relay_state = request.query_params.get("RelayState")
        try:
            xml = requests.decode_redirect(encoded)
            relay_state = requests.checked_relay_state(relay_state)
        except requests.RequestRefused as refused:
            return pages.refused(400, refused.reason)
        signed = await current_session(request)
        if signed is None and not _is_passive(xml):
            return self._to_login(request, encoded, relay_state)
        return await self._answer(request, signed, xml, relay_state)

    async def sso_post(self, request: Request) -> Response:
        form = await read_form(request)
        try:
            xml = requests.decode_post(form.get("SAMLRequest", ""))
            relay_state = requests.checked_relay_state(form.get("RelayState"))
        except requests.RequestRefused as refused:
            return pages.refused(400, refused.reason)
        signed = await current_session(request)
        if signed is None and not _is_passive(xml):
            return RedirectResponse(_sso_path(request, requests.redirect_encoding(xml), relay_state),
                                    status_code=303)
        return await self._answer(request, signed, xml, relay_state)

    async def _answer(self, request: Request, signed: SignedIn | None, xml: bytes,
                      relay_state: str | None) -> Response:
        """An SP-initiated login: check the AuthnRequest, then answer it at the ACS."""
        configured = await self._usable(request)
        if isinstance(configured, Response):
            return configured
        fields, now = configured.fields, self.services.clock.now_ms()
        try:
            authn = requests.parse_authn_request(xml)
        except requests.RequestRefused as refused:
            return pages.refused(400, refused.reason)
        if problem := requests.request_problem(authn, self._expected(configured), now):
            return pages.refused(400, problem)
        if signed is None:  # IsPassive: we may not show the login page
            return await self._refusal_form(configured, authn.id, relay_state, responses.NO_PASSIVE,
                                            "The user is not logged in.")
        if requests.needs_fresh_login(authn, signed.session.created_on, self._expected(configured)):
            if authn.is_passive:
                return await self._refusal_form(configured, authn.id, relay_state, responses.NO_PASSIVE,
                                                "ForceAuthn needs a new login, which IsPassive forbids.")
            return self._to_login(request, requests.redirect_encoding(xml), relay_state, reauth=True)
        if not requests.name_id_format_accepted(authn, responses.NAME_ID_FORMATS[fields["nameIdFormat"]]):
            return await self._refusal_form(configured, authn.id, relay_state,
                                            responses.INVALID_NAME_ID_POLICY,
                                            f"Only the NameID format {fields['nameIdFormat']} is available.")
        party = await self._party(configured, signed)
        if party is None:
            return await self._refusal_form(configured, authn.id, relay_state,
                                            responses.REQUEST_DENIED, NOT_ASSIGNED)
        if not await self._first_answer(configured, authn, now):
            return pages.refused(400, "This sign-in request was answered before; start again from the application.")
        return await self._assertion_form(configured, party, signed, authn.id, relay_state)

    async def _assertion_form(self, configured: Configured, party: Party, signed: SignedIn,
                              in_response_to: str | None, relay_state: str | None) -> Response:
        fields, now = configured.fields, self.services.clock.now_ms()
        statement = statement_for(fields, party, signed.session, now, self.services.keyring)
        if not statement.name_id:
            return pages.refused(409, "The application's NameID is empty for this user.")
        envelope = responses.Envelope(self._urls(configured).entity_id,
                                      fields["assertionConsumerServiceUrl"], in_response_to, now)
        sign_response, sign_assertion = MODES[fields["responseSignatureMode"]]
        xml = await self._signed(configured, responses.success(envelope, statement),
                                 sign_response=sign_response, sign_assertion=sign_assertion)
        return pages.post_form(fields["assertionConsumerServiceUrl"], fields["responseField"],
                               encoded_response(fields, xml), relay_state)

    async def _refusal_form(self, configured: Configured, in_response_to: str,
                            relay_state: str | None, status: str, message: str) -> Response:
        """A signed Response without an Assertion, to the ACS the request was checked against."""
        fields = configured.fields
        envelope = responses.Envelope(self._urls(configured).entity_id,
                                      fields["assertionConsumerServiceUrl"], in_response_to,
                                      self.services.clock.now_ms())
        xml = await self._signed(configured, responses.failure(envelope, status, message),
                                 sign_response=True, sign_assertion=False)
        return pages.post_form(fields["assertionConsumerServiceUrl"], fields["responseField"],
                               encoded_response(fields, xml), relay_state)

    async def _signed(self, configured: Configured, response: etree._Element, *,
                      sign_response: bool, sign_assertion: bool) -> bytes:
        key = await self.keys.signing_key(configured.idp)
        return await asyncio.to_thread(signed_response, response, key,
                                       configured.fields["responseSignatureAlgorithm"],
                                       sign_response=sign_response, sign_assertion=sign_assertion)

    async def _first_answer(self, configured: Configured, authn: requests.AuthnRequest, now: int) -> bool:
        """Remember the request's ID until it is too old to be accepted anyway; False when it
        was answered before (a replay)."""
        settings = self.services.settings
        expires_on = authn.issue_instant_ms + (settings.saml_authn_request_max_age_s
                                               + settings.saml_clock_skew_s) * 1000
        async with self.db.write() as conn:
            return await store.remember_request(conn, configured.idp.id, authn.id, expires_on, now)

    def _expected(self, configured: Configured) -> requests.Expected:
        settings, fields = self.services.settings, configured.fields
        return requests.Expected(
            sp_entity_id=fields["serviceProviderEntityId"],
            acs_url=fields["assertionConsumerServiceUrl"], sso_url=self._urls(configured).sso,
            max_age_ms=settings.saml_authn_request_max_age_s * 1000,
            skew_ms=settings.saml_clock_skew_s * 1000)

    def _urls(self, configured: Configured) -> Urls:
        return Urls.of(self.services.settings.base_url, configured.idp.id)

    async def _configured(self, request: Request) -> Configured | None:
        async with self.db.read() as conn:
            return await saml_idps.configured_idp(conn, request.path_params["idp_id"])

    async def _usable(self, request: Request) -> Configured | Response:
        """The IdP if its configuration can be used; else the page that says why not."""
        configured = await self._configured(request)
        if configured is None:
            return pages.refused(404, NOT_FOUND)
        if configured.problems:
            return pages.refused(409, "This application's SAML configuration cannot be used: "
                                      + " ".join(configured.problems))
        return configured

    async def _party(self, configured: Configured, signed: SignedIn) -> Party | None:
        async with self.db.read() as conn:
            return await saml_idps.signing_in(conn, self.services, configured.idp, signed.user.id)

    def _to_login(self, request: Request, encoded: str, relay_state: str | None, *,
                  reauth: bool = False) -> Response:
        """To the login page, which comes back to ``GET .../sso`` with the same request (without
        the signature parameters, which we ignore anyway, to stay within the length of
        ``next``). ``reauth``: ask a logged-in user for the password again (ForceAuthn)."""
        here = _sso_path(request, encoded, relay_state)
        if len(here) > MAX_NEXT_LENGTH:
            return pages.refused(400, "The sign-in request is too long to keep through the login.")
        return RedirectResponse(login_url(here) + ("&reauth=1" if reauth else ""), status_code=303)


def _sso_path(request: Request, encoded: str, relay_state: str | None) -> str:
    query = {"SAMLRequest": encoded} | ({"RelayState": relay_state} if relay_state is not None else {})
    return request.url.path + "?" + urlencode(query)


def _is_passive(xml: bytes) -> bool:
    """Whether an anonymous visitor's request forbids showing the login page (a request that
    does not parse goes to login like any other and is refused after it)."""
    try:
        return requests.parse_authn_request(xml).is_passive
    except requests.RequestRefused:
        return False

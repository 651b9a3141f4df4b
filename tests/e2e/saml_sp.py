"""A SAML service provider for the tests, built with an independent library: python3-saml
(OneLogin) over xmlsec, configured only from the metadata XML MarketLink publishes. It makes
the AuthnRequests (both bindings) and validates what comes back to its ACS: schema, signatures
with the metadata's certificate, issuer, audience, destination, recipient, InResponseTo and
the time window, as a vendor's SP would.

Its clock is the test's FrozenClock (``use_clock``): the only fake, at the process edge."""

import base64
import re
from dataclasses import dataclass, field
from html import unescape
from typing import Any
from urllib.parse import urlsplit

from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.authn_request import OneLogin_Saml2_Authn_Request
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from onelogin.saml2.settings import OneLogin_Saml2_Settings
from onelogin.saml2.utils import OneLogin_Saml2_Utils

HTTP_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"


def use_clock(monkeypatch: Any, clock: Any) -> None:
    """python3-saml reads the time through ``OneLogin_Saml2_Utils.now`` (epoch seconds)."""
    monkeypatch.setattr(OneLogin_Saml2_Utils, "now", staticmethod(lambda: clock.now_ms() // 1000))


@dataclass
class PostedForm:
    """The auto-submitting form the IdP answered with, as a browser would read it."""

    action: str
    fields: dict[str, str]

    @classmethod
    def parse(cls, html: str) -> "PostedForm":
        action = unescape(re.search(r'<form method="post" action="([^"]*)"', html).group(1))
        fields = {unescape(name): unescape(value) for name, value in
                  re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)">', html)}
        return cls(action, fields)

    @property
    def response_xml(self) -> str:
        return base64.b64decode(self.fields["SAMLResponse"]).decode()


@dataclass
class Accepted:
    """What the SP made of a Response: no errors and who signed in, or why it refused."""

    errors: list[str]
    reason: str | None
    name_id: str | None = None
    name_id_format: str | None = None
    attributes: dict[str, list[str]] = field(default_factory=dict)
    in_response_to: str | None = None


class ServiceProvider:
    def __init__(self, metadata_xml: str, *, entity_id: str = "https://sp.example/metadata",
                 acs_url: str = "https://sp.example/acs", want_messages_signed: bool = False,
                 want_assertions_signed: bool = True, name_id_format: str = EMAIL,
                 want_attribute_statement: bool = True) -> None:
        idp = OneLogin_Saml2_IdPMetadataParser.parse(metadata_xml)["idp"]
        self.idp = idp
        self.settings = OneLogin_Saml2_Settings({
            "strict": True, "debug": False,
            "sp": {"entityId": entity_id, "NameIDFormat": name_id_format,
                   "assertionConsumerService": {"url": acs_url, "binding": HTTP_POST}},
            "idp": idp,
            "security": {"wantMessagesSigned": want_messages_signed,
                         "wantAssertionsSigned": want_assertions_signed,
                         "wantAttributeStatement": want_attribute_statement},
        }, sp_validation_only=True)
        self.acs_url = acs_url

    def redirect_login(self, relay_state: str | None = None, *, is_passive: bool = False,
                       force_authn: bool = False) -> tuple[str, str]:
        """(the IdP URL the browser is sent to, the AuthnRequest's ID)."""
        auth = OneLogin_Saml2_Auth(self._request_data({}), self.settings)
        url = auth.login(return_to=relay_state, is_passive=is_passive, force_authn=force_authn)
        return url, auth.get_last_request_id()

    def post_login(self) -> tuple[str, str]:
        """(the base64 AuthnRequest the SP's form posts as ``SAMLRequest``, its ID)."""
        request = OneLogin_Saml2_Authn_Request(self.settings)
        return base64.b64encode(request.get_xml().encode()).decode(), request.get_id()

    def accept(self, form: PostedForm, request_id: str | None = None) -> Accepted:
        """Process the posted Response at the ACS, as python3-saml does."""
        assert form.action == self.acs_url
        auth = OneLogin_Saml2_Auth(self._request_data(form.fields), self.settings)
        auth.process_response(request_id=request_id)
        if auth.get_errors():
            return Accepted(auth.get_errors(), auth.get_last_error_reason())
        assert auth.is_authenticated()
        return Accepted([], None, auth.get_nameid(), auth.get_nameid_format(), auth.get_attributes(),
                        auth.get_last_response_in_response_to())

    def _request_data(self, post_data: dict[str, str]) -> dict[str, Any]:
        parts = urlsplit(self.acs_url)
        return {"https": "on" if parts.scheme == "https" else "off", "http_host": parts.netloc,
                "script_name": parts.path, "get_data": {}, "post_data": post_data}

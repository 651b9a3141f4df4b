"""AuthnRequests from service providers: decoding (HTTP-Redirect: deflated and base64; HTTP-POST:
base64), safe parsing, and the checks that decide whether we answer at all.

Everything here is bounded before it is read: the encoded text, the inflated XML (a deflate
bomb stops at the limit), and the parser refuses DTDs, entities and external references
(defusedxml over the standard library's expat, no network, no lxml tree options to get wrong).

A request we refuse is never answered with a SAML Response: its ``AssertionConsumerServiceURL``
or ``Issuer`` is not one we can trust, so there is nowhere safe to send one (SAML profiles
§4.1.4.1). The caller shows an HTTP 400 page instead.
"""

import base64
import binascii
import datetime
import re
import zlib
from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError

from defusedxml.ElementTree import fromstring

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
HTTP_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
ENTITY_FORMAT = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity"
UNSPECIFIED_FORMAT = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
MAX_ENCODED = 16_384
MAX_XML = 65_536
MAX_RELAY_STATE = 1024
_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,255}")
_TRUE = ("true", "1")


class RequestRefused(Exception):
    """An AuthnRequest we do not answer; ``reason`` is safe to show."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class AuthnRequest:
    id: str
    issuer: str
    issue_instant_ms: int
    destination: str | None
    acs_url: str | None
    protocol_binding: str | None
    name_id_format: str | None
    is_passive: bool
    force_authn: bool


@dataclass(frozen=True)
class Expected:
    """What a request must name to be answered: the SP's entity ID and ACS, our SSO URL, and
    how old (or how far ahead of our clock) its IssueInstant may be."""

    sp_entity_id: str
    acs_url: str
    sso_url: str
    max_age_ms: int
    skew_ms: int


def decode_redirect(encoded: str) -> bytes:
    """The XML of an HTTP-Redirect ``SAMLRequest``: base64 of raw DEFLATE (RFC 1951)."""
    raw = _unbase64(encoded)
    inflater = zlib.decompressobj(-15)
    try:
        xml = inflater.decompress(raw, MAX_XML + 1)
    except zlib.error:
        raise RequestRefused("The SAMLRequest is not DEFLATE-compressed.") from None
    if len(xml) > MAX_XML or inflater.unconsumed_tail:
        raise RequestRefused("The SAMLRequest is too large.")
    if not inflater.eof:
        raise RequestRefused("The SAMLRequest is truncated.")
    return xml


def decode_post(encoded: str) -> bytes:
    """The XML of an HTTP-POST ``SAMLRequest``: plain base64."""
    xml = _unbase64(encoded)
    if len(xml) > MAX_XML:
        raise RequestRefused("The SAMLRequest is too large.")
    return xml


def redirect_encoding(xml: bytes) -> str:
    """``xml`` as an HTTP-Redirect ``SAMLRequest`` (to carry a POSTed request through login)."""
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
    return base64.b64encode(deflater.compress(xml) + deflater.flush()).decode()


def checked_relay_state(value: str | None) -> str | None:
    if value is not None and len(value) > MAX_RELAY_STATE:
        raise RequestRefused(f"The RelayState is longer than {MAX_RELAY_STATE} characters.")
    return value


def _unbase64(encoded: str) -> bytes:
    if not encoded:
        raise RequestRefused("The SAMLRequest is missing.")
    if len(encoded) > MAX_ENCODED:
        raise RequestRefused("The SAMLRequest is too large.")
    try:
        return base64.b64decode("".join(encoded.split()), validate=True)
    except (binascii.Error, ValueError):
        raise RequestRefused("The SAMLRequest is not base64.") from None


def needs_fresh_login(authn: AuthnRequest, logged_in_ms: int, expected: "Expected") -> bool:
    """``ForceAuthn="true"``: the user must have logged in after the request was made (within
    the allowed clock skew, since the SP's clock made ``IssueInstant``), so a login that came
    before it is asked again and the one made for it is accepted."""
    return authn.force_authn and logged_in_ms < authn.issue_instant_ms - expected.skew_ms


def parse_authn_request(xml: bytes) -> AuthnRequest:
    """The fields of an AuthnRequest we act on; :class:`RequestRefused` for anything else."""
    try:
        root = fromstring(xml, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, ValueError):  # defusedxml's refusals are ValueErrors
        raise RequestRefused("The SAMLRequest is not well-formed XML without a DTD.") from None
    if root.tag != f"{{{SAMLP}}}AuthnRequest":
        raise RequestRefused("The SAMLRequest is not an AuthnRequest.")
    if root.get("Version") != "2.0":
        raise RequestRefused("The AuthnRequest is not SAML 2.0.")
    request_id = root.get("ID") or ""
    if not _ID.fullmatch(request_id):
        raise RequestRefused("The AuthnRequest has no valid ID.")
    policy = root.find(f"{{{SAMLP}}}NameIDPolicy")
    return AuthnRequest(
        id=request_id, issuer=_issuer(root), issue_instant_ms=_instant(root.get("IssueInstant")),
        destination=root.get("Destination"), acs_url=root.get("AssertionConsumerServiceURL"),
        protocol_binding=root.get("ProtocolBinding"),
        name_id_format=policy.get("Format") if policy is not None else None,
        is_passive=(root.get("IsPassive") or "").strip() in _TRUE,
        force_authn=(root.get("ForceAuthn") or "").strip() in _TRUE)


def _issuer(root: Element) -> str:
    issuer = root.find(f"{{{SAML}}}Issuer")
    if issuer is None or not (issuer.text or "").strip():
        raise RequestRefused("The AuthnRequest has no Issuer.")
    if issuer.get("Format", ENTITY_FORMAT) != ENTITY_FORMAT:
        raise RequestRefused("The AuthnRequest's Issuer is not an entity ID.")
    return (issuer.text or "").strip()


def _instant(value: str | None) -> int:
    try:
        moment = datetime.datetime.fromisoformat(value or "")
    except ValueError:
        raise RequestRefused("The AuthnRequest has no valid IssueInstant.") from None
    if moment.tzinfo is None:
        raise RequestRefused("The AuthnRequest's IssueInstant is not in UTC.")
    return int(moment.timestamp() * 1000)


def request_problem(request: AuthnRequest, expected: Expected, now_ms: int) -> str | None:
    """Why we must not answer ``request`` (None: answer it)."""
    if request.issuer != expected.sp_entity_id:
        return "The AuthnRequest's Issuer is not this application's service provider."
    if request.acs_url is not None and request.acs_url != expected.acs_url:
        return "The AuthnRequest's AssertionConsumerServiceURL is not the one configured."
    if request.destination is not None and request.destination != expected.sso_url:
        return "The AuthnRequest was meant for another identity provider (Destination)."
    if request.protocol_binding is not None and request.protocol_binding != HTTP_POST:
        return "Only the HTTP-POST binding is supported for responses."
    if request.issue_instant_ms > now_ms + expected.skew_ms:
        return "The AuthnRequest's IssueInstant is in the future."
    if request.issue_instant_ms < now_ms - expected.max_age_ms:
        return "The AuthnRequest has expired; start again from the application."
    return None


def name_id_format_accepted(request: AuthnRequest, configured: str) -> bool:
    """A NameIDPolicy asking for another format than the configured one cannot be met."""
    return request.name_id_format in (None, UNSPECIFIED_FORMAT, configured)

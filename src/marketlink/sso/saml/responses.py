"""The SAML Response and its Assertion (SAML core §2, §3.2.2; profiles §4.1.4.2), as lxml trees
for ``signing`` to sign. Pure: every time and id comes in as an argument.
"""

import datetime
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
NSMAP = {"samlp": SAMLP, "saml": SAML}
SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
RESPONDER = "urn:oasis:names:tc:SAML:2.0:status:Responder"
REQUEST_DENIED = "urn:oasis:names:tc:SAML:2.0:status:RequestDenied"
INVALID_NAME_ID_POLICY = "urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy"
NO_PASSIVE = "urn:oasis:names:tc:SAML:2.0:status:NoPassive"
BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
PASSWORD_PROTECTED = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
ATTRIBUTE_NAME_FORMAT = "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified"
NAME_ID_FORMATS = {
    "EMAIL": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
    "UNSPECIFIED": "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
    "PERSISTENT": "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
    "TRANSIENT": "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
}
# Characters XML 1.0 cannot carry at all (lxml refuses them): dropped from asserted values.
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class Envelope:
    """What every Response carries: who issues it, where it goes, what it answers, when."""

    issuer: str  # our entity ID
    destination: str  # the ACS URL
    in_response_to: str | None  # the AuthnRequest's ID (None: IdP-initiated)
    now_ms: int


@dataclass(frozen=True)
class Statement:
    """What the Assertion says about the user, and for how long it may be used."""

    audience: str  # the SP's entity ID
    name_id: str
    name_id_format: str  # a key of NAME_ID_FORMATS
    attributes: Sequence[tuple[str, str]]
    not_before_ms: int
    not_on_or_after_ms: int
    authn_instant_ms: int  # when the user logged in
    session_index: str
    session_not_on_or_after_ms: int  # when that login session ends


def new_id() -> str:
    """An xs:ID: an NCName (so not starting with a digit) with 128 random bits."""
    return "_" + secrets.token_hex(16)


def saml_time(ms: int) -> str:
    moment = datetime.datetime.fromtimestamp(ms // 1000, tz=datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def success(envelope: Envelope, statement: Statement) -> etree._Element:
    response = _response(envelope, SUCCESS, None)
    response.append(_assertion(envelope, statement))
    return response


def failure(envelope: Envelope, second_level: str, message: str) -> etree._Element:
    """A Response without an Assertion: the request was understood and refused (Responder)."""
    return _response(envelope, RESPONDER, (second_level, message))


def _response(envelope: Envelope, status: str, detail: tuple[str, str] | None) -> etree._Element:
    response = etree.Element(f"{{{SAMLP}}}Response", nsmap=NSMAP, ID=new_id(), Version="2.0",
                             IssueInstant=saml_time(envelope.now_ms),
                             Destination=envelope.destination)
    if envelope.in_response_to:
        response.set("InResponseTo", envelope.in_response_to)
    _text(response, "Issuer", envelope.issuer)
    code = etree.SubElement(etree.SubElement(response, f"{{{SAMLP}}}Status"),
                            f"{{{SAMLP}}}StatusCode", Value=status)
    if detail is not None:
        etree.SubElement(code, f"{{{SAMLP}}}StatusCode", Value=detail[0])
        etree.SubElement(code.getparent(), f"{{{SAMLP}}}StatusMessage").text = detail[1]
    return response


def _assertion(envelope: Envelope, statement: Statement) -> etree._Element:
    assertion = etree.Element(f"{{{SAML}}}Assertion", nsmap=NSMAP, ID=new_id(), Version="2.0",
                              IssueInstant=saml_time(envelope.now_ms))
    _text(assertion, "Issuer", envelope.issuer)
    _subject(assertion, envelope, statement)
    conditions = _saml(assertion, "Conditions", NotBefore=saml_time(statement.not_before_ms),
                       NotOnOrAfter=saml_time(statement.not_on_or_after_ms))
    _text(_saml(conditions, "AudienceRestriction"), "Audience", statement.audience)
    authn = _saml(assertion, "AuthnStatement", AuthnInstant=saml_time(statement.authn_instant_ms),
                  SessionIndex=statement.session_index,
                  SessionNotOnOrAfter=saml_time(statement.session_not_on_or_after_ms))
    _text(_saml(authn, "AuthnContext"), "AuthnContextClassRef", PASSWORD_PROTECTED)
    if statement.attributes:
        _attributes(assertion, statement.attributes)
    return assertion


def _subject(assertion: etree._Element, envelope: Envelope, statement: Statement) -> None:
    subject = _saml(assertion, "Subject")
    _text(subject, "NameID", statement.name_id, Format=NAME_ID_FORMATS[statement.name_id_format])
    confirmation = _saml(subject, "SubjectConfirmation", Method=BEARER)
    data = _saml(confirmation, "SubjectConfirmationData",
                 NotOnOrAfter=saml_time(statement.not_on_or_after_ms),
                 Recipient=envelope.destination)
    if envelope.in_response_to:
        data.set("InResponseTo", envelope.in_response_to)


def _attributes(assertion: etree._Element, attributes: Sequence[tuple[str, str]]) -> None:
    """Values are plain text without ``xsi:type``: a type's QName in content is invisible to
    exclusive canonicalization, so its namespace would drop out of what is signed."""
    statement = _saml(assertion, "AttributeStatement")
    for name, value in attributes:
        attribute = _saml(statement, "Attribute", Name=xml_safe(name), NameFormat=ATTRIBUTE_NAME_FORMAT)
        _text(attribute, "AttributeValue", value)


def _saml(parent: etree._Element, tag: str, **attributes: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{SAML}}}{tag}", **attributes)


def _text(parent: etree._Element, tag: str, text: str, **attributes: str) -> etree._Element:
    element = _saml(parent, tag, **{k: xml_safe(v) for k, v in attributes.items()})
    element.text = xml_safe(text)
    return element


def xml_safe(value: str) -> str:
    return _NOT_XML.sub("", value)

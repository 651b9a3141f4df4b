"""The SAML IdP's pure parts: placeholders, AuthnRequest decoding and checks."""

import base64
import zlib
from dataclasses import replace

import pytest

from marketlink.domain import sso
from marketlink.domain.event_documents import Marketplace
from marketlink.domain.placeholders import fill, placeholder_values
from marketlink.sso.saml.authn_requests import (
    MAX_XML,
    AuthnRequest,
    Expected,
    RequestRefused,
    checked_relay_state,
    decode_post,
    decode_redirect,
    name_id_format_accepted,
    parse_authn_request,
    redirect_encoding,
    request_problem,
)

USER = {"id": "u-1", "email": "ada@buyer.example", "first_name": "Ada", "last_name": "Lovelace",
        "language": "en", "locale": "en-US"}
COMPANY = {"id": "c-1", "name": "Buyer Inc", "country": "US"}
SUBSCRIPTION = {"id": "s-1", "account_identifier": None}
MARKET = Marketplace("MARKETLINK", "https://market.example")
NOW = 1_764_000_000_000
EXPECTED = Expected("https://sp.example/metadata", "https://sp.example/acs",
                    "https://market.example/saml/idp/i/sso", 600_000, 60_000)
REQUEST = AuthnRequest("_r1", "https://sp.example/metadata", NOW, None, None, None, None, False, False)
XML = (b'<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
       b'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r1" Version="2.0" '
       b'IssueInstant="2025-11-24T16:00:00Z" Destination="https://market.example/saml/idp/i/sso" '
       b'AssertionConsumerServiceURL="https://sp.example/acs" IsPassive="true" '
       b'ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST">'
       b'<saml:Issuer>https://sp.example/metadata</saml:Issuer>'
       b'<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"/>'
       b'</samlp:AuthnRequest>')


def test_every_placeholder_the_configuration_accepts_has_a_value():
    values = placeholder_values(USER, COMPANY, SUBSCRIPTION, None, MARKET)

    assert set(values) == sso.PLACEHOLDERS
    assert values == {
        "user.uuid": "u-1", "user.email": "ada@buyer.example", "user.emailAddress": "ada@buyer.example",
        "user.firstName": "Ada", "user.lastName": "Lovelace", "user.fullName": "Ada Lovelace",
        "user.language": "en", "user.locale": "en-US", "user.openId": "https://market.example/openid/id/u-1",
        "user.userIdentifier": "", "company.uuid": "c-1", "company.name": "Buyer Inc",
        "company.externalId": "", "company.country": "US", "subscription.uuid": "s-1",
        "account.accountIdentifier": "", "marketplace.partner": "MARKETLINK",
        "marketplace.baseUrl": "https://market.example",
    }


def test_fill_replaces_known_names_and_leaves_the_rest():
    assert fill("{user.firstName} <{company.name}> {nope} {}", {"user.firstName": "Ada", "company.name": "B&B"}) == \
        "Ada <B&B> {nope} {}"


def test_an_authn_request_is_read_from_both_bindings():
    from_redirect = parse_authn_request(decode_redirect(redirect_encoding(XML)))
    from_post = parse_authn_request(decode_post(base64.b64encode(XML).decode()))

    assert from_redirect == from_post == AuthnRequest(
        "_r1", "https://sp.example/metadata", NOW, "https://market.example/saml/idp/i/sso",
        "https://sp.example/acs", "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
        "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress", True, False)
    assert request_problem(from_post, EXPECTED, NOW) is None


@pytest.mark.parametrize("encoded,reason", [
    ("", "The SAMLRequest is missing."),
    ("A" * 20_000, "The SAMLRequest is too large."),
    ("not base64!", "The SAMLRequest is not base64."),
    (base64.b64encode(zlib.compress(XML)).decode(), "The SAMLRequest is not DEFLATE-compressed."),  # zlib header
    (redirect_encoding(XML)[:40], "The SAMLRequest is truncated."),
    (redirect_encoding(b"x" * (MAX_XML + 1)), "The SAMLRequest is too large."),
])
def test_a_redirect_request_is_refused_when_it_cannot_be_decoded(encoded, reason):
    with pytest.raises(RequestRefused) as refused:
        decode_redirect(encoded)
    assert refused.value.reason == reason


@pytest.mark.parametrize("xml,reason", [
    (b'<?xml version="1.0"?><!DOCTYPE r SYSTEM "http://evil.example/x.dtd"><r/>',
     "The SAMLRequest is not well-formed XML without a DTD."),
    (XML.replace(b'Version="2.0"', b'Version="1.1"'), "The AuthnRequest is not SAML 2.0."),
    (XML.replace(b'ID="_r1"', b'ID="1bad"'), "The AuthnRequest has no valid ID."),
    (XML.replace(b'IssueInstant="2025-11-24T16:00:00Z"', b'IssueInstant="yesterday"'),
     "The AuthnRequest has no valid IssueInstant."),
    (XML.replace(b'IssueInstant="2025-11-24T16:00:00Z"', b'IssueInstant="2025-11-24T16:00:00"'),
     "The AuthnRequest's IssueInstant is not in UTC."),
    (XML.replace(b"<saml:Issuer>", b'<saml:Issuer Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">'),
     "The AuthnRequest's Issuer is not an entity ID."),
])
def test_an_authn_request_is_refused_when_it_cannot_be_read(xml, reason):
    with pytest.raises(RequestRefused) as refused:
        parse_authn_request(xml)
    assert refused.value.reason == reason


@pytest.mark.parametrize("change,problem", [
    ({"issuer": "https://other.example"}, "The AuthnRequest's Issuer is not this application's service provider."),
    ({"acs_url": "https://sp.example/acs2"}, "The AuthnRequest's AssertionConsumerServiceURL is not the one configured."),
    ({"destination": "https://market.example/saml/idp/other/sso"},
     "The AuthnRequest was meant for another identity provider (Destination)."),
    ({"protocol_binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact"},
     "Only the HTTP-POST binding is supported for responses."),
    ({"issue_instant_ms": NOW + 60_001}, "The AuthnRequest's IssueInstant is in the future."),
    ({"issue_instant_ms": NOW - 600_001}, "The AuthnRequest has expired; start again from the application."),
])
def test_a_request_is_not_answered_when_it_names_what_is_not_configured(change, problem):
    assert request_problem(replace(REQUEST, **change), EXPECTED, NOW) == problem
    edge = {"issue_instant_ms": NOW + 60_000} if "issue_instant_ms" in change and change["issue_instant_ms"] > NOW \
        else {"issue_instant_ms": NOW - 600_000}
    assert request_problem(replace(REQUEST, **edge), EXPECTED, NOW) is None


def test_relay_state_and_name_id_policy():
    assert checked_relay_state("x" * 1024) == "x" * 1024
    with pytest.raises(RequestRefused):
        checked_relay_state("x" * 1025)
    email = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
    unspecified = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
    assert [name_id_format_accepted(replace(REQUEST, name_id_format=f), email)
            for f in (None, unspecified, email, "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent")] == [
        True, True, True, False]

"""SAML logins end to end (SPEC §5, docs/adr/0013), through the real ASGI app over HTTP, with
python3-saml as the service provider: it builds the AuthnRequests and validates every
Response against the metadata MarketLink publishes. On SQLite and PostgreSQL."""

import base64
import hashlib
from urllib.parse import quote, urlsplit

import pytest
from lxml import etree

from marketlink.sso.saml.responses import saml_time
from tests.e2e.saml_sp import EMAIL, Accepted, PostedForm
from tests.e2e.saml_world import log_in, log_in_through, saml_world
from tests.helpers import START_MS

MINUTE = 60_000
NS = {"samlp": "urn:oasis:names:tc:SAML:2.0:protocol", "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
      "ds": "http://www.w3.org/2000/09/xmldsig#"}
RSA = {"RSA_SHA1": "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
       "RSA_SHA256": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
       "RSA_SHA512": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"}
DIGEST = {"RSA_SHA1": "http://www.w3.org/2000/09/xmldsig#sha1",
          "RSA_SHA256": "http://www.w3.org/2001/04/xmlenc#sha256",
          "RSA_SHA512": "http://www.w3.org/2001/04/xmlenc#sha512"}
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
SCRIPT = "document.forms[0].submit();"
POST_FORM_CSP = ("default-src 'none'; script-src 'sha256-"
                 + base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()
                 + "'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'")


@pytest.fixture
async def saml(db, monkeypatch):
    async with saml_world(db, monkeypatch) as opened:
        yield opened


def ada_attributes(saml) -> dict[str, list[str]]:
    return {"email": ["ada@buyer.example"], "name": ["Ada Lovelace"], "userId": [saml.ada],
            "company": [f"Buyer Inc ({saml.company})"], "userIdentifier": ["host-ada"],
            "account": ["acct-1"]}


def facts(xml: str) -> dict:
    """What the Response says, read with plain XPath (independently of the SP library)."""
    root = etree.fromstring(xml.encode())
    one = lambda path: root.xpath(path, namespaces=NS)[0]  # noqa: E731
    return {
        "destination": root.get("Destination"), "inResponseTo": root.get("InResponseTo"),
        "issuers": root.xpath("//saml:Issuer/text()", namespaces=NS),
        "status": root.xpath("samlp:Status//samlp:StatusCode/@Value", namespaces=NS),
        "audience": one("//saml:Audience/text()"),
        "recipient": one("//saml:SubjectConfirmationData/@Recipient"),
        "confirmationInResponseTo": one("//saml:SubjectConfirmationData").get("InResponseTo"),
        "confirmationNotOnOrAfter": one("//saml:SubjectConfirmationData/@NotOnOrAfter"),
        "notBefore": one("//saml:Conditions/@NotBefore"),
        "notOnOrAfter": one("//saml:Conditions/@NotOnOrAfter"),
        "authnInstant": one("//saml:AuthnStatement/@AuthnInstant"),
        "sessionNotOnOrAfter": one("//saml:AuthnStatement/@SessionNotOnOrAfter"),
        "authnContext": one("//saml:AuthnContextClassRef/text()"),
    }


def signatures(xml: str) -> list[tuple[str, str, str, str]]:
    """(signed element, signature method, digest method, canonicalization) of each signature."""
    root = etree.fromstring(xml.encode())
    return [(etree.QName(sig.getparent()).localname,
             sig.xpath("ds:SignedInfo/ds:SignatureMethod/@Algorithm", namespaces=NS)[0],
             sig.xpath("ds:SignedInfo/ds:Reference/ds:DigestMethod/@Algorithm", namespaces=NS)[0],
             sig.xpath("ds:SignedInfo/ds:CanonicalizationMethod/@Algorithm", namespaces=NS)[0])
            for sig in root.iter("{%s}Signature" % NS["ds"])]


# --- IdP-initiated -------------------------------------------------------------------------

async def test_idp_initiated_login_posts_a_signed_response_the_sp_accepts(saml):
    sp = await saml.service_provider()

    start = await saml.client.get(saml.login_path)
    assert (start.status_code, start.headers["location"]) == (
        303, "/login?next=" + quote(saml.login_path, safe=""))
    logged_in = await log_in_through(saml.client, start.headers["location"])
    assert (logged_in.status_code, logged_in.headers["location"]) == (303, saml.login_path)
    page = await saml.client.get(saml.login_path)

    assert page.status_code == 200
    assert page.headers["content-security-policy"] == POST_FORM_CSP
    assert page.headers["cache-control"] == "no-store"
    assert f"<script>{SCRIPT}</script>" in page.text
    assert '<noscript>' in page.text and '<button type="submit">Continue</button>' in page.text
    form = PostedForm.parse(page.text)
    assert (form.action, sorted(form.fields)) == ("https://sp.example/acs", ["RelayState", "SAMLResponse"])
    assert form.fields["RelayState"] == f"https://sp.example/home?company={saml.company}"
    assert sp.accept(form) == Accepted([], None, "ada@buyer.example", EMAIL, ada_attributes(saml), None)


async def test_the_response_carries_the_configured_window_audience_and_session(saml):
    await log_in(saml.client)
    saml.world.clock.advance(90_000)
    now = START_MS + 90_000

    form = PostedForm.parse((await saml.client.get(saml.login_path)).text)

    assert facts(form.response_xml) == {
        "destination": "https://sp.example/acs", "inResponseTo": None,
        "issuers": [saml.world.settings.base_url + saml.idp_path] * 2,
        "status": ["urn:oasis:names:tc:SAML:2.0:status:Success"],
        "audience": "https://sp.example/metadata", "recipient": "https://sp.example/acs",
        "confirmationInResponseTo": None, "confirmationNotOnOrAfter": saml_time(now + 10 * MINUTE),
        "notBefore": saml_time(now - 2 * MINUTE), "notOnOrAfter": saml_time(now + 10 * MINUTE),
        "authnInstant": saml_time(START_MS), "sessionNotOnOrAfter": saml_time(START_MS + 12 * 60 * MINUTE),
        "authnContext": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
    }
    assert signatures(form.response_xml) == [("Assertion", RSA["RSA_SHA256"], DIGEST["RSA_SHA256"], EXC_C14N)]


@pytest.mark.parametrize("mode,algorithm,signed", [
    ("ASSERTION", "RSA_SHA256", ["Assertion"]),
    ("RESPONSE", "RSA_SHA256", ["Response"]),
    ("RESPONSE_AND_ASSERTION", "RSA_SHA256", ["Response", "Assertion"]),
    ("RESPONSE_AND_ASSERTION", "RSA_SHA512", ["Response", "Assertion"]),
    ("RESPONSE_AND_ASSERTION", "RSA_SHA1", ["Response", "Assertion"]),
])
async def test_each_signature_mode_and_algorithm_is_accepted_by_the_sp(db, monkeypatch, mode, algorithm, signed):
    async with saml_world(db, monkeypatch, responseSignatureMode=mode,
                          responseSignatureAlgorithm=algorithm) as saml:
        sp = await saml.service_provider(want_messages_signed="Response" in signed,
                                         want_assertions_signed="Assertion" in signed)
        await log_in(saml.client)

        form = PostedForm.parse((await saml.client.get(saml.login_path)).text)

        assert signatures(form.response_xml) == [(e, RSA[algorithm], DIGEST[algorithm], EXC_C14N)
                                                 for e in signed]
        certificate = etree.fromstring(form.response_xml.encode()).xpath(
            "//ds:X509Certificate/text()", namespaces=NS)
        metadata = etree.fromstring((await saml.metadata_xml()).encode()).xpath(
            "//ds:X509Certificate/text()", namespaces=NS)
        assert [c.replace("\n", "") for c in certificate] == metadata * len(signed)
        assert sp.accept(form).errors == []


async def test_a_tampered_response_is_refused_by_the_sp(saml):
    sp = await saml.service_provider()
    await log_in(saml.client)
    form = PostedForm.parse((await saml.client.get(saml.login_path)).text)

    forged = form.response_xml.replace(">ada@buyer.example</saml:NameID>", ">eve@other.example</saml:NameID>")
    form.fields["SAMLResponse"] = base64.b64encode(forged.encode()).decode()

    assert sp.accept(form) == Accepted(["invalid_response"], "Signature validation failed. SAML Response rejected")


async def test_the_configured_field_carries_the_raw_xml_when_encoding_is_off(db, monkeypatch):
    async with saml_world(db, monkeypatch, responseField="assertion", encodeResponse=False,
                          relayState=None) as saml:
        await log_in(saml.client)

        form = PostedForm.parse((await saml.client.get(saml.login_path)).text)

        assert list(form.fields) == ["assertion"]
        assert etree.fromstring(form.fields["assertion"].encode()).tag == "{%s}Response" % NS["samlp"]


# --- SP-initiated --------------------------------------------------------------------------

async def test_sp_initiated_redirect_binding_through_the_login_page(saml):
    sp = await saml.service_provider()
    url, request_id = sp.redirect_login(relay_state="sp-state-42")
    assert url.startswith(saml.world.settings.base_url + saml.sso_path + "?SAMLRequest=")

    first = await saml.client.get(url)
    assert first.status_code == 303 and first.headers["location"].startswith("/login?next=")
    logged_in = await log_in_through(saml.client, first.headers["location"])
    back = logged_in.headers["location"]
    assert urlsplit(back).path == saml.sso_path
    page = await saml.client.get(back)

    assert page.status_code == 200
    form = PostedForm.parse(page.text)
    assert form.fields["RelayState"] == "sp-state-42"
    assert facts(form.response_xml)["inResponseTo"] == request_id
    assert facts(form.response_xml)["confirmationInResponseTo"] == request_id
    assert sp.accept(form, request_id) == Accepted([], None, "ada@buyer.example", EMAIL,
                                                   ada_attributes(saml), request_id)


async def test_sp_initiated_post_binding_carries_the_request_through_the_login(saml):
    sp = await saml.service_provider()
    saml_request, request_id = sp.post_login()

    posted = await saml.client.post(saml.sso_path, data={"SAMLRequest": saml_request, "RelayState": "s-1"})
    assert posted.status_code == 303
    as_get = posted.headers["location"]
    assert urlsplit(as_get).path == saml.sso_path
    to_login = await saml.client.get(as_get)
    assert to_login.status_code == 303
    logged_in = await log_in_through(saml.client, to_login.headers["location"])
    page = await saml.client.get(logged_in.headers["location"])

    form = PostedForm.parse(page.text)
    assert form.fields["RelayState"] == "s-1"
    assert sp.accept(form, request_id).errors == []
    assert facts(form.response_xml)["inResponseTo"] == request_id


async def test_sp_initiated_post_binding_when_already_logged_in(saml):
    sp = await saml.service_provider()
    await log_in(saml.client)
    saml_request, request_id = sp.post_login()

    page = await saml.client.post(saml.sso_path, data={"SAMLRequest": saml_request})

    assert page.status_code == 200
    form = PostedForm.parse(page.text)
    assert list(form.fields) == ["SAMLResponse"]
    assert sp.accept(form, request_id) == Accepted([], None, "ada@buyer.example", EMAIL,
                                                   ada_attributes(saml), request_id)


async def test_force_authn_asks_a_logged_in_user_for_the_password_again(saml):
    sp = await saml.service_provider()
    await log_in(saml.client)
    saml.world.clock.advance(5 * MINUTE)
    url, request_id = sp.redirect_login(force_authn=True)

    asked = await saml.client.get(url)
    assert asked.status_code == 303 and asked.headers["location"].endswith("&reauth=1")
    form_page = await saml.client.get(asked.headers["location"])
    assert "asks you to enter your password again" in form_page.text
    logged_in = await log_in_through(saml.client, asked.headers["location"])
    page = await saml.client.get(logged_in.headers["location"])

    form = PostedForm.parse(page.text)
    assert sp.accept(form, request_id).errors == []
    assert facts(form.response_xml)["authnInstant"] == saml_time(START_MS + 5 * MINUTE)


async def test_force_authn_with_is_passive_is_answered_no_passive(saml):
    sp = await saml.service_provider()
    await log_in(saml.client)
    saml.world.clock.advance(5 * MINUTE)
    url, request_id = sp.redirect_login(force_authn=True, is_passive=True)

    page = await saml.client.get(url)

    form = PostedForm.parse(page.text)
    assert facts_of_refusal(form.response_xml) == (
        request_id, ["urn:oasis:names:tc:SAML:2.0:status:Responder",
                     "urn:oasis:names:tc:SAML:2.0:status:NoPassive"])


def facts_of_refusal(xml: str) -> tuple[str, list[str]]:
    root = etree.fromstring(xml.encode())
    return root.get("InResponseTo"), root.xpath("samlp:Status//samlp:StatusCode/@Value", namespaces=NS)


async def test_a_shared_idp_serves_every_subscription_of_the_integration(db, monkeypatch):
    async with saml_world(db, monkeypatch, idpConfigurationCreationMethod="PER_MARKETPLACE") as saml:
        sp = await saml.service_provider()
        await log_in(saml.client)
        url, request_id = sp.redirect_login()

        form = PostedForm.parse((await saml.client.get(url)).text)

        assert sp.accept(form, request_id).name_id == "ada@buyer.example"

"""What the SAML IdP refuses (docs/adr/0013), through HTTP, with python3-saml as the service
provider: AuthnRequests that cannot be trusted get an HTTP 400 page and no Response; requests
we understand but cannot satisfy get a Response with a SAML error status and no Assertion;
an expired Assertion is refused by the SP. Nothing is written by any refusal."""

import base64
import zlib
from urllib.parse import urlencode

import pytest
from lxml import etree

from marketlink.sso.saml.authn_requests import redirect_encoding
from tests.api.test_subscription_lifecycle import answer
from tests.e2e.saml_sp import Accepted, PostedForm
from tests.e2e.saml_world import log_in, person, saml_world
from tests.helpers import dump_tables

NS = {"samlp": "urn:oasis:names:tc:SAML:2.0:protocol", "saml": "urn:oasis:names:tc:SAML:2.0:assertion"}
UNASSIGN = """mutation($s: ID!, $u: ID!) { unassignUser(input: {subscriptionId: $s, userId: $u}) {
  userErrors { message } } }"""
NOT_ASSIGNED = "You are not assigned to an active subscription of this application."


@pytest.fixture
async def saml(db, monkeypatch):
    async with saml_world(db, monkeypatch) as opened:
        await opened.metadata_xml()  # the SP has fetched the metadata: the IdP's key exists
        yield opened


def message_of(html: str) -> str:
    return etree.HTML(html).xpath("//p[@id='saml-error']/text()")[0]


def sso_url(saml, xml: bytes) -> str:
    return saml.sso_path + "?" + urlencode({"SAMLRequest": redirect_encoding(xml)})


def status_and_assertions(form: PostedForm) -> tuple[list[str], int]:
    root = etree.fromstring(form.response_xml.encode())
    return (root.xpath("samlp:Status//samlp:StatusCode/@Value", namespaces=NS),
            len(root.xpath("//saml:Assertion", namespaces=NS)))


async def refused(saml, url: str) -> tuple[int, str]:
    response = await saml.client.get(url)
    return response.status_code, message_of(response.text)


# --- requests that cannot be trusted: HTTP 400, no Response -------------------------------

@pytest.mark.parametrize("xml,message", [
    (b"<samlp:AuthnRequest xmlns:samlp='urn:oasis:names:tc:SAML:2.0:protocol'",
     "The SAMLRequest is not well-formed XML without a DTD."),
    (b"<!DOCTYPE r [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;'>]><r>&b;</r>",
     "The SAMLRequest is not well-formed XML without a DTD."),
    (b"<r xmlns='urn:oasis:names:tc:SAML:2.0:protocol'/>", "The SAMLRequest is not an AuthnRequest."),
    (b"<samlp:AuthnRequest xmlns:samlp='urn:oasis:names:tc:SAML:2.0:protocol' Version='2.0' "
     b"ID='_1' IssueInstant='2025-11-24T16:00:00Z'/>", "The AuthnRequest has no Issuer."),
])
async def test_a_request_that_does_not_parse_is_refused(saml, xml, message):
    await log_in(saml.client)
    before = await dump_tables(saml.world.db)

    assert await refused(saml, sso_url(saml, xml)) == (400, message)
    assert await dump_tables(saml.world.db) == before


async def test_a_request_that_is_not_deflated_base64_is_refused(saml):
    await log_in(saml.client)

    not_base64 = await saml.client.get(saml.sso_path + "?SAMLRequest=%%%")
    not_deflated = await saml.client.get(saml.sso_path + "?" + urlencode(
        {"SAMLRequest": base64.b64encode(b"\xff" * 8).decode()}))
    missing = await saml.client.post(saml.sso_path, data={"RelayState": "x"})

    assert (not_base64.status_code, message_of(not_base64.text)) == (400, "The SAMLRequest is not base64.")
    assert (not_deflated.status_code, message_of(not_deflated.text)) == (
        400, "The SAMLRequest is not DEFLATE-compressed.")
    assert (missing.status_code, message_of(missing.text)) == (400, "The SAMLRequest is missing.")


async def test_a_deflate_bomb_stops_at_the_limit(saml):
    bomb = zlib.compressobj(9, zlib.DEFLATED, -15)
    encoded = base64.b64encode(bomb.compress(b" " * 10_000_000) + bomb.flush()).decode()
    await log_in(saml.client)

    assert await refused(saml, saml.sso_path + "?" + urlencode({"SAMLRequest": encoded})) == (
        400, "The SAMLRequest is too large.")


async def test_a_request_for_another_acs_is_refused(saml):
    sp = await saml.service_provider(acs_url="https://evil.example/acs")
    await log_in(saml.client)
    url, _ = sp.redirect_login()
    before = await dump_tables(saml.world.db)

    assert await refused(saml, url) == (
        400, "The AuthnRequest's AssertionConsumerServiceURL is not the one configured.")
    assert await dump_tables(saml.world.db) == before


async def test_a_request_from_another_sp_is_refused(saml):
    sp = await saml.service_provider(entity_id="https://other-sp.example/metadata")
    await log_in(saml.client)
    url, _ = sp.redirect_login()
    before = await dump_tables(saml.world.db)

    assert await refused(saml, url) == (
        400, "The AuthnRequest's Issuer is not this application's service provider.")
    assert await dump_tables(saml.world.db) == before


async def test_a_replayed_request_is_refused(saml):
    sp = await saml.service_provider()
    await log_in(saml.client)
    url, request_id = sp.redirect_login()
    first = await saml.client.get(url)
    assert sp.accept(PostedForm.parse(first.text), request_id).errors == []
    after_first = await dump_tables(saml.world.db)

    assert await refused(saml, url) == (
        400, "This sign-in request was answered before; start again from the application.")
    assert await dump_tables(saml.world.db) == after_first


async def test_a_request_too_old_to_answer_is_refused(saml):
    sp = await saml.service_provider()
    await log_in(saml.client)
    url, _ = sp.redirect_login()
    saml.world.clock.advance((600 + 1) * 1000)
    before = await dump_tables(saml.world.db)

    assert await refused(saml, url) == (
        400, "The AuthnRequest has expired; start again from the application.")
    assert await dump_tables(saml.world.db) == before


async def test_a_request_for_an_unknown_idp_is_refused(saml):
    await log_in(saml.client)
    unknown = "/saml/idp/00000000-0000-4000-8000-00000000dead"

    login = await saml.client.get(unknown + "/login")
    metadata = await saml.client.get(unknown + "/metadata")

    assert (login.status_code, message_of(login.text)) == (404, (
        "There is no such SAML identity provider, or its application no longer signs in with SAML."))
    assert metadata.status_code == 404


# --- understood but refused: a SAML error status, no Assertion ------------------------------

@pytest.mark.parametrize("who", ["another company's user", "an unassigned colleague"])
async def test_a_user_without_an_assignment_gets_no_assertion(saml, who):
    company = None if who == "another company's user" else saml.company
    await person(saml.world, company, "eve@example.org", "Eve")
    sp = await saml.service_provider()
    await log_in(saml.client, "eve@example.org")
    url, request_id = sp.redirect_login(relay_state="r")
    before = await dump_tables(saml.world.db)

    idp_initiated = await saml.client.get(saml.login_path)
    sp_initiated = PostedForm.parse((await saml.client.get(url)).text)

    assert (idp_initiated.status_code, message_of(idp_initiated.text)) == (403, NOT_ASSIGNED)
    assert status_and_assertions(sp_initiated) == ([
        "urn:oasis:names:tc:SAML:2.0:status:Responder", "urn:oasis:names:tc:SAML:2.0:status:RequestDenied"], 0)
    assert sp_initiated.fields["RelayState"] == "r"
    assert sp.accept(sp_initiated, request_id) == Accepted(
        ["invalid_response"], f"The status code of the Response was not Success, was Responder -> {NOT_ASSIGNED}")
    assert await dump_tables(saml.world.db) == before


async def test_an_unassigned_user_is_refused_once_the_assignment_ends(saml):
    sp = await saml.service_provider()
    await log_in(saml.client)
    await saml.world.api.data(UNASSIGN, {"s": saml.subscription, "u": saml.ada}, saml.world.admin)
    await answer(saml.world, "SUCCEEDED")
    url, request_id = sp.redirect_login()

    form = PostedForm.parse((await saml.client.get(url)).text)

    assert status_and_assertions(form)[1] == 0
    assert sp.accept(form, request_id).errors == ["invalid_response"]


async def test_a_name_id_format_we_do_not_assert_is_an_invalid_policy(saml):
    sp = await saml.service_provider(name_id_format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent")
    await log_in(saml.client)
    url, _ = sp.redirect_login()

    form = PostedForm.parse((await saml.client.get(url)).text)

    assert status_and_assertions(form) == ([
        "urn:oasis:names:tc:SAML:2.0:status:Responder",
        "urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy"], 0)


async def test_a_passive_request_of_an_anonymous_visitor_is_answered_no_passive(saml):
    sp = await saml.service_provider()
    auth_url, _ = sp.redirect_login()
    passive_url, _ = sp.redirect_login(is_passive=True)

    form = PostedForm.parse((await saml.client.get(passive_url)).text)

    assert status_and_assertions(form) == ([
        "urn:oasis:names:tc:SAML:2.0:status:Responder", "urn:oasis:names:tc:SAML:2.0:status:NoPassive"], 0)
    assert (await saml.client.get(auth_url)).status_code == 303  # not passive: to the login page


# --- the validity window -------------------------------------------------------------------

async def test_the_sp_refuses_an_assertion_past_its_window(saml):
    sp = await saml.service_provider()
    await log_in(saml.client)
    url, request_id = sp.redirect_login()
    form = PostedForm.parse((await saml.client.get(url)).text)
    assert sp.accept(form, request_id).errors == []

    # notAfterMinutes is 10; python3-saml allows 300 s of clock drift on Conditions.
    saml.world.clock.advance((10 * 60 + 300) * 1000)

    assert sp.accept(form, request_id) == Accepted(
        ["invalid_response"], "Could not validate timestamp: expired. Check system clock.")


async def test_the_sp_refuses_an_assertion_before_its_window(saml):
    sp = await saml.service_provider()
    await log_in(saml.client)
    form = PostedForm.parse((await saml.client.get(saml.login_path)).text)

    # notBeforeMinutes is 2: an SP whose clock is 2 minutes + its drift behind ours refuses.
    saml.world.clock.advance(-(2 * 60 + 300 + 1) * 1000)

    assert sp.accept(form) == Accepted(
        ["invalid_response"], "Could not validate timestamp: not yet valid. Check system clock.")


async def test_a_configuration_with_problems_is_not_used(db, monkeypatch):
    async with saml_world(db, monkeypatch, assertionConsumerServiceUrl="YOUR_ACS_URL") as saml:
        await log_in(saml.client)

        response = await saml.client.get(saml.login_path)

        assert (response.status_code, message_of(response.text)) == (409, (
            "This application's SAML configuration cannot be used: "
            "assertionConsumerServiceUrl must be an absolute http(s) URL."))

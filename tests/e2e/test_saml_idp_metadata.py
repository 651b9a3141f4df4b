"""The IdPs an order makes, the order event's ``samlIdp`` link, and the metadata behind it (JSON
by default, SAML metadata XML on request, read by python3-saml's metadata parser and checked
against the SAML metadata schema); the signing key is encrypted at rest."""

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from onelogin.saml2.xml_utils import OneLogin_Saml2_XML
from sqlalchemy import select

from marketlink.storage.tables import saml_identity_providers
from tests.api.test_subscription_lifecycle import events
from tests.e2e.saml_world import BASE, active_subscription, saml_world
from tests.helpers import START_MS

REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"


async def idp_rows(saml) -> list[dict]:
    async with saml.world.db.read() as conn:
        rows = await conn.execute(select(saml_identity_providers).order_by(saml_identity_providers.c.created_on,
                                                                           saml_identity_providers.c.id))
        return [dict(r) for r in rows.mappings()]


def pem_body(pem: str) -> str:
    return "".join(line for line in pem.strip().splitlines() if not line.startswith("-----"))


@pytest.mark.parametrize("method,shared", [("PER_SUBSCRIPTION", False), ("PER_MARKETPLACE", True),
                                           ("PER_ENVIRONMENT", True)])
async def test_each_order_links_to_its_idp_as_the_creation_method_says(db, monkeypatch, method, shared):
    async with saml_world(db, monkeypatch, idpConfigurationCreationMethod=method) as saml:
        second = await active_subscription(saml.world, saml.product, saml.company, saml.ada)
        [order, *_] = await events(saml.world, second)

        rows = await idp_rows(saml)
        first_idp = next(r for r in rows if r["subscription_id"] in (saml.subscription, None))
        assert saml.metadata_url == f"{BASE}/saml/idp/{first_idp['id']}/metadata"
        if shared:
            assert rows == [first_idp]
            assert order["document"]["links"] == [{"rel": "samlIdp", "href": saml.metadata_url}]
            assert (first_idp["subscription_id"], first_idp["scope_key"]) == (None, method)
        else:
            [second_idp] = [r for r in rows if r is not first_idp]
            assert order["document"]["links"] == [
                {"rel": "samlIdp", "href": f"{BASE}/saml/idp/{second_idp['id']}/metadata"}]
            assert (first_idp["subscription_id"], first_idp["scope_key"]) == (saml.subscription, saml.subscription)
            assert (second_idp["subscription_id"], second_idp["scope_key"]) == (second, second)
        assert (first_idp["creation_method"], first_idp["certificate"], first_idp["private_key"]) == (
            method, None, None)  # the key is made at first need


async def test_metadata_is_json_by_default(db, monkeypatch):
    async with saml_world(db, monkeypatch) as saml:
        response = await saml.client.get(saml.metadata_url)

        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        body = response.json()
        entity = BASE + saml.idp_path
        certificate = body.pop("certificate")
        assert body == {
            "entityId": entity, "metadataUrl": entity + "/metadata", "ssoUrl": entity + "/sso",
            "singleSignOnServices": [{"binding": REDIRECT, "location": entity + "/sso"},
                                     {"binding": POST, "location": entity + "/sso"}],
            "idpInitiatedLoginUrl": entity + "/login",
            "nameIdFormats": ["urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"],
            "wantAuthnRequestsSigned": False,
        }
        parsed = x509.load_pem_x509_certificate(certificate.encode())
        assert parsed.subject.rfc4514_string() == f"O=MARKETLINK,CN=MarketLink SAML IdP {saml.idp_path.rsplit('/', 1)[1]}"
        assert parsed.not_valid_before_utc.timestamp() * 1000 == START_MS - 86_400_000


async def test_metadata_xml_is_valid_and_read_by_an_sp_library(db, monkeypatch):
    async with saml_world(db, monkeypatch) as saml:
        as_json = (await saml.client.get(saml.metadata_url)).json()

        response = await saml.client.get(saml.metadata_url,
                                          headers={"Accept": "application/samlmetadata+xml"})

        assert response.headers["content-type"] == "application/samlmetadata+xml"
        assert not isinstance(OneLogin_Saml2_XML.validate_xml(response.text, "saml-schema-metadata-2.0.xsd"), str)
        for binding in (REDIRECT, POST):
            idp = OneLogin_Saml2_IdPMetadataParser.parse(response.text, required_sso_binding=binding)["idp"]
            assert idp == {"entityId": as_json["entityId"], "x509cert": pem_body(as_json["certificate"]),
                           "singleSignOnService": {"url": as_json["ssoUrl"], "binding": binding}}


async def test_the_signing_key_is_made_once_and_encrypted_at_rest(db, monkeypatch):
    async with saml_world(db, monkeypatch) as saml:
        first = (await saml.client.get(saml.metadata_url)).json()["certificate"]
        second = (await saml.client.get(saml.metadata_url)).json()["certificate"]

        [row] = await idp_rows(saml)
        assert first == second == row["certificate"]
        assert row["keys_created_on"] == START_MS
        assert row["private_key"].startswith("v1:") and "PRIVATE KEY" not in row["private_key"]
        private = serialization.load_pem_private_key(
            saml.world.services.keyring.decrypt(row["private_key"]).encode(), password=None)
        public = x509.load_pem_x509_certificate(first.encode()).public_key()
        assert private.public_key().public_numbers() == public.public_numbers()


async def test_an_integration_that_no_longer_signs_in_with_saml_has_no_metadata(db, monkeypatch):
    async with saml_world(db, monkeypatch) as saml:
        await saml.world.api.data("""mutation($i: ID!) {
          removeProductIntegrationSsoConfiguration(input: {integrationConfigurationId: $i}) { userErrors { message } }
          publishProductIntegration(input: {integrationId: $i}) { userErrors { message } } }""",
                                  {"i": saml.integration}, saml.world.dev_a)

        response = await saml.client.get(saml.metadata_url)

        assert response.status_code == 404
        assert response.json()["error"] == "not_found"

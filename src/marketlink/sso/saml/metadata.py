"""What a service provider needs to trust an IdP: its entity ID, SSO URL for both bindings,
signing certificate and NameID format. As JSON (the default) or as SAML metadata XML
(``EntityDescriptor`` / ``IDPSSODescriptor``, SAML metadata §2.4.3), unsigned: it is served over
the same channel the SP already trusts for the order event's link.
"""

from typing import Any

from lxml import etree

from marketlink.domain.saml_idps import Urls
from marketlink.sso.saml.responses import NAME_ID_FORMATS

MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol"
HTTP_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
HTTP_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
XML_MEDIA_TYPE = "application/samlmetadata+xml"


def certificate_body(certificate_pem: str) -> str:
    """The base64 DER of a PEM certificate, on one line (as ``ds:X509Certificate`` carries it)."""
    lines = certificate_pem.strip().splitlines()
    return "".join(line for line in lines if not line.startswith("-----"))


def as_json(urls: Urls, certificate_pem: str, name_id_format: str) -> dict[str, Any]:
    return {
        "entityId": urls.entity_id,
        "metadataUrl": urls.metadata,
        "ssoUrl": urls.sso,
        "singleSignOnServices": [{"binding": HTTP_REDIRECT, "location": urls.sso},
                                 {"binding": HTTP_POST, "location": urls.sso}],
        "idpInitiatedLoginUrl": urls.login,
        "certificate": certificate_pem,
        "nameIdFormats": [NAME_ID_FORMATS[name_id_format]],
        "wantAuthnRequestsSigned": False,
    }


def as_xml(urls: Urls, certificate_pem: str, name_id_format: str) -> bytes:
    root = etree.Element(f"{{{MD}}}EntityDescriptor", nsmap={"md": MD, "ds": DS},
                         entityID=urls.entity_id)
    idp = etree.SubElement(root, f"{{{MD}}}IDPSSODescriptor", WantAuthnRequestsSigned="false",
                           protocolSupportEnumeration=PROTOCOL)
    key = etree.SubElement(idp, f"{{{MD}}}KeyDescriptor", use="signing")
    data = etree.SubElement(etree.SubElement(key, f"{{{DS}}}KeyInfo"), f"{{{DS}}}X509Data")
    etree.SubElement(data, f"{{{DS}}}X509Certificate").text = certificate_body(certificate_pem)
    # Schema order: KeyDescriptor, NameIDFormat, then SingleSignOnService.
    etree.SubElement(idp, f"{{{MD}}}NameIDFormat").text = NAME_ID_FORMATS[name_id_format]
    for binding in (HTTP_REDIRECT, HTTP_POST):
        etree.SubElement(idp, f"{{{MD}}}SingleSignOnService", Binding=binding, Location=urls.sso)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")

"""Enveloped XML signatures of the Response, the Assertion or both (signxml, docs/adr/0013):
RSA with SHA-256 or SHA-512 (SHA-1 only when the configuration asks for it), exclusive
canonicalization, and the IdP's certificate in ``KeyInfo``.

Each signature goes right after the signed element's Issuer, where the schema wants it
(signxml fills an empty ``ds:Signature Id="placeholder"`` put there). The Assertion is signed
first, so that a signed Response covers the Assertion's signature too.
"""

from lxml import etree
from signxml import CanonicalizationMethod, DigestAlgorithm, SignatureMethod, XMLSigner

from marketlink.sso.saml.keys import SigningKey

DS = "http://www.w3.org/2000/09/xmldsig#"
SAML_ASSERTION = "{urn:oasis:names:tc:SAML:2.0:assertion}Assertion"
ALGORITHMS = {
    "RSA_SHA1": (SignatureMethod.RSA_SHA1, DigestAlgorithm.SHA1),
    "RSA_SHA256": (SignatureMethod.RSA_SHA256, DigestAlgorithm.SHA256),
    "RSA_SHA512": (SignatureMethod.RSA_SHA512, DigestAlgorithm.SHA512),
}
# responseSignatureMode -> (sign the Response, sign the Assertion)
MODES = {"RESPONSE": (True, False), "ASSERTION": (False, True),
         "RESPONSE_AND_ASSERTION": (True, True)}


class _Sha1Signer(XMLSigner):
    """signxml refuses SHA-1 unless this check is overridden (its documented way); we allow it
    only for configurations that chose ``RSA_SHA1``, for service providers that know nothing
    newer."""

    def check_deprecated_methods(self) -> None:
        return None


def signer(algorithm: str) -> XMLSigner:
    signature, digest = ALGORITHMS[algorithm]
    make = _Sha1Signer if algorithm == "RSA_SHA1" else XMLSigner
    return make(signature_algorithm=signature, digest_algorithm=digest,
                c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0)


def signed_response(response: etree._Element, key: SigningKey, algorithm: str, *,
                    sign_response: bool, sign_assertion: bool) -> bytes:
    """The Response as bytes with the signatures asked for. A Response without an Assertion
    (a refusal) is signed as a Response whatever the mode."""
    assertion = response.find(SAML_ASSERTION)
    if assertion is not None and sign_assertion:
        response = _sign(response, assertion, key, algorithm)
    if sign_response or assertion is None:
        response = _sign(response, response, key, algorithm)
    return etree.tostring(response, encoding="utf-8")


def _sign(root: etree._Element, element: etree._Element, key: SigningKey,
          algorithm: str) -> etree._Element:
    """A new tree (signxml copies) where ``element`` is signed."""
    element.insert(1, etree.Element(f"{{{DS}}}Signature", nsmap={"ds": DS}, Id="placeholder"))
    return signer(algorithm).sign(root, key=key.private_key, cert=key.certificate,
                                  reference_uri="#" + element.get("ID"), id_attribute="ID")

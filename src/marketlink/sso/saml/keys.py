"""Each IdP's signing key: RSA 2048 and a self-signed X.509 certificate (docs/adr/0013).

Made at first need (the first metadata fetch or sign-in), in a worker thread and outside any
transaction; the private key is stored as PKCS#8 PEM encrypted with the keyring (AES-256-GCM).
Two processes making the first key at once both compute one; the first stored wins and the
other is dropped. Loaded keys are cached by IdP id (decrypting and parsing costs ~1 ms).
"""

import asyncio
import datetime
import secrets
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from marketlink.domain.saml_idps import IdentityProvider
from marketlink.domain.services import Services
from marketlink.storage import saml as store
from marketlink.storage.database import Database

KEY_BITS = 2048
CERTIFICATE_DAYS = 3650
BACKDATE = datetime.timedelta(days=1)  # relying parties with a slow clock accept it at once
MAX_CACHED_KEYS = 256


@dataclass(frozen=True)
class SigningKey:
    private_key: rsa.RSAPrivateKey
    certificate: str  # PEM


def new_key_pair(common_name: str, organization: str, now_ms: int) -> tuple[str, str]:
    """(private key PEM, certificate PEM): about 0.1 s of CPU, so callers use a thread."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64]),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization[:64])])
    start = datetime.datetime.fromtimestamp(now_ms / 1000, tz=datetime.UTC) - BACKDATE
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(key.public_key())
                   .serial_number(int.from_bytes(secrets.token_bytes(16), "big") >> 1)
                   .not_valid_before(start)
                   .not_valid_after(start + datetime.timedelta(days=CERTIFICATE_DAYS))
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                                key_encipherment=False, data_encipherment=False,
                                                key_agreement=False, key_cert_sign=False,
                                                crl_sign=False, encipher_only=False,
                                                decipher_only=False), critical=True)
                   .sign(key, hashes.SHA256()))
    private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode()
    return private_pem, certificate.public_bytes(serialization.Encoding.PEM).decode()


class IdpKeys:
    """Reads, makes and caches IdP signing keys."""

    def __init__(self, db: Database, services: Services) -> None:
        self.db, self.services = db, services
        self._loaded: dict[str, SigningKey] = {}

    async def certificate(self, idp: IdentityProvider) -> str:
        """The IdP's certificate PEM, making its key first if it has none."""
        return (await self._stored(idp)).certificate or ""

    async def signing_key(self, idp: IdentityProvider) -> SigningKey:
        cached = self._loaded.get(idp.id)
        if cached is not None:
            return cached
        stored = await self._stored(idp)
        plain = self.services.keyring.decrypt(stored.private_key or "")
        key = serialization.load_pem_private_key(plain.encode(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        if len(self._loaded) >= MAX_CACHED_KEYS:
            self._loaded.clear()
        self._loaded[idp.id] = SigningKey(key, stored.certificate or "")
        return self._loaded[idp.id]

    async def _stored(self, idp: IdentityProvider) -> IdentityProvider:
        if idp.certificate is not None:
            return idp
        private_pem, certificate = await asyncio.to_thread(
            new_key_pair, f"MarketLink SAML IdP {idp.id}", self.services.settings.partner,
            self.services.clock.now_ms())
        async with self.db.write() as conn:
            await store.set_keys_unless_set(conn, idp.id, self.services.keyring.encrypt(private_pem),
                                            certificate, self.services.clock.now_ms())
            row = await store.idp_by_id(conn, idp.id)
        return IdentityProvider.from_row(row)

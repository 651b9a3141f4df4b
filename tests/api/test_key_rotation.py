"""``marketlink keys rotate`` (domain/key_rotation.py): every stored secret is re-encrypted with
the key that encrypts now, keeps its plaintext, and a second run has nothing to do."""

import pytest
from sqlalchemy import select

from marketlink.crypto import Keyring, key_id
from marketlink.domain.key_rotation import Rotated, rotate_encryption
from marketlink.domain.services import Services
from marketlink.sso.oidc.keys import SigningKeys
from marketlink.storage.tables import integration_versions, oidc_signing_keys, webhook_secrets
from tests.api.test_webhook_secrets import CREATE, ROTATE

NEW_KEY = bytes(range(7, 39))
CREDENTIALS = """mutation($id: ID!) { updateProductIntegration(input: {id: $id, outboundCredentials: {
  type: OAUTH2, clientId: "cid", clientSecret: "the-client-secret", tokenUri: "https://host.example/token",
  grantType: client_credentials}}) { userErrors { message } } }"""


async def stored_secrets(world) -> list[str]:
    async with world.db.read() as conn:
        return [
            (await conn.execute(select(integration_versions.c.credentials_secret)
                                .where(integration_versions.c.credentials_secret.is_not(None)))).scalar_one(),
            (await conn.execute(select(webhook_secrets.c.secret))).scalar_one(),
            (await conn.execute(select(oidc_signing_keys.c.private_jwk))).scalar_one(),
        ]


@pytest.fixture
async def secrets_stored(world):
    """An outbound client secret, a webhook signing secret and an OpenID signing key, all
    encrypted with the key derived from the secret key."""
    integration = (await world.api.data(CREATE, token=world.dev_a))["createProductIntegration"]["productIntegration"]["id"]
    assert (await world.api.data(CREDENTIALS, {"id": integration}, world.dev_a))[
        "updateProductIntegration"]["userErrors"] == []
    await world.api.data(ROTATE, {"id": integration}, world.dev_a)
    await SigningKeys(world.db, world.services).rotate()
    return [world.services.keyring.decrypt(value) for value in await stored_secrets(world)]


async def test_rotation_re_encrypts_every_secret_with_the_new_key(world, secrets_stored):
    rotated = Services(world.settings, Keyring(world.settings.secret_key_bytes(), (NEW_KEY,)), world.clock)

    report = await rotate_encryption(world.db, rotated)
    again = await rotate_encryption(world.db, rotated)

    assert report == [Rotated("integration_versions.credentials_secret", 1, 0),
                      Rotated("webhook_secrets.secret", 1, 0), Rotated("oidc_signing_keys.private_jwk", 1, 0),
                      Rotated("oidc_clients.secret_encrypted", 0, 0),
                      Rotated("saml_identity_providers.private_key", 0, 0)]
    assert [r.re_encrypted for r in again] == [0, 0, 0, 0, 0]
    assert [r.already_current for r in again] == [1, 1, 1, 0, 0]
    stored = await stored_secrets(world)
    assert all(value.startswith(f"v2:{key_id(NEW_KEY)}:") for value in stored)
    assert [rotated.keyring.decrypt(value) for value in stored] == secrets_stored
    assert secrets_stored[0] == "the-client-secret"


async def test_a_secret_of_an_unconfigured_key_stops_the_rotation_and_names_the_key(world, secrets_stored):
    await rotate_encryption(world.db, Services(
        world.settings, Keyring(world.settings.secret_key_bytes(), (NEW_KEY,)), world.clock))
    without_it = Services(world.settings, Keyring(world.settings.secret_key_bytes(), (bytes(range(9, 41)),)),
                          world.clock)

    with pytest.raises(ValueError) as stopped:
        await rotate_encryption(world.db, without_it)

    assert str(stopped.value).startswith(f"encrypted with key {key_id(NEW_KEY)}, which is not among")
    assert all(value.startswith(f"v2:{key_id(NEW_KEY)}:") for value in await stored_secrets(world))

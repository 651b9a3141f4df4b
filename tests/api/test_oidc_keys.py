"""The provider's signing keys: made on first need, encrypted at rest, rotated, published at
/oauth2/certs until the id_tokens they signed have expired; on SQLite and PostgreSQL."""

import json

from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import select

from marketlink.sso.oidc.keys import SigningKeys
from marketlink.storage.tables import oidc_signing_keys
from tests.helpers import START_MS

HOUR_MS = 3_600_000
SKEW_MS = 300_000


async def key_rows(db) -> list[dict]:
    async with db.read() as conn:
        query = select(oidc_signing_keys).order_by(oidc_signing_keys.c.created_on)
        return [dict(r) for r in (await conn.execute(query)).mappings()]


async def test_the_first_key_is_made_on_first_need_and_published(world):
    assert await key_rows(world.db) == []

    response = await world.api.client.get("/oauth2/certs")

    [row] = await key_rows(world.db)
    [published] = response.json()["keys"]
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=300"
    assert published == row["public_jwk"]
    assert {k: published[k] for k in ("kty", "alg", "use", "kid")} == {
        "kty": "RSA", "alg": "RS256", "use": "sig", "kid": row["kid"]}
    assert set(published) == {"kty", "alg", "use", "kid", "n", "e"}  # no private part
    assert (row["created_on"], row["retired_on"], row["expires_on"]) == (START_MS, None, None)


async def test_the_private_key_is_stored_encrypted(world):
    keys = SigningKeys(world.db, world.services)
    signing = await keys.signing_key()

    [row] = await key_rows(world.db)
    assert row["private_jwk"].startswith("v1:")
    assert '"d"' not in row["private_jwk"] and signing.as_dict(private=True)["d"] not in row["private_jwk"]
    assert json.loads(world.services.keyring.decrypt(row["private_jwk"])) == signing.as_dict(private=True)


async def test_the_same_key_signs_until_rotation(world):
    keys = SigningKeys(world.db, world.services)

    first = await keys.signing_key()
    again = await SigningKeys(world.db, world.services).signing_key()  # another process

    assert first.kid == again.kid
    assert len(await key_rows(world.db)) == 1


async def test_rotation_signs_with_the_new_key_and_keeps_the_old_one_published(world):
    keys = SigningKeys(world.db, world.services)
    old = await keys.signing_key()
    world.clock.advance(1000)

    new_kid = await keys.rotate()

    assert (await keys.signing_key()).kid == new_kid != old.kid
    rows = await key_rows(world.db)
    assert [(r["kid"], r["retired_on"], r["expires_on"]) for r in rows] == [
        (old.kid, START_MS + 1000, START_MS + 1000 + HOUR_MS + SKEW_MS), (new_kid, None, None)]
    published = (await world.api.client.get("/oauth2/certs")).json()["keys"]
    assert [k["kid"] for k in published] == [new_kid, old.kid]


async def test_a_retired_key_is_dropped_once_its_tokens_have_expired(world):
    keys = SigningKeys(world.db, world.services)
    old = await keys.signing_key()
    new_kid = await keys.rotate()  # at the same millisecond: published newest first all the same

    world.clock.advance(HOUR_MS + SKEW_MS - 1)
    before = [k["kid"] for k in (await keys.published())["keys"]]
    world.clock.advance(1)
    after = [k["kid"] for k in (await keys.published())["keys"]]

    assert before == [new_kid, old.kid]
    assert after == [new_kid]


async def test_a_token_signed_before_rotation_still_verifies_with_the_published_keys(world):
    keys = SigningKeys(world.db, world.services)
    old = await keys.signing_key()
    token = jwt.encode({"alg": "RS256", "kid": old.kid}, {"sub": "u"}, old, algorithms=["RS256"])
    await keys.rotate()

    published = KeySet.import_key_set((await world.api.client.get("/oauth2/certs")).json())

    assert jwt.decode(token, published, algorithms=["RS256"]).claims == {"sub": "u"}


async def test_rotating_twice_deletes_keys_long_expired(world):
    keys = SigningKeys(world.db, world.services)
    first = await keys.signing_key()
    second = await keys.rotate()
    world.clock.advance(2 * HOUR_MS)

    third = await keys.rotate()

    assert [r["kid"] for r in await key_rows(world.db)] == [second, third]
    assert first.kid not in {second, third}

"""``POST /oauth2/token`` for relying parties (authorization_code with PKCE, refresh_token with
rotation) and ``/oauth2/userinfo``: the id_token verified with the published keys, the claims
each scope gives, and every refusal with its standard error and nothing issued."""

import asyncio
import base64
import hashlib

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import select

from marketlink.storage.tables import oidc_codes, oidc_tokens, web_sessions
from tests.api.oidc_support import PASSWORD, REDIRECT, assigned, bought, client_of, oidc_app, person
from tests.api.test_oidc_authorize import authorize, params, redirected, world  # noqa: F401 (fixture)
from tests.api.test_protocol import basic
from tests.api.test_subscription_lifecycle import answer
from tests.api.test_assignments import unassign
from tests.api.test_web_logins import log_in
from tests.helpers import START_MS, dump_tables

BASE = "http://127.0.0.1:8000"
VERIFIER = "dBjftJeZ4CVP-mJ0cBj4Vcw2YScrQaz7ZCb7ePdAqEk"
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()


@pytest.fixture
async def rp(world):
    """Ada (buyer of the subscription) logged in and assigned; the host's client."""
    app = await oidc_app(world)
    ada = await person(world, "ada@one.example")
    subscription = await bought(world, app, ada)
    await assigned(world, subscription, ada)
    await log_in(world.api.client, "ada@one.example", PASSWORD)
    await world.api.client.get("/oauth2/certs")  # as relying parties do first: the key exists
    return app, ada, subscription, await client_of(world, app, subscription)


async def code_for(world, client: dict, **extra) -> str:
    response = await authorize(world.api.client, params(client, **extra))
    return redirected(response)[1]["code"]


async def session_sid(world) -> str:
    """The OpenID session id of the test's one login session (32 hex digits)."""
    async with world.db.read() as conn:
        sid = (await conn.execute(select(web_sessions.c.sid))).scalar_one()
    assert len(sid) == 32 and int(sid, 16) >= 0
    return sid


async def exchange(world, client: dict, code: str, secret: str | None = None, **form):
    return await world.api.client.post("/oauth2/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT} | form,
        headers=basic(client["clientId"], secret or client["clientSecret"]))


async def refresh(world, client: dict, refresh_token: str):
    return await world.api.client.post("/oauth2/token", data={
        "grant_type": "refresh_token", "refresh_token": refresh_token},
        headers=basic(client["clientId"], client["clientSecret"]))


async def userinfo(world, access_token: str, method: str = "GET"):
    return await world.api.client.request(method, "/oauth2/userinfo",
                                          headers={"Authorization": f"Bearer {access_token}"})


async def verified(world, id_token: str, client: dict, nonce: str = "n0nce") -> dict:
    keys = KeySet.import_key_set((await world.api.client.get("/oauth2/certs")).json())
    token = jwt.decode(id_token, keys, algorithms=["RS256"])
    jwt.JWTClaimsRegistry(now=world.clock.now_ms() // 1000, iss={"essential": True, "value": BASE},
                          aud={"essential": True, "value": client["clientId"]},
                          nonce={"essential": True, "value": nonce},
                          sub={"essential": True}, exp={"essential": True}).validate(token.claims)
    assert token.header["kid"] == keys.keys[0].kid
    return token.claims


def error_of(response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]


async def token_rows(db) -> list[dict]:
    async with db.read() as conn:
        return [dict(r) for r in (await conn.execute(select(oidc_tokens).order_by(oidc_tokens.c.issued_on))).mappings()]


def at_hash(access_token: str) -> str:
    digest = hashlib.sha256(access_token.encode()).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


# --- The code exchanged

async def test_the_code_buys_tokens_and_a_signed_id_token(world, rp):
    app, ada, subscription, client = rp
    code = await code_for(world, client)
    world.clock.advance(2000)

    response = await exchange(world, client, code)

    body = response.json()
    assert response.status_code == 200
    assert (response.headers["cache-control"], response.headers["pragma"]) == ("no-store", "no-cache")
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token", "scope", "id_token"}
    assert (body["token_type"], body["expires_in"], body["scope"]) == ("Bearer", 3600, "openid email profile")
    assert body["access_token"].startswith("mloa_") and body["refresh_token"].startswith("mlor_")
    now_s = (START_MS + 2000) // 1000
    assert await verified(world, body["id_token"], client) == {
        "iss": BASE, "sub": ada.id, "aud": [client["clientId"]], "iat": now_s, "exp": now_s + 3600,
        "auth_time": START_MS // 1000, "nonce": "n0nce", "at_hash": at_hash(body["access_token"]),
        "name": "Ada Lovelace", "given_name": "Ada", "family_name": "Lovelace", "locale": "en-GB",
        "company_id": ada.company_id, "company_name": "Ada's company", "email": "ada@one.example",
        "email_verified": False, "sid": await session_sid(world)}


async def test_the_tokens_are_stored_as_keyed_hashes_and_the_code_is_spent(world, rp):
    _, ada, subscription, client = rp
    code = await code_for(world, client)

    body = (await exchange(world, client, code)).json()

    [row] = await token_rows(world.db)
    keyring = world.services.keyring
    assert (row["access_token_hash"], row["refresh_token_hash"]) == (
        keyring.keyed_hash(body["access_token"]), keyring.keyed_hash(body["refresh_token"]))
    assert {k: row[k] for k in ("user_id", "subscription_id", "scope", "access_expires_on",
                                "refresh_expires_on", "revoked_on")} == {
        "user_id": ada.id, "subscription_id": subscription, "scope": "openid email profile",
        "access_expires_on": START_MS + 3_600_000, "refresh_expires_on": START_MS + 30 * 86_400_000,
        "revoked_on": None}
    async with world.db.read() as conn:
        [used_on] = (await conn.execute(select(oidc_codes.c.used_on))).scalars()
    assert used_on == START_MS
    assert body["access_token"] not in repr(await dump_tables(world.db))


async def test_client_secret_post_works_too(world, rp):
    *_, client = rp
    code = await code_for(world, client)

    response = await world.api.client.post("/oauth2/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
        "client_id": client["clientId"], "client_secret": client["clientSecret"]})

    assert response.status_code == 200 and "id_token" in response.json()


@pytest.mark.parametrize("scope, claims", [
    ("openid", {"sub"}),
    ("openid email", {"sub", "email", "email_verified"}),
    ("openid roles", {"sub", "roles"}),
])
async def test_each_scope_gives_its_claims(world, rp, scope, claims):
    *_, client = rp
    body = (await exchange(world, client, await code_for(world, client, scope=scope))).json()

    info = (await userinfo(world, body["access_token"])).json()
    id_claims = await verified(world, body["id_token"], client)

    assert set(info) == claims
    assert {k: id_claims[k] for k in claims} == info
    if "roles" in claims:
        assert info["roles"] == ["USER", "ADMIN"]  # Ada bought the subscription


async def test_userinfo_answers_get_and_post_with_the_bearer_token(world, rp):
    _, ada, _, client = rp
    body = (await exchange(world, client, await code_for(world, client))).json()

    got = await userinfo(world, body["access_token"])
    posted = await userinfo(world, body["access_token"], "POST")

    assert got.status_code == posted.status_code == 200
    assert got.json() == posted.json() == {
        "sub": ada.id, "name": "Ada Lovelace", "given_name": "Ada", "family_name": "Lovelace",
        "locale": "en-GB", "company_id": ada.company_id, "company_name": "Ada's company",
        "email": "ada@one.example", "email_verified": False}


async def test_an_assigned_colleague_has_the_user_role_only(world, rp):
    app, ada, subscription, client = rp
    grace = await person(world, "grace@one.example", company=ada.company_id, first="Grace")
    await assigned(world, subscription, grace)
    world.api.client.cookies.clear()
    await log_in(world.api.client, "grace@one.example", PASSWORD)

    body = (await exchange(world, client, await code_for(world, client, scope="openid roles"))).json()

    assert (await userinfo(world, body["access_token"])).json() == {"sub": grace.id, "roles": ["USER"]}


async def test_pkce_s256_verifies(world, rp):
    *_, client = rp
    code = await code_for(world, client, code_challenge=CHALLENGE, code_challenge_method="S256")

    response = await exchange(world, client, code, code_verifier=VERIFIER)

    assert response.status_code == 200


# --- Refusals: the standard error, and nothing issued

async def test_a_wrong_client_secret_is_invalid_client(world, rp):
    *_, client = rp
    code = await code_for(world, client)
    before = await dump_tables(world.db)

    response = await exchange(world, client, code, secret="not-the-secret")

    assert error_of(response) == (401, "invalid_client")
    assert response.headers["www-authenticate"].startswith('Basic error="invalid_client"')
    assert await dump_tables(world.db) == before


@pytest.mark.parametrize("form, expected", [
    ({"code_verifier": "x" * 43}, (400, "invalid_grant")),  # wrong verifier
    ({}, (400, "invalid_request")),  # a challenge was made, no verifier
])
async def test_pkce_mismatch_issues_nothing(world, rp, form, expected):
    *_, client = rp
    code = await code_for(world, client, code_challenge=CHALLENGE, code_challenge_method="S256")
    before = await dump_tables(world.db)

    response = await exchange(world, client, code, **form)

    assert error_of(response) == expected
    assert await dump_tables(world.db) == before


async def test_a_verifier_without_a_challenge_is_refused(world, rp):
    *_, client = rp
    code = await code_for(world, client)

    assert error_of(await exchange(world, client, code, code_verifier=VERIFIER)) == (400, "invalid_request")


async def test_an_expired_code_is_invalid_grant(world, rp):
    *_, client = rp
    code = await code_for(world, client)
    world.clock.advance(60_000)
    before = await dump_tables(world.db)

    response = await exchange(world, client, code)

    assert error_of(response) == (400, "invalid_grant")
    assert await dump_tables(world.db) == before


async def test_a_code_just_before_expiry_still_works(world, rp):
    *_, client = rp
    code = await code_for(world, client)
    world.clock.advance(59_999)

    assert (await exchange(world, client, code)).status_code == 200


async def test_a_reused_code_is_refused_and_revokes_what_it_bought(world, rp):
    *_, client = rp
    code = await code_for(world, client)
    first = (await exchange(world, client, code)).json()
    world.clock.advance(1000)

    again = await exchange(world, client, code)

    assert error_of(again) == (400, "invalid_grant")
    assert [(r["revoked_on"]) for r in await token_rows(world.db)] == [START_MS + 1000]
    assert error_of(await userinfo(world, first["access_token"])) == (401, "invalid_token")
    assert error_of(await refresh(world, client, first["refresh_token"])) == (400, "invalid_grant")


async def test_a_wrong_redirect_uri_at_the_token_endpoint_is_invalid_grant(world, rp):
    *_, client = rp
    code = await code_for(world, client)
    before = await dump_tables(world.db)

    response = await exchange(world, client, code, redirect_uri="https://rp.example/other")

    assert error_of(response) == (400, "invalid_grant")
    assert await dump_tables(world.db) == before


async def test_another_clients_code_is_invalid_grant(world, rp):
    app, ada, _, client = rp
    other = await bought(world, app, ada)
    await assigned(world, other, ada)
    other_client = await client_of(world, app, other)
    code = await code_for(world, client)

    response = await exchange(world, other_client, code)

    assert error_of(response) == (400, "invalid_grant")
    assert await token_rows(world.db) == []


async def test_an_unknown_code_is_invalid_grant(world, rp):
    *_, client = rp

    assert error_of(await exchange(world, client, "no-such-code")) == (400, "invalid_grant")


async def test_a_user_unassigned_before_the_exchange_gets_nothing(world, rp):
    _, ada, subscription, client = rp
    code = await code_for(world, client)
    await unassign(world, subscription, ada.id)
    await answer(world, "SUCCEEDED")

    response = await exchange(world, client, code)

    assert error_of(response) == (400, "invalid_grant")
    assert await token_rows(world.db) == []


# --- Refresh tokens rotate

async def test_a_refresh_rotates_the_pair(world, rp):
    _, ada, _, client = rp
    first = (await exchange(world, client, await code_for(world, client))).json()
    world.clock.advance(1000)

    response = await refresh(world, client, first["refresh_token"])

    second = response.json()
    assert response.status_code == 200
    assert set(second) == {"access_token", "token_type", "expires_in", "refresh_token", "scope"}
    assert second["refresh_token"] != first["refresh_token"]
    assert [r["revoked_on"] for r in await token_rows(world.db)] == [START_MS + 1000, None]
    assert (await userinfo(world, second["access_token"])).json()["sub"] == ada.id
    assert error_of(await userinfo(world, first["access_token"])) == (401, "invalid_token")


async def test_a_replayed_refresh_token_revokes_the_whole_chain(world, rp):
    *_, client = rp
    first = (await exchange(world, client, await code_for(world, client))).json()
    second = (await refresh(world, client, first["refresh_token"])).json()

    replay = await refresh(world, client, first["refresh_token"])

    assert error_of(replay) == (400, "invalid_grant")
    assert all(r["revoked_on"] is not None for r in await token_rows(world.db))
    assert error_of(await userinfo(world, second["access_token"])) == (401, "invalid_token")


async def test_a_refresh_by_another_client_is_invalid_grant(world, rp):
    app, ada, _, client = rp
    other = await bought(world, app, ada)
    other_client = await client_of(world, app, other)
    first = (await exchange(world, client, await code_for(world, client))).json()

    assert error_of(await refresh(world, other_client, first["refresh_token"])) == (400, "invalid_grant")


async def test_without_the_refresh_grant_no_refresh_token_is_issued(world):
    app = await oidc_app(world, grantTypes=["AUTHORIZATION_CODE"])
    ada = await person(world, "ada@one.example")
    subscription = await bought(world, app, ada)
    await assigned(world, subscription, ada)
    client = await client_of(world, app, subscription)
    await log_in(world.api.client, "ada@one.example", PASSWORD)

    body = (await exchange(world, client, await code_for(world, client))).json()

    assert "refresh_token" not in body and "id_token" in body


async def test_a_user_who_lost_access_cannot_refresh_nor_read_userinfo(world, rp):
    _, ada, subscription, client = rp
    tokens = (await exchange(world, client, await code_for(world, client))).json()
    await unassign(world, subscription, ada.id)
    await answer(world, "SUCCEEDED")

    assert error_of(await refresh(world, client, tokens["refresh_token"])) == (400, "invalid_grant")
    assert error_of(await userinfo(world, tokens["access_token"])) == (401, "invalid_token")


async def test_an_expired_access_token_is_refused_by_userinfo(world, rp):
    *_, client = rp
    tokens = (await exchange(world, client, await code_for(world, client))).json()
    world.clock.advance(3_600_000)

    response = await userinfo(world, tokens["access_token"])

    assert error_of(response) == (401, "invalid_token")
    assert response.headers["www-authenticate"].startswith('Bearer realm="marketlink", error="invalid_token"')


async def test_userinfo_without_a_token_is_unauthorized(world, rp):
    response = await world.api.client.get("/oauth2/userinfo")

    assert error_of(response) == (401, "missing_authorization")


async def test_the_inbound_client_credentials_grant_is_unchanged(world, rp):
    app, *_ = rp

    response = await world.api.client.post("/oauth2/token", data={"grant_type": "client_credentials"},
                                           headers=basic(app.inbound["clientId"], app.inbound["clientSecret"]))

    assert response.status_code == 200 and response.json()["access_token"].startswith("mla_")


async def test_two_exchanges_of_one_code_at_once_issue_at_most_one_set_then_revoke_it(world, rp):
    *_, client = rp
    code = await code_for(world, client)

    answers = await asyncio.gather(exchange(world, client, code), exchange(world, client, code))

    assert sorted(r.status_code for r in answers) == [200, 400]
    assert [r.json()["error"] for r in answers if r.status_code == 400] == ["invalid_grant"]
    rows = await token_rows(world.db)
    assert len(rows) == 1 and rows[0]["revoked_on"] is not None  # the replay revoked it


async def test_two_refreshes_of_one_token_at_once_issue_at_most_one_pair(world, rp):
    *_, client = rp
    first = (await exchange(world, client, await code_for(world, client))).json()

    answers = await asyncio.gather(refresh(world, client, first["refresh_token"]),
                                   refresh(world, client, first["refresh_token"]))

    assert sorted(r.status_code for r in answers) == [200, 400]
    assert len(await token_rows(world.db)) == 2
    assert all(r["revoked_on"] is not None for r in await token_rows(world.db))


async def test_over_plain_http_off_loopback_the_provider_refuses(db):
    from tests.api.oidc_support import FAST_HASHING
    from tests.helpers import make_world

    world, http = await make_world(db, base_url="http://market.example", **FAST_HASHING)
    async with http:
        token = await http.post("/oauth2/token", data={"grant_type": "authorization_code", "code": "x"})
        page = await http.get("/oauth2/authorize?response_type=code&client_id=x")

    assert (token.status_code, token.json()["error"]) == (400, "insecure_transport")
    assert page.status_code == 400 and "insecure_transport" in page.text


async def test_basic_credentials_that_are_not_text_are_invalid_client(world, rp):
    *_, client = rp
    code = await code_for(world, client)

    response = await world.api.client.post("/oauth2/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
        headers={"Authorization": "Basic " + base64.b64encode(b"\xff\xfe:\xfd").decode()})

    assert error_of(response) == (401, "invalid_client")
    assert await token_rows(world.db) == []


async def test_token_rows_are_deleted_once_both_tokens_have_expired(world, rp):
    *_, client = rp
    first = (await exchange(world, client, await code_for(world, client, nonce="one"))).json()
    world.clock.advance(30 * 86_400_000)  # the refresh token's lifetime (the session ended too)
    world.api.client.cookies.clear()
    await log_in(world.api.client, "ada@one.example", PASSWORD)
    await exchange(world, client, await code_for(world, client, nonce="two"))
    kept = len(await token_rows(world.db))

    world.clock.advance(1)
    await exchange(world, client, await code_for(world, client, nonce="three"))

    rows = await token_rows(world.db)
    assert (kept, len(rows)) == (2, 2)
    assert world.services.keyring.keyed_hash(first["access_token"]) not in {r["access_token_hash"] for r in rows}

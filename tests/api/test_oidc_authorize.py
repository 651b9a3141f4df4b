"""``GET /oauth2/authorize``: a signed-in user assigned to an active subscription of the client's
product gets a code (single use, 60 s, stored as its keyed hash); anyone else is refused with
``access_denied``; a request that names no valid client or redirect URI gets an error page,
never a redirect."""

from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from sqlalchemy import select

from marketlink.storage.tables import oidc_codes
from tests.api.oidc_support import (
    FAST_HASHING,
    PASSWORD,
    REDIRECT,
    assigned,
    bought,
    client_of,
    oidc_app,
    person,
)
from tests.api.test_web_logins import log_in
from tests.helpers import START_MS, dump_tables, make_world

CHALLENGE = "X8buGJUiw8BfAojOvRcnL2LMh7OzfwF6ZkluSI47iJw"  # a valid S256 challenge


@pytest.fixture
async def world(db):
    world, client = await make_world(db, **FAST_HASHING)
    async with client:
        yield world


@pytest.fixture
async def signed_in(world):
    """Ada, logged in, assigned to her company's active subscription of an OIDC product."""
    app = await oidc_app(world)
    ada = await person(world, "ada@one.example")
    subscription = await bought(world, app, ada)
    await assigned(world, subscription, ada)
    client = await client_of(world, app, subscription)
    await log_in(world.api.client, "ada@one.example", PASSWORD)
    return app, ada, subscription, client


def params(client: dict, **extra) -> dict:
    return {"response_type": "code", "client_id": client["clientId"], "redirect_uri": REDIRECT,
            "scope": "openid email profile", "state": "st4te", "nonce": "n0nce"} | extra


async def authorize(http: httpx.AsyncClient, query: dict) -> httpx.Response:
    return await http.get("/oauth2/authorize?" + urlencode(query))


def redirected(response: httpx.Response) -> tuple[str, dict]:
    """(the URL without its query, the query's parameters) of a redirect."""
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["location"])
    return location._replace(query="").geturl(), {k: v[0] for k, v in parse_qs(location.query).items()}


async def code_rows(db) -> list[dict]:
    async with db.read() as conn:
        return [dict(r) for r in (await conn.execute(select(oidc_codes))).mappings()]


async def test_an_assigned_user_gets_a_code_stored_as_its_hash(world, signed_in):
    _, ada, subscription, client = signed_in
    world.clock.advance(5000)

    response = await authorize(world.api.client, params(client, code_challenge=CHALLENGE,
                                                        code_challenge_method="S256"))

    where, query = redirected(response)
    [row] = await code_rows(world.db)
    assert (where, set(query), query["state"]) == (REDIRECT, {"code", "state"}, "st4te")
    assert row["code_hash"] == world.services.keyring.keyed_hash(query["code"])
    assert {k: row[k] for k in ("user_id", "subscription_id", "redirect_uri", "scope", "nonce",
                                "code_challenge", "code_challenge_method", "auth_time",
                                "created_on", "expires_on", "used_on")} == {
        "user_id": ada.id, "subscription_id": subscription, "redirect_uri": REDIRECT,
        "scope": "openid email profile", "nonce": "n0nce", "code_challenge": CHALLENGE,
        "code_challenge_method": "S256", "auth_time": START_MS, "created_on": START_MS + 5000,
        "expires_on": START_MS + 65_000, "used_on": None}


async def test_an_anonymous_visitor_is_sent_to_log_in_and_back(world, signed_in):
    *_, client = signed_in
    anonymous = httpx.AsyncClient(transport=world.api.client._transport, base_url="http://marketlink.test")
    query = urlencode(params(client))

    async with anonymous:
        response = await anonymous.get("/oauth2/authorize?" + query)
        back = await log_in(anonymous, "ada@one.example", PASSWORD,
                            next_path="/oauth2/authorize?" + query)
        after_login = await anonymous.get(back.headers["location"])

    assert response.status_code == 303
    assert response.headers["location"] == "/login?" + urlencode({"next": "/oauth2/authorize?" + query})
    assert back.headers["location"] == "/oauth2/authorize?" + query
    assert redirected(after_login)[0] == REDIRECT and "code" in redirected(after_login)[1]


async def test_prompt_none_without_a_session_answers_login_required(world, signed_in):
    *_, client = signed_in
    world.api.client.cookies.clear()

    response = await authorize(world.api.client, params(client, prompt="none"))

    assert redirected(response) == (REDIRECT, {"error": "login_required", "state": "st4te"})


@pytest.mark.parametrize("change, description", [
    ({"redirect_uri": "https://evil.example/callback"},
     "Redirect URI https://evil.example/callback is not supported by client."),
    ({"redirect_uri": REDIRECT + "/"}, f"Redirect URI {REDIRECT}/ is not supported by client."),
    ({"redirect_uri": None}, "Missing &#39;redirect_uri&#39; in request."),
    ({"client_id": "unknown"}, "The client does not exist on this server."),
    ({"client_id": None}, "Missing &#39;client_id&#39; parameter."),
])
async def test_no_valid_client_or_redirect_uri_shows_an_error_page(world, signed_in, change, description):
    *_, client = signed_in
    query = {k: v for k, v in (params(client) | change).items() if v is not None}
    before = await dump_tables(world.db)

    response = await authorize(world.api.client, query)

    assert response.status_code == 400
    assert "location" not in response.headers
    assert f'<p class="error" role="alert">{description}</p>' in response.text
    assert await dump_tables(world.db) == before


@pytest.mark.parametrize("change, error", [
    ({"response_type": "token"}, "unsupported_response_type"),
    ({"code_challenge": CHALLENGE}, "invalid_request"),  # no method: plain is not supported
    ({"code_challenge": CHALLENGE, "code_challenge_method": "plain"}, "invalid_request"),
    ({"code_challenge": "short", "code_challenge_method": "S256"}, "invalid_request"),
    ({"nonce": "n" * 256}, "invalid_request"),
])
async def test_other_mistakes_are_redirected_with_the_error_and_state(world, signed_in, change, error):
    *_, client = signed_in
    before = await dump_tables(world.db)

    response = await authorize(world.api.client, params(client, **change))

    where, query = redirected(response)
    assert (where, query["error"], query["state"]) == (REDIRECT, error, "st4te")
    assert await dump_tables(world.db) == before


async def test_a_reused_nonce_is_refused(world, signed_in):
    *_, client = signed_in
    await authorize(world.api.client, params(client))

    response = await authorize(world.api.client, params(client))

    assert redirected(response)[1] == {"error": "invalid_request", "error_description": "Replay attack",
                                       "state": "st4te"}


async def test_an_unassigned_user_is_denied(world, signed_in):
    app, ada, subscription, client = signed_in
    await person(world, "grace@one.example", company=ada.company_id, first="Grace")
    world.api.client.cookies.clear()
    await log_in(world.api.client, "grace@one.example", PASSWORD)
    before = await dump_tables(world.db)

    response = await authorize(world.api.client, params(client))

    assert redirected(response) == (REDIRECT, {
        "error": "access_denied", "state": "st4te",
        "error_description": "The resource owner or authorization server denied the request"})
    assert await dump_tables(world.db) == before


async def test_a_user_of_another_company_is_denied_even_if_assigned_there(world, signed_in):
    app, _, _, client = signed_in
    bob = await person(world, "bob@two.example", first="Bob")
    await assigned(world, await bought(world, app, bob), bob)  # Bob's own subscription
    world.api.client.cookies.clear()
    await log_in(world.api.client, "bob@two.example", PASSWORD)

    response = await authorize(world.api.client, params(client))  # Ada's subscription's client

    assert redirected(response)[1]["error"] == "access_denied"
    assert await code_rows(world.db) == []


async def test_a_shared_client_signs_in_the_assigned_users_of_every_subscription(world):
    app = await oidc_app(world, clientCreationMethod="PER_MARKETPLACE")
    ada, bob = await person(world, "ada@one.example"), await person(world, "bob@two.example", first="Bob")
    ada_subscription, bob_subscription = await bought(world, app, ada), await bought(world, app, bob)
    await assigned(world, ada_subscription, ada)
    await assigned(world, bob_subscription, bob)
    client = await client_of(world, app, bob_subscription)
    await log_in(world.api.client, "bob@two.example", PASSWORD)

    response = await authorize(world.api.client, params(client))

    assert "code" in redirected(response)[1]
    [row] = await code_rows(world.db)
    assert (row["user_id"], row["subscription_id"]) == (bob.id, bob_subscription)


async def test_a_subscription_not_active_signs_nobody_in(world):
    app = await oidc_app(world)
    ada = await person(world, "ada@one.example")
    subscription = await bought(world, app, ada, active=False)  # the host has not answered
    client = await client_of(world, app, subscription)
    await log_in(world.api.client, "ada@one.example", PASSWORD)

    response = await authorize(world.api.client, params(client))

    assert redirected(response)[1]["error"] == "access_denied"


async def test_scopes_the_configuration_does_not_allow_are_left_out(world):
    app = await oidc_app(world, allowUserScopes=False, allowRoleScopes=False)
    ada = await person(world, "ada@one.example")
    subscription = await bought(world, app, ada)
    await assigned(world, subscription, ada)
    client = await client_of(world, app, subscription)
    await log_in(world.api.client, "ada@one.example", PASSWORD)

    response = await authorize(world.api.client, params(client, scope="openid email profile roles"))

    assert "code" in redirected(response)[1]
    assert [row["scope"] for row in await code_rows(world.db)] == ["openid"]


async def test_a_configuration_with_validation_errors_is_not_used(world):
    app = await oidc_app(world, redirectUrls=["YOUR_REDIRECT_URLS"])
    ada = await person(world, "ada@one.example")
    subscription = await bought(world, app, ada)
    await assigned(world, subscription, ada)
    client = await client_of(world, app, subscription)
    await log_in(world.api.client, "ada@one.example", PASSWORD)

    response = await authorize(world.api.client, params(client, redirect_uri="YOUR_REDIRECT_URLS"))

    assert response.status_code == 400 and "location" not in response.headers
    assert "redirectUrls must be an absolute http(s) URL." in response.text


@pytest.mark.parametrize("change", [
    {"redirect_uri": 'https://rp.example/"quoted'},
    {"redirect_uri": "https://rp.example/caf\u00e9"},
    {"redirect_uri": "https://rp.example/back\\slash"},
    {"response_type": 'code"'},
])
async def test_values_authlib_cannot_quote_in_an_error_get_the_error_page(world, signed_in, change):
    *_, client = signed_in

    response = await authorize(world.api.client, params(client, **change))

    assert response.status_code == 400 and "location" not in response.headers
    assert "contains characters not allowed here" in response.text


async def test_a_client_whose_app_no_longer_uses_openid_connect_is_refused(world, signed_in):
    app, *_, client = signed_in
    await world.api.data("""mutation($i: ID!) { removeProductIntegrationSsoConfiguration(
      input: {integrationConfigurationId: $i}) { userErrors { message } }
      publishProductIntegration(input: {integrationId: $i}) { productIntegration { id } } }""",
                         {"i": app.integration}, world.dev_a)

    response = await authorize(world.api.client, params(client))

    assert response.status_code == 400 and "location" not in response.headers
    assert "The app no longer signs in with OpenID Connect." in response.text


async def test_codes_are_deleted_a_day_after_they_expire(world, signed_in):
    *_, client = signed_in
    await authorize(world.api.client, params(client, nonce="first"))  # expires 60 s later
    world.clock.advance(60_000 + 86_400_000)  # a day after that (the session has ended too)
    world.api.client.cookies.clear()
    await log_in(world.api.client, "ada@one.example", PASSWORD)
    await authorize(world.api.client, params(client, nonce="second"))
    kept = [row["nonce"] for row in await code_rows(world.db)]

    world.clock.advance(1)
    await authorize(world.api.client, params(client, nonce="third"))

    assert sorted(kept) == ["first", "second"]
    assert sorted(row["nonce"] for row in await code_rows(world.db)) == ["second", "third"]

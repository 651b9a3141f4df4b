"""Logging out of MarketLink ends the apps' OpenID sessions: the relying party (a real aiohttp
server) receives a back-channel logout token at the configuration's ``logoutUrl`` and verifies
it against ``/oauth2/certs`` with joserfc; the tokens issued in the session stop working.
``prompt=login`` and ``max_age`` ask for the password again without ending anything.

The fixtures (``market``, ``ada``) are those of test_oidc_login.py: MarketLink served by
uvicorn, a product host, a relying party written with Authlib's client, a cookie-jar browser."""

import asyncio
import re

import httpx
import pytest
from authlib.common.errors import AuthlibBaseError

from marketlink.sso.oidc.logout import BACKCHANNEL_EVENT
from tests.e2e.test_oidc_login import Browser, ada, market  # noqa: F401 (fixtures)


async def log_out(browser: Browser, base_url: str) -> httpx.Response:
    home = await browser.http.get(base_url + "/")
    csrf = re.search(r'name="csrf_token" value="([^"]*)"', home.text).group(1)
    return await browser.http.post(base_url + "/logout", data={"csrf_token": csrf})


async def logouts_received(rp, count: int, within_s: float = 10.0) -> list[dict]:
    for _ in range(int(within_s / 0.05)):
        if len(rp.logouts) >= count:
            break
        await asyncio.sleep(0.05)
    return rp.logouts


async def current_kid(market) -> str:
    async with httpx.AsyncClient() as http:
        return (await http.get(market.rp.metadata["jwks_uri"])).json()["keys"][0]["kid"]


async def test_logging_out_sends_the_app_a_signed_logout_token_and_ends_its_tokens(market, ada):
    signed_in = await ada["browser"].sign_in(market.rp, "ada@one.example")
    sid = signed_in.claims["sid"]

    response = await log_out(ada["browser"], market.rp.issuer)

    assert (response.status_code, response.headers["location"]) == (303, "/login")
    [logout] = await logouts_received(market.rp, 1)
    assert logout["header"] == {"alg": "RS256", "kid": await current_kid(market), "typ": "logout+jwt"}
    claims = logout["claims"]
    assert set(claims) == {"iss", "aud", "iat", "exp", "jti", "sub", "sid", "events"}
    assert {k: claims[k] for k in ("iss", "aud", "sub", "sid", "events")} == {
        "iss": market.rp.issuer, "aud": market.rp.client_id, "sub": ada["id"], "sid": sid,
        "events": {BACKCHANNEL_EVENT: {}}}
    assert claims["exp"] - claims["iat"] == 120
    assert re.fullmatch(r"[0-9a-f]{32}", claims["jti"]) and re.fullmatch(r"[0-9a-f]{32}", sid)
    assert logout["content_type"] == "application/x-www-form-urlencoded"
    with pytest.raises(AuthlibBaseError) as refused:
        await market.rp.refresh(signed_in.token)
    assert refused.value.error == "invalid_grant"
    assert (await market.rp.userinfo(signed_in.token)).status_code == 401


async def test_prompt_login_asks_for_the_password_again_and_keeps_the_openid_session(market, ada):
    first = await ada["browser"].sign_in(market.rp, "ada@one.example")
    market.clock.advance(30_000)

    url = market.rp.authorization_url(prompt="login")
    asked = await ada["browser"].http.get(url)
    form = await ada["browser"].http.get(market.rp.issuer + asked.headers["location"])
    again = await ada["browser"].to_relying_party(url, market.rp.redirect_uri, "ada@one.example")
    await ada["browser"].http.get(again.headers["location"])
    second = market.rp.outcomes[-1]

    assert asked.status_code == 303 and asked.headers["location"].startswith("/login?next=")
    assert asked.headers["location"].endswith("&reauth=1") and "prompt" not in asked.headers["location"]
    assert "asks you to enter your password again" in form.text
    assert 'value="ada@one.example"' in form.text
    assert second.error is None
    assert second.claims["sid"] == first.claims["sid"]
    assert second.claims["auth_time"] - first.claims["auth_time"] == 30
    assert market.rp.logouts == []
    assert "access_token" in await market.rp.refresh(first.token)  # nothing was ended


async def test_max_age_older_than_the_login_asks_again_and_prompt_none_refuses(market, ada):
    market.clock.current -= 61_000  # the login happened 61 s ago (the RP checks iat on its clock)
    first = await ada["browser"].sign_in(market.rp, "ada@one.example")
    market.clock.advance(61_000)

    refused = await ada["browser"].http.get(market.rp.authorization_url(max_age="60", prompt="none"))
    asked = await ada["browser"].http.get(market.rp.authorization_url(max_age="60"))
    within = await ada["browser"].sign_in(market.rp, "ada@one.example", max_age="120")

    location = refused.headers["location"]
    assert refused.status_code == 302 and location.startswith(market.rp.redirect_uri + "?")
    assert "error=login_required" in location and "state=" in location
    assert asked.status_code == 303 and asked.headers["location"].endswith("&reauth=1")
    assert within.error is None and within.claims["auth_time"] == first.claims["auth_time"]


async def test_a_max_age_that_is_not_a_number_is_an_invalid_request(market, ada):
    await ada["browser"].sign_in(market.rp, "ada@one.example")

    answer = await ada["browser"].http.get(market.rp.authorization_url(max_age="soon"))

    assert answer.status_code == 302
    assert "error=invalid_request" in answer.headers["location"]
    assert "max_age" in answer.headers["location"]


async def test_another_users_login_in_the_same_browser_logs_the_first_user_out(market, ada):
    signed_in = await ada["browser"].sign_in(market.rp, "ada@one.example")
    await market.user(ada["company"], "bob@one.example", "Bob")

    form = await ada["browser"].http.get(market.rp.issuer + "/login?reauth=1")
    csrf = re.search(r'name="csrf_token" value="([^"]*)"', form.text).group(1)
    await ada["browser"].http.post(market.rp.issuer + "/login", data={
        "email": "bob@one.example", "password": "correct horse battery staple", "csrf_token": csrf,
        "next": "/"})

    [logout] = await logouts_received(market.rp, 1)
    assert (logout["claims"]["sub"], logout["claims"]["sid"]) == (ada["id"], signed_in.claims["sid"])
    assert (await market.rp.userinfo(signed_in.token)).status_code == 401


async def test_an_app_that_answers_503_is_sent_the_same_token_again(market, ada):
    await ada["browser"].sign_in(market.rp, "ada@one.example")
    market.rp.logout_answers = [503]

    await log_out(ada["browser"], market.rp.issuer)

    first, second = await logouts_received(market.rp, 2, within_s=15)
    assert (first["status"], second["status"]) == (503, 200)
    assert first["claims"] == second["claims"]

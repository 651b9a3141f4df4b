"""Sign in with OpenID Connect, end to end over real HTTP: MarketLink served by uvicorn on a
loopback port; a product host (aiohttp) that takes the order, fetches the event and, through
its ``oidcClient`` link, its client; a relying party on another port written as a vendor would,
with Authlib's httpx client (``AsyncOAuth2Client``) for the code exchange, refresh and userinfo
and joserfc to verify the id_token against ``/oauth2/certs``; and a browser (httpx with a
cookie jar) that follows the redirects through the login form and back.

Negative cases each assert the standard error and that no token was issued. Runs on SQLite
and PostgreSQL (the ``db`` fixture)."""

import base64
import re
import secrets
import time
import warnings
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import aiohttp
import httpx
import pytest
from aiohttp import web
from authlib.common.errors import AuthlibBaseError
from authlib.deprecate import AuthlibDeprecationWarning
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import func, select

from marketlink.domain.logins import set_password
from marketlink.domain.passwords import Passwords
from marketlink.storage.tables import oidc_tokens
from tests.e2e.test_delivery import Call, running_system
from tests.helpers import dump_tables

with warnings.catch_warnings():
    # Authlib 1.9.6 announces, on import, a successor of its httpx integration; this is the
    # client the relying party is written with all the same.
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client

PASSWORD = "correct horse battery staple"
SCOPE = "openid email profile roles"
SETUP = """mutation($integration: CreateProductIntegrationInput!, $product: CreateProductInput!) {
  createProductIntegration(input: $integration) { productIntegration { id } userErrors { message } }
  createProduct(input: $product) { product { id } } }"""
ADD_OIDC = """mutation($input: AddProductIntegrationOpenIdConnectConfigurationInput!) {
  addProductIntegrationOpenIdConnectConfiguration(input: $input) { userErrors { message } } }"""
INBOUND = """mutation($id: ID!) { generateProductIntegrationInboundClient(input: {id: $id}) {
  productIntegrationInboundClient { clientId clientSecret } } }"""
PUBLISH_LINK = """mutation($p: ID!, $i: ID!) {
  publishProductIntegration(input: {integrationId: $i}) { userErrors { message } }
  linkProductIntegration(input: {productId: $p, integrationId: $i}) { userErrors { message } } }"""
COMPANY = """mutation($n: String!) { createCompany(input: {name: $n, country: "GB"}) { company { id } } }"""
USER = """mutation($c: ID!, $e: String!, $f: String!) { createUser(input: {companyId: $c, email: $e,
  firstName: $f, lastName: "Tester", language: "en", locale: "en-GB"}) { user { id } } }"""
ORDER = """mutation($p: ID!, $c: ID!, $u: ID!) { createSubscription(input: {productId: $p, companyId: $c,
  creatorId: $u, editionCode: "BASIC", pricingDuration: MONTHLY}) { subscription { id } } }"""
ASSIGN = """mutation($s: ID!, $u: ID!) { assignUser(input: {subscriptionId: $s, userId: $u}) {
  assignment { status } userErrors { message } } }"""
STATE = """query($s: ID!) { subscription(id: $s) { status assignments { userId status } } }"""


@dataclass
class ProductHost:
    """Takes orders and assignments; on an order it fetches the event and then its OpenID client
    through the event's ``oidcClient`` link, with its inbound credentials."""

    marketlink: str
    inbound: dict = field(default_factory=dict)
    oidc_clients: dict = field(default_factory=dict)  # subscription's account -> client

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/create", self.order)
        app.router.add_get("/assign", self.assign)
        return app

    async def order(self, request: web.Request) -> web.Response:
        async with aiohttp.ClientSession() as session:
            auth = {"Authorization": f"Bearer {await self._token(session)}", "Accept": "application/json"}
            async with session.get(request.query["eventUrl"], headers=auth) as answer:
                event = await answer.json()
            [link] = [link for link in event["links"] if link["rel"] == "oidcClient"]
            async with session.get(link["href"], headers=auth) as answer:
                assert answer.status == 200
                account = f"acct-{len(self.oidc_clients) + 1}"
                self.oidc_clients[account] = await answer.json()
        return web.json_response({"success": True, "accountIdentifier": account})

    async def assign(self, request: web.Request) -> web.Response:
        return web.json_response({"success": True, "userIdentifier": "host-user"})

    async def _token(self, session: aiohttp.ClientSession) -> str:
        pair = base64.b64encode(f"{self.inbound['clientId']}:{self.inbound['clientSecret']}".encode())
        async with session.post(f"{self.marketlink}/oauth2/token", data={"grant_type": "client_credentials"},
                                headers={"Authorization": "Basic " + pair.decode()}) as answer:
            return (await answer.json())["access_token"]


@dataclass
class Outcome:
    """What the relying party's callback saw and did."""

    query: dict
    token: dict | None = None
    error: str | None = None
    claims: dict | None = None
    userinfo: dict | None = None


class RelyingParty:
    """A vendor's web app: starts sign-ins, and at ``/callback`` exchanges the code (Authlib),
    verifies the id_token (joserfc) and reads userinfo. Tests may tamper with the next exchange."""

    def __init__(self, issuer: str) -> None:
        self.issuer, self.redirect_uri = issuer, ""
        self.client_id = self.client_secret = ""
        self.metadata: dict = {}
        self.outcomes: list[Outcome] = []
        self.pending: dict[str, dict] = {}  # state -> verifier, nonce
        self.tamper: dict = {}
        self.logouts: list[dict] = []  # verified logout tokens: header and claims
        self.logout_answers: list[int] = []  # statuses to answer logout POSTs with, then 200

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/callback", self.callback)
        app.router.add_post("/backchannel-logout", self.backchannel_logout)
        return app

    async def backchannel_logout(self, request: web.Request) -> web.Response:
        """Back-Channel Logout 1.0 §2.6: verify the logout token as a relying party must."""
        status = self.logout_answers.pop(0) if self.logout_answers else 200
        form = await request.post()
        async with httpx.AsyncClient() as http:
            keys = KeySet.import_key_set((await http.get(self.metadata["jwks_uri"])).json())
        token = jwt.decode(form["logout_token"], keys, algorithms=["RS256"])
        jwt.JWTClaimsRegistry(leeway=60, iss={"essential": True, "value": self.issuer},
                              aud={"essential": True, "value": self.client_id},
                              iat={"essential": True}, jti={"essential": True},
                              events={"essential": True}).validate(token.claims)
        self.logouts.append({"status": status, "header": dict(token.header),
                             "claims": dict(token.claims),
                             "content_type": request.headers["Content-Type"]})
        return web.Response(status=status)

    async def discover(self) -> None:
        async with httpx.AsyncClient() as http:
            self.metadata = (await http.get(self.issuer + "/.well-known/openid-configuration")).json()

    def oauth(self, secret: str | None = None) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(self.client_id, secret or self.client_secret, scope=SCOPE,
                                 redirect_uri=self.redirect_uri, code_challenge_method="S256",
                                 token_endpoint_auth_method="client_secret_basic")

    def authorization_url(self, **extra: str) -> str:
        verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
        url, state = self.oauth().create_authorization_url(
            self.metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce, **extra)
        self.pending[state] = {"verifier": verifier, "nonce": nonce}
        return url

    async def callback(self, request: web.Request) -> web.Response:
        outcome = Outcome(dict(request.query))
        self.outcomes.append(outcome)
        if "error" in request.query:
            return web.Response(text=f"Sign-in refused: {request.query['error']}", status=403)
        await self.exchange(outcome, str(request.url))
        return web.json_response({"signed_in": outcome.error is None}, status=200 if outcome.error is None else 401)

    async def exchange(self, outcome: Outcome, callback_url: str) -> None:
        expected = self.pending[outcome.query["state"]]
        verifier = self.tamper.pop("verifier", expected["verifier"])
        async with self.oauth(self.tamper.pop("secret", None)) as client:
            try:
                outcome.token = dict(await client.fetch_token(
                    self.metadata["token_endpoint"], authorization_response=callback_url,
                    state=outcome.query["state"], code_verifier=verifier))
            except AuthlibBaseError as exc:
                outcome.error = exc.error
                return
            outcome.claims = await self.verified(outcome.token["id_token"], expected["nonce"])
            outcome.userinfo = (await client.get(self.metadata["userinfo_endpoint"])).json()

    async def verified(self, id_token: str, nonce: str) -> dict:
        async with httpx.AsyncClient() as http:
            keys = KeySet.import_key_set((await http.get(self.metadata["jwks_uri"])).json())
        token = jwt.decode(id_token, keys, algorithms=["RS256"])
        jwt.JWTClaimsRegistry(leeway=60, iss={"essential": True, "value": self.issuer},
                              aud={"essential": True, "value": self.client_id},
                              nonce={"essential": True, "value": nonce}, sub={"essential": True},
                              exp={"essential": True}, iat={"essential": True}).validate(token.claims)
        return token.claims

    async def refresh(self, token: dict) -> dict:
        async with self.oauth() as client:
            return dict(await client.refresh_token(self.metadata["token_endpoint"],
                                                   refresh_token=token["refresh_token"]))

    async def userinfo(self, token: dict) -> httpx.Response:
        async with AsyncOAuth2Client(self.client_id, token=token) as client:
            return await client.get(self.metadata["userinfo_endpoint"])


class Browser:
    """A user's browser: a cookie jar, redirects followed, the login form filled in."""

    def __init__(self) -> None:
        self.http = httpx.AsyncClient(follow_redirects=False)

    async def to_relying_party(self, url: str, rp_prefix: str, email: str | None = None) -> httpx.Response:
        """Follow redirects from ``url`` (logging in as ``email`` when the login form shows)
        until a redirect to the relying party, or a page; that last response."""
        response = await self.http.get(url)
        for _ in range(10):
            if response.is_redirect:
                location = urljoin(str(response.url), response.headers["location"])
                if location.startswith(rp_prefix):
                    return response
                response = await self.http.get(location)
            elif urlsplit(str(response.url)).path == "/login" and email:
                response = await self._log_in(response, email)
                email = None
            else:
                return response
        raise AssertionError("too many redirects")

    async def _log_in(self, form: httpx.Response, email: str) -> httpx.Response:
        csrf = re.search(r'name="csrf_token" value="([^"]*)"', form.text).group(1)
        next_path = re.search(r'name="next" value="([^"]*)"', form.text).group(1).replace("&amp;", "&")
        return await self.http.post(str(form.url.copy_with(query=None)), data={
            "email": email, "password": PASSWORD, "csrf_token": csrf, "next": next_path})

    async def sign_in(self, rp: RelyingParty, email: str, **extra: str) -> Outcome:
        """The whole sign-in: to MarketLink, the login form, back to the relying party."""
        redirect = await self.to_relying_party(rp.authorization_url(**extra), rp.redirect_uri, email)
        assert redirect.status_code == 302, redirect.text
        await self.http.get(redirect.headers["location"])
        return rp.outcomes[-1]


@dataclass
class Marketplace:
    call: Call
    app: object
    clock: object
    host: ProductHost
    rp: RelyingParty
    worker: object
    product: str = ""
    developer: str = ""

    async def user(self, company: str, email: str, first: str) -> str:
        user = (await self.call(USER, {"c": company, "e": email, "f": first}, self.call.admin))["createUser"]["user"]["id"]
        services = self.app.state.services
        await set_password(self.app.state.db, services, Passwords(services.settings), email, PASSWORD)
        return user

    async def company(self, name: str) -> str:
        return (await self.call(COMPANY, {"n": name}, self.call.admin))["createCompany"]["company"]["id"]

    async def subscription(self, company: str, buyer: str, *assignees: str) -> tuple[str, dict]:
        """An order, accepted by the host (which fetched its OpenID client), and assignments;
        the subscription and the client the host received."""
        order = await self.call(ORDER, {"p": self.product, "c": company, "u": buyer}, self.call.admin)
        subscription = order["createSubscription"]["subscription"]["id"]
        await self.worker.run_until_idle()
        for user in assignees:
            await self.call(ASSIGN, {"s": subscription, "u": user}, self.call.admin)
            await self.worker.run_until_idle()
        state = (await self.call(STATE, {"s": subscription}, self.call.admin))["subscription"]
        assert state["status"] == "ACTIVE"
        assert [a["status"] for a in state["assignments"]] == ["ACTIVE"] * len(assignees)
        return subscription, list(self.host.oidc_clients.values())[-1]

    def use_client(self, client: dict) -> None:
        self.rp.client_id, self.rp.client_secret = client["clientId"], client["clientSecret"]

    async def tokens_issued(self) -> int:
        async with self.app.state.db.read() as conn:
            return (await conn.execute(select(func.count()).select_from(oidc_tokens))).scalar_one()


@pytest.fixture
async def market(db):
    from marketlink.domain.actors import Role
    from marketlink.domain.vendors import create_token, create_vendor

    async with running_system(db) as (app, clock, start_host, worker):
        clock.current = time.time_ns() // 1_000_000  # real time: the relying party checks exp
        issuer = start_host.marketlink
        rp = RelyingParty(issuer)
        rp.redirect_uri = await start_host.app(rp.app()) + "/callback"
        host = ProductHost(issuer)
        host_url = await start_host.app(host.app())
        services = app.state.services
        async with app.state.db.write() as conn:
            vendor = await create_vendor(conn, services, "Vendor")
            developer = await create_token(conn, services, Role.DEVELOPER, vendor, "dev")
            admin = await create_token(conn, services, Role.ADMIN, None, "admin")
        call = Call(issuer)
        call.admin = admin
        data = await call(SETUP, {"integration": {
            "name": "Chat", "createUrl": host_url + "/create?eventUrl={eventUrl}",
            "cancelUrl": host_url + "/cancel", "assignUrl": host_url + "/assign?eventUrl={eventUrl}"},
            "product": {"name": "Chat", "editions": [{"code": "BASIC", "name": "Basic"}]}}, developer)
        integration = data["createProductIntegration"]["productIntegration"]["id"]
        added = await call(ADD_OIDC, {"input": {
            "integrationConfigurationId": integration, "clientCreationMethod": "PER_SUBSCRIPTION",
            "grantTypes": ["AUTHORIZATION_CODE", "REFRESH_TOKEN"], "redirectUrls": [rp.redirect_uri],
            "allowUserScopes": True, "allowRoleScopes": True,
            "logoutUrl": rp.redirect_uri.replace("/callback", "/backchannel-logout")}}, developer)
        assert added["addProductIntegrationOpenIdConnectConfiguration"]["userErrors"] == []
        host.inbound = (await call(INBOUND, {"id": integration}, developer))[
            "generateProductIntegrationInboundClient"]["productIntegrationInboundClient"]
        product = data["createProduct"]["product"]["id"]
        await call(PUBLISH_LINK, {"p": product, "i": integration}, developer)
        await rp.discover()
        yield Marketplace(call, app, clock, host, rp, worker, product, developer)


@pytest.fixture
async def ada(market):
    """Ada bought the product for her company and is assigned; the relying party uses the
    client of her subscription; a browser."""
    company = await market.company("Ada's company")
    ada = await market.user(company, "ada@one.example", "Ada")
    subscription, client = await market.subscription(company, ada, ada)
    market.use_client(client)
    browser = Browser()
    yield {"id": ada, "company": company, "subscription": subscription, "browser": browser}
    await browser.http.aclose()


async def test_a_user_signs_in_to_the_product_with_openid_connect(market, ada):
    outcome = await ada["browser"].sign_in(market.rp, "ada@one.example")

    assert outcome.error is None
    assert set(outcome.token) >= {"access_token", "refresh_token", "id_token", "expires_in"}
    assert outcome.token["scope"] == SCOPE
    assert {k: outcome.claims[k] for k in ("iss", "sub", "aud", "name", "email", "company_id",
                                             "company_name", "roles")} == {
        "iss": market.rp.issuer, "sub": ada["id"], "aud": [market.rp.client_id],
        "name": "Ada Tester", "email": "ada@one.example", "company_id": ada["company"],
        "company_name": "Ada's company", "roles": ["USER", "ADMIN"]}
    assert outcome.claims["exp"] - outcome.claims["iat"] == 3600
    assert outcome.userinfo == {k: outcome.claims[k] for k in (
        "sub", "name", "given_name", "family_name", "locale", "company_id", "company_name",
        "email", "email_verified", "roles")}


async def test_the_relying_party_refreshes_and_the_old_refresh_token_dies(market, ada):
    first = (await ada["browser"].sign_in(market.rp, "ada@one.example")).token

    second = await market.rp.refresh(first)

    assert second["refresh_token"] != first["refresh_token"]
    assert (await market.rp.userinfo(second)).json()["sub"] == ada["id"]
    with pytest.raises(AuthlibBaseError) as replay:
        await market.rp.refresh(first)
    assert replay.value.error == "invalid_grant"
    assert (await market.rp.userinfo(second)).status_code == 401  # the chain was revoked


async def test_a_second_sign_in_needs_no_new_login(market, ada):
    await ada["browser"].sign_in(market.rp, "ada@one.example")

    outcome = await ada["browser"].sign_in(market.rp, email=None)

    assert outcome.error is None and outcome.claims["sub"] == ada["id"]


async def test_a_wrong_redirect_uri_shows_an_error_page_and_issues_nothing(market, ada):
    before = await dump_tables(market.app.state.db)
    url = market.rp.authorization_url(redirect_uri=market.rp.redirect_uri + "/elsewhere")

    page = await ada["browser"].to_relying_party(url, market.rp.redirect_uri, "ada@one.example")

    assert page.status_code == 400 and not page.is_redirect
    assert "is not supported by client" in page.text
    assert market.rp.outcomes == []
    assert await dump_tables(market.app.state.db) == before


async def test_a_reused_code_is_invalid_grant_and_revokes_the_first_tokens(market, ada):
    first = await ada["browser"].sign_in(market.rp, "ada@one.example")
    callback = f"{market.rp.redirect_uri}?code={first.query['code']}&state={first.query['state']}"

    replay = Outcome(first.query)
    await market.rp.exchange(replay, callback)

    assert replay.error == "invalid_grant" and replay.token is None
    assert (await market.rp.userinfo(first.token)).status_code == 401


async def test_an_expired_code_is_invalid_grant(market, ada):
    redirect = await ada["browser"].to_relying_party(market.rp.authorization_url(), market.rp.redirect_uri,
                                                     "ada@one.example")
    market.clock.advance(60_000)

    await ada["browser"].http.get(redirect.headers["location"])

    assert market.rp.outcomes[-1].error == "invalid_grant"
    assert await market.tokens_issued() == 0


async def test_a_pkce_mismatch_is_invalid_grant(market, ada):
    market.rp.tamper["verifier"] = secrets.token_urlsafe(48)

    outcome = await ada["browser"].sign_in(market.rp, "ada@one.example")

    assert (outcome.error, outcome.token) == ("invalid_grant", None)
    assert await market.tokens_issued() == 0


async def test_a_wrong_client_secret_is_invalid_client(market, ada):
    market.rp.tamper["secret"] = "not-the-secret"

    outcome = await ada["browser"].sign_in(market.rp, "ada@one.example")

    assert (outcome.error, outcome.token) == ("invalid_client", None)
    assert await market.tokens_issued() == 0


async def test_an_unassigned_user_is_sent_back_with_access_denied(market, ada):
    await market.user(ada["company"], "grace@one.example", "Grace")  # same company, not assigned
    browser = Browser()

    async with browser.http:
        outcome = await browser.sign_in(market.rp, "grace@one.example")

    assert outcome.query["error"] == "access_denied" and "code" not in outcome.query
    assert await market.tokens_issued() == 0


async def test_a_user_of_another_company_is_sent_back_with_access_denied(market, ada):
    ada_client = (market.rp.client_id, market.rp.client_secret)
    company = await market.company("Bob's company")
    bob = await market.user(company, "bob@two.example", "Bob")
    await market.subscription(company, bob, bob)  # Bob is assigned to his own company's
    market.rp.client_id, market.rp.client_secret = ada_client
    browser = Browser()

    async with browser.http:
        outcome = await browser.sign_in(market.rp, "bob@two.example")

    assert outcome.query["error"] == "access_denied"
    assert await market.tokens_issued() == 0

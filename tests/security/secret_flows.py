"""Realistic flows that handle every kind of secret, against a MarketLink served over HTTP on a
loopback port, with a product host (aiohttp, another loopback port) that gets notified, takes
tokens, fetches events and OpenID Connect clients, and answers.

Every answer MarketLink gives (to the developer's, the browser's and the host's requests) is
recorded, with its headers, so that a test can check where each secret appears; ``Secrets``
lists each secret with the forms it may take on the wire (percent-encoded, base64, inside an
HTTP Basic pair) and the answers it may appear in."""

import base64
import html
import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import quote, quote_plus

import httpx
from aiohttp import web

from marketlink.delivery.oauth1 import authorization_header

ERRORS = "userErrors { __typename message path code }"
PASSWORD_EMAIL = "ada@buyer.example"


def random_text(prefix: str) -> str:
    """A secret with characters that percent-encoding, JSON, HTML and base64 change."""
    return f"{prefix}/{secrets.token_urlsafe(12)}+&=ü"


@dataclass
class Secret:
    value: str
    kind: str
    allowed_in: str | None = None  # the label of the only answers it may appear in
    user: str | None = None  # when sent as HTTP Basic ``user:value``
    once: bool = True  # in exactly one answer (when allowed in any)

    def forms(self) -> set[str]:
        raw = self.value.encode()
        found = {self.value, json.dumps(self.value)[1:-1], html.escape(self.value),
                 quote(self.value, safe=""), quote_plus(self.value),
                 base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode().rstrip("=")}
        if self.value.startswith("whsec_"):
            found.add(self.value.removeprefix("whsec_"))
        if self.user is not None:
            for pair in (f"{self.user}:{self.value}", f"{quote_plus(self.user)}:{quote_plus(self.value)}"):
                found.add(base64.b64encode(pair.encode()).decode())
        return {f for f in found if len(f) >= 12}


@dataclass
class Answer:
    label: str
    text: str  # status, headers and body


class Recorder:
    """An httpx client on MarketLink that keeps every answer with the label of its request
    (requests run concurrently: the host fetches while the worker delivers)."""

    def __init__(self, base_url: str) -> None:
        self.answers: list[Answer] = []
        self.client = self.new_client(base_url)

    def new_client(self, base_url: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=base_url, event_hooks={"response": [self._keep]}, timeout=30)

    async def _keep(self, response: httpx.Response) -> None:
        await response.aread()
        headers = "\n".join(f"{k}: {v}" for k, v in response.headers.multi_items())
        self.answers.append(Answer(response.request.extensions["label"],
                                   f"{response.status_code}\n{headers}\n\n{response.text}"))

    async def send(self, label: str, method: str, url: str, client: httpx.AsyncClient | None = None,
                   **kwargs) -> httpx.Response:
        client = client or self.client
        auth = kwargs.pop("auth", httpx.USE_CLIENT_DEFAULT)
        request = client.build_request(method, url, extensions={"label": label}, **kwargs)
        return await client.send(request, auth=auth)

    async def graphql(self, label: str, query: str, variables: dict, token: str) -> dict:
        response = await self.send(label, "POST", "/graphql", json={"query": query, "variables": variables},
                                   headers={"Authorization": f"Bearer {token}"})
        return response.json()

    async def data(self, label: str, query: str, variables: dict, token: str) -> dict:
        body = await self.graphql(label, query, variables, token)
        assert "errors" not in body, body
        for payload in body["data"].values():
            assert not (isinstance(payload, dict) and payload.get("userErrors")), payload
        return body["data"]


@dataclass
class Secrets:
    items: list[Secret] = field(default_factory=list)

    def add(self, value: str, kind: str, allowed_in: str | None = None, user: str | None = None,
            once: bool = True) -> str:
        self.items.append(Secret(value, kind, allowed_in, user, once))
        return value


@dataclass
class ProductHost:
    """The vendor's product host: a token endpoint for MarketLink's OAUTH2 credentials, and the
    notification URLs; each notification is followed by a fetch of the event (and of its OpenID
    Connect client, when the event links one) with the integration's inbound credentials."""

    marketlink: Recorder
    secrets: Secrets
    oauth2_client: tuple[str, str] = ("", "")
    inbound: dict[str, dict] = field(default_factory=dict)  # kind -> clientId, clientSecret
    oauth1: tuple[str, str] = ("", "")
    notifications: list[tuple[str, str | None]] = field(default_factory=list)
    url: str = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/token", self.token)
        app.router.add_route("*", "/{kind}/create", self.notification)
        return app

    async def token(self, request: web.Request) -> web.Response:
        """RFC 6749 §2.3.1: the id and secret are form-encoded, then sent as HTTP Basic."""
        client_id, secret = self.oauth2_client
        pair = f"{quote_plus(client_id)}:{quote_plus(secret)}"
        if request.headers.get("Authorization") != "Basic " + base64.b64encode(pair.encode()).decode():
            return web.json_response({"error": "invalid_client"}, status=401)
        issued = self.secrets.add("vendor-token-" + secrets.token_urlsafe(24), "vendor's access token")
        return web.json_response({"access_token": issued, "token_type": "Bearer", "expires_in": 3600})

    async def notification(self, request: web.Request) -> web.Response:
        kind = request.match_info["kind"]
        self.notifications.append((kind, request.headers.get("Authorization")))
        if kind == "direct":
            return web.json_response({"success": True, "accountIdentifier": "acct-direct"})
        document = await self.fetch(kind, request.query["eventUrl"])
        for link in document.get("links", []):
            if link["rel"] == "oidcClient":
                await self.fetch_oidc_client(kind, link["href"])
        return web.json_response({"success": True, "accountIdentifier": f"acct-{kind}"})

    async def fetch(self, kind: str, event_url: str) -> dict:
        path = event_url.removeprefix(str(self.marketlink.client.base_url).rstrip("/"))
        if kind == "oauth1":
            key, secret = self.oauth1
            headers = {"Authorization": authorization_header("GET", event_url, key, secret)}
        else:
            headers = {"Authorization": f"Bearer {await self.access_token(kind)}"}
        response = await self.marketlink.send("event fetch", "GET", path,
                                              headers=headers | {"Accept": "application/json"})
        assert response.status_code == 200, response.text
        return response.json()

    async def fetch_oidc_client(self, kind: str, href: str) -> None:
        path = href.removeprefix(str(self.marketlink.client.base_url).rstrip("/"))
        token = await self.access_token(kind)
        response = await self.marketlink.send("oidc client fetch", "GET", path,
                                              headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.text
        # The host may fetch its client again (a first fetch may have failed): every such answer.
        self.secrets.add(response.json()["clientSecret"], "OpenID Connect client secret",
                         allowed_in="oidc client fetch", user=response.json()["clientId"], once=False)

    async def access_token(self, kind: str) -> str:
        client = self.inbound[kind]
        response = await self.marketlink.send(
            "token for " + client["clientId"], "POST", "/oauth2/token",
            data={"grant_type": "client_credentials", "scope": "ROLE_APPLICATION"},
            auth=(client["clientId"], client["clientSecret"]))
        assert response.status_code == 200, response.text
        # Tokens are made of the client and the time: two in the same millisecond are the same.
        return self.secrets.add(response.json()["access_token"], "inbound access token",
                                allowed_in="token for " + client["clientId"], once=False)


SETUP = f"""mutation($integration: CreateProductIntegrationInput!, $product: CreateProductInput!) {{
  createProductIntegration(input: $integration) {{ productIntegration {{ id }} {ERRORS} }}
  createProduct(input: $product) {{ product {{ id }} {ERRORS} }} }}"""
UPDATE = f"""mutation($input: UpdateProductIntegrationInput!) {{ updateProductIntegration(input: $input) {{
  productIntegration {{ id outboundCredentials {{ clientSecret password consumerSecret }} }} {ERRORS} }} }}"""
OIDC = f"""mutation($id: ID!) {{ addProductIntegrationOpenIdConnectConfiguration(input: {{
  integrationConfigurationId: $id, clientCreationMethod: "PER_SUBSCRIPTION",
  grantTypes: ["AUTHORIZATION_CODE"], redirectUrls: ["https://host.example/cb"]}}) {{ {ERRORS} }} }}"""
CLIENT = f"""mutation($id: ID!) {{ generateProductIntegrationInboundClient(input: {{id: $id}}) {{
  productIntegrationInboundClient {{ clientId clientSecret }} {ERRORS} }} }}"""
ROTATE = f"""mutation($id: ID!) {{ rotateProductIntegrationWebhookSecret(input: {{id: $id}}) {{
  webhookSecret {{ secret }} {ERRORS} }} }}"""
PUBLISH_LINK = f"""mutation($p: ID!, $i: ID!) {{
  publishProductIntegration(input: {{integrationId: $i}}) {{ {ERRORS} }}
  linkProductIntegration(input: {{productId: $p, integrationId: $i}}) {{ {ERRORS} }} }}"""
COMPANY = f"""mutation {{ createCompany(input: {{name: "Buyer", country: "US"}}) {{ company {{ id }} {ERRORS} }} }}"""
USER = f"""mutation($c: ID!) {{ createUser(input: {{companyId: $c, email: "{PASSWORD_EMAIL}",
  firstName: "Ada", lastName: "L", language: "en"}}) {{ user {{ id }} {ERRORS} }} }}"""
ORDER = f"""mutation($p: ID!, $c: ID!, $u: ID!) {{ createSubscription(input: {{productId: $p, companyId: $c,
  creatorId: $u, editionCode: "BASIC", pricingDuration: MONTHLY}}) {{ subscription {{ id }} {ERRORS} }} }}"""
READ_ALL = """query($first: Int) {
  productIntegrations(first: $first) { nodes { id name outboundCredentials { type clientId clientSecret
    tokenUri username password consumerKey consumerSecret } inboundClients { clientId createdOn }
    publishedVersions { outboundCredentials { clientSecret password consumerSecret } } } }
  events(first: $first) { nodes { type status resultErrorCode resultMessage document
    attempts { url authKind httpStatus outcome error answerExcerpt } } } }"""
STATUSES = """{ events(first: 100) { nodes { status } } }"""


@dataclass
class Tokens:
    admin: str
    developer: str
    other_developer: str


async def run_flows(api: Recorder, host: ProductHost, tokens: Tokens, found: Secrets,
                    deliver: Callable[[], Awaitable[None]]) -> list[dict]:
    """Configure five integrations (OAUTH2 with OpenID Connect, BASIC, OAUTH1, DIRECT, and
    OAUTH2 with a secret the host refuses), order each, deliver, then read everything back.
    Returns the events as read by the administrator."""
    dev = tokens.developer
    host.oauth2_client = ("ml-client", found.add(random_text("oauth2-secret"), "OAUTH2 client secret",
                                                 user="ml-client"))
    first_oauth2 = found.add(random_text("oauth2-first-secret"), "OAUTH2 client secret (replaced)",
                             user="ml-client")
    host.oauth1 = ("ml-key", found.add(random_text("oauth1-secret"), "OAUTH1 consumer secret"))
    credentials = {
        "oauth2": {"type": "OAUTH2", "clientId": "ml-client", "clientSecret": first_oauth2,
                   "tokenUri": f"{host.url}/token"},
        "basic": {"type": "BASIC", "username": "marketlink",
                  "password": found.add(random_text("basic-password"), "BASIC password", user="marketlink")},
        "oauth1": {"type": "OAUTH1", "consumerKey": "ml-key", "consumerSecret": host.oauth1[1]},
        "direct": None,
        "refused": {"type": "OAUTH2", "clientId": "ml-client", "tokenUri": f"{host.url}/token",
                    "clientSecret": found.add(random_text("wrong-oauth2-secret"), "refused OAUTH2 secret",
                                              user="ml-client")},
    }
    company = (await api.data("company", COMPANY, {}, tokens.admin))["createCompany"]["company"]["id"]
    user = (await api.data("user", USER, {"c": company}, tokens.admin))["createUser"]["user"]["id"]
    for kind, given in credentials.items():
        integration = {"name": kind, "createUrl": f"{host.url}/{kind}/create?eventUrl={{eventUrl}}",
                       "cancelUrl": f"{host.url}/{kind}/cancel"}
        if given:
            integration["outboundCredentials"] = given
        data = await api.data("setup", SETUP, {"integration": integration, "product": {
            "name": kind, "editions": [{"code": "BASIC", "name": "Basic"}]}}, dev)
        integration_id = data["createProductIntegration"]["productIntegration"]["id"]
        product_id = data["createProduct"]["product"]["id"]
        if kind == "oauth2":  # the vendor changes its secret: the new one replaces the first
            await api.data("update", UPDATE, {"input": {"id": integration_id, "outboundCredentials": {
                "type": "OAUTH2", "clientId": "ml-client", "clientSecret": host.oauth2_client[1],
                "tokenUri": f"{host.url}/token"}}}, dev)
            await api.data("oidc", OIDC, {"id": integration_id}, dev)
        if kind == "direct":
            await api.data("update", UPDATE, {"input": {"id": integration_id, "deliveryMode": "DIRECT"}}, dev)
            label = f"rotate {integration_id}"
            secret = (await api.data(label, ROTATE, {"id": integration_id}, dev))[
                "rotateProductIntegrationWebhookSecret"]["webhookSecret"]["secret"]
            found.add(secret, "webhook secret", allowed_in=label)
        label = f"generate {integration_id}"
        client = (await api.data(label, CLIENT, {"id": integration_id}, dev))[
            "generateProductIntegrationInboundClient"]["productIntegrationInboundClient"]
        found.add(client["clientSecret"], "inbound client secret", allowed_in=label, user=client["clientId"])
        host.inbound[kind] = client
        await api.data("publish", PUBLISH_LINK, {"p": product_id, "i": integration_id}, dev)
        await api.data("order", ORDER, {"p": product_id, "c": company, "u": user}, tokens.admin)
    await deliver()
    await refused_credentials(api, host, tokens, found)
    await echoed_input(api, tokens, found)
    return (await api.data("read back", READ_ALL, {"first": 100}, tokens.admin))["events"]["nodes"]


async def refused_credentials(api: Recorder, host: ProductHost, tokens: Tokens, found: Secrets) -> None:
    """Wrong secrets at every door: the token endpoint, /graphql, a signed event fetch."""
    client = host.inbound["basic"]
    wrong = found.add(random_text("wrong-inbound-secret"), "wrong inbound secret", user=client["clientId"])
    for client_id in (client["clientId"], "no-such-client"):
        refused = await api.send("refused token", "POST", "/oauth2/token",
                                 data={"grant_type": "client_credentials"}, auth=(client_id, wrong))
        assert refused.status_code == 401
    bad_token = found.add("mlk_" + secrets.token_urlsafe(32), "unknown API token")
    assert (await api.send("refused token", "POST", "/graphql", json={"query": "{ viewer { role } }"},
                           headers={"Authorization": f"Bearer {bad_token}"})).status_code == 401
    events = (await api.data("read events", """{ events(first: 100) { nodes { url type } } }""", {},
                             tokens.admin))["events"]["nodes"]
    url = next(e["url"] for e in events if e["type"] == "SUBSCRIPTION_ORDER")
    forged = authorization_header("GET", url, "ml-key", found.add(random_text("forged"), "forged OAUTH1 secret"))
    path = url.removeprefix(str(api.client.base_url).rstrip("/"))
    assert (await api.send("forged fetch", "GET", path, headers={"Authorization": forged})).status_code == 401


async def echoed_input(api: Recorder, tokens: Tokens, found: Secrets) -> None:
    """Mistakes in requests that carry a secret: the answer names the mistake, not the value."""
    create = """mutation($input: CreateProductIntegrationInput!) { createProductIntegration(input: $input) {
      productIntegration { id } userErrors { message path code } } }"""
    mistakes = [
        {"name": "x", "outboundCredentials": {"type": "OAUTH2", "clientSecret": "{s}", "clientSecrte": "{s}"}},
        {"name": "x", "outboundCredentials": {"clientSecret": "{s}"}},
        {"name": "x", "outboundCredentials": {"type": "BASIC", "username": "u", "consumerSecret": "{s}"}},
        {"name": "x", "outboundCredentials": {"type": "OAUTH2", "clientId": "i", "clientSecret": "{s}",
                                              "tokenUri": "not a url"}},
    ]
    for number, mistake in enumerate(mistakes):
        secret = found.add(random_text(f"echo-{number}"), "secret in a refused request")
        given = {k: v for k, v in mistake.items() if k != "outboundCredentials"} | {
            "outboundCredentials": {k: secret if v == "{s}" else v for k, v in mistake["outboundCredentials"].items()}}
        await api.graphql("refused request", create, {"input": given}, tokens.developer)
    literal = found.add(random_text("echo-literal").replace('"', ""), "secret in a refused document")
    await api.graphql("refused request", 'mutation { createProductIntegration(input: {name: "x", '
                      f'outboundCredentials: {{clientSecret: "{literal}"}}}}) {{ userErrors {{ code }} }} }}',
                      {}, tokens.developer)
    other = found.add(random_text("echo-other-vendor"), "secret sent to another vendor's object")
    integrations = (await api.data("read", "{ productIntegrations(first: 1) { nodes { id } } }", {},
                                   tokens.developer))["productIntegrations"]["nodes"]
    await api.graphql("refused request", UPDATE, {"input": {"id": integrations[0]["id"], "outboundCredentials": {
        "type": "BASIC", "username": "u", "password": other}}}, tokens.other_developer)


async def web_logins(base_url: str, api: Recorder, found: Secrets, email: str, password: str) -> None:
    """A browser logs in with the right password once and the wrong one twice."""
    wrong = [found.add(random_text(f"wrong-password-{n}"), "wrong password") for n in range(2)]
    async with api.new_client(base_url) as browser:
        for attempt in [*wrong, password]:
            form = await api.send("login page", "GET", "/login", client=browser)
            token = form.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            answer = await api.send("login", "POST", "/login", client=browser, data={
                "email": email, "password": attempt, "csrf_token": token, "next": "/"})
            assert answer.status_code == (303 if attempt == password else 400)
        session = browser.cookies["marketlink_session"]
    found.add(session, "session cookie", allowed_in="login")

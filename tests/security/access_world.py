"""The world the access matrix runs in: two vendors, each with a product linked to a published
integration, an inbound client and an access token of it; a buying company with a user, an
ACTIVE subscription of the own vendor's product and its event; and the callers of the matrix.

Everything is made through the real ASGI app (the API, ``/oauth2/token``), except what has no
API: vendors and API tokens (the CLI's domain calls), the company administrator's console role
and session, and the product host's answers to events (settled as the worker settles them)."""

import base64
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import text

from marketlink.domain import deliveries
from marketlink.domain.actors import Role
from marketlink.domain.console_access import grant_console_role
from marketlink.domain.web_sessions import start_session
from marketlink.storage import outbox
from marketlink.storage.tables import metadata
from tests.helpers import World, dump_tables, make_world

OWN_URLS = {"createUrl": "https://own-host.example/create", "cancelUrl": "https://own-host.example/cancel",
            "upgradeUrl": "https://own-host.example/upgrade", "notifyUrl": "https://own-host.example/notify",
            "assignUrl": "https://own-host.example/assign", "unassignUrl": "https://own-host.example/unassign",
            "userUpdatedUrl": "https://own-host.example/user"}
EDITIONS = [{"code": "BASIC", "name": "Basic"}, {"code": "PRO", "name": "Pro"}]
ERRORS = "userErrors { __typename message path code }"

CREATE_INTEGRATION = f"""mutation($input: CreateProductIntegrationInput!) {{
  createProductIntegration(input: $input) {{ productIntegration {{ id }} {ERRORS} }} }}"""
CREATE_PRODUCT = f"""mutation($input: CreateProductInput!) {{
  createProduct(input: $input) {{ product {{ id }} {ERRORS} }} }}"""
PUBLISH = f"""mutation($i: ID!) {{ publishProductIntegration(input: {{integrationId: $i}}) {{
  productIntegration {{ id }} {ERRORS} }} }}"""
LINK = f"""mutation($p: ID!, $i: ID!) {{ linkProductIntegration(input: {{productId: $p, integrationId: $i}}) {{
  product {{ id }} {ERRORS} }} }}"""
CLIENT = f"""mutation($i: ID!) {{ generateProductIntegrationInboundClient(input: {{id: $i}}) {{
  productIntegrationInboundClient {{ clientId clientSecret }} {ERRORS} }} }}"""
SSO = {
    "BOOKMARK": ("addProductIntegrationBookmarkConfiguration",
                 {"url": "https://own-host.example/app"}),
    "OPENID_CONNECT": ("addProductIntegrationOpenIdConnectConfiguration",
                       {"clientCreationMethod": "PER_SUBSCRIPTION", "grantTypes": ["AUTHORIZATION_CODE"],
                        "redirectUrls": ["https://own-host.example/callback"],
                        "initiateLoginUrl": "https://own-host.example/login"}),
    "SAML": ("addProductIntegrationSamlConfiguration",
             {"serviceProviderEntityId": "https://own-host.example/sp",
              "assertionConsumerServiceUrl": "https://own-host.example/acs"}),
}
COMPANY = f"""mutation($input: CreateCompanyInput!) {{ createCompany(input: $input) {{
  company {{ id }} {ERRORS} }} }}"""
USER = f"""mutation($input: CreateUserInput!) {{ createUser(input: $input) {{ user {{ id }} {ERRORS} }} }}"""
ORDER = f"""mutation($input: CreateSubscriptionInput!) {{ createSubscription(input: $input) {{
  subscription {{ id }} {ERRORS} }} }}"""
STEP = """mutation($id: ID!) {{ {name}(input: {{id: $id}}) {{ subscription {{ id }} {errors} }} }}"""
ASSIGN = f"""mutation($s: ID!, $u: ID!) {{ assignUser(input: {{subscriptionId: $s, userId: $u}}) {{
  assignment {{ id }} {ERRORS} }} }}"""
EVENT_OF = """query($s: ID!) { events(subscriptionId: $s) { nodes { id type status } } }"""


@dataclass
class Market:
    """The world of the matrix; ``ids`` names the own vendor's and the other vendor's objects."""

    world: World
    client: httpx.AsyncClient
    callers: dict[str, dict[str, str]] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)
    serial: int = 0

    @property
    def own_dev(self) -> str:
        return self.world.dev_a

    @property
    def admin(self) -> str:
        return self.world.admin

    def next(self) -> int:
        """A number to tell the objects the test makes apart, and a tick of the clock so that
        lists ordered by creation time are in a known order."""
        self.serial += 1
        self.world.clock.advance(1)
        return self.serial

    async def data(self, query: str, variables: dict, token: str) -> dict:
        """The ``data`` of a set-up call, which must succeed without any user error."""
        data = await self.world.api.data(query, variables, token)
        for payload in data.values():
            assert not (isinstance(payload, dict) and payload.get("userErrors")), payload
        return data

    # --- the own vendor's configuration ---------------------------------------------------

    async def integration(self, name: str, *, token: str | None = None, sso: str | None = None,
                          published: bool = False, **fields: Any) -> str:
        self.next()
        created = await self.data(CREATE_INTEGRATION, {"input": {"name": name} | OWN_URLS | fields},
                                  token or self.own_dev)
        integration = created["createProductIntegration"]["productIntegration"]["id"]
        if sso:
            mutation, values = SSO[sso]
            await self.data(f"""mutation($input: {mutation[0].upper()}{mutation[1:]}Input!) {{
                {mutation}(input: $input) {{ {ERRORS} }} }}""",
                            {"input": {"integrationConfigurationId": integration} | values},
                            token or self.own_dev)
        if published:
            await self.publish(integration, token)
        return integration

    async def publish(self, integration: str, token: str | None = None) -> str:
        self.next()
        data = await self.data(PUBLISH, {"i": integration}, token or self.own_dev)
        return data["publishProductIntegration"]["productIntegration"]["id"]

    async def product(self, name: str, *, token: str | None = None, integration: str | None = None) -> str:
        self.next()
        data = await self.data(CREATE_PRODUCT, {"input": {"name": name, "usageType": "MULTI_USER",
                                                          "editions": EDITIONS}}, token or self.own_dev)
        product = data["createProduct"]["product"]["id"]
        if integration:
            await self.data(LINK, {"p": product, "i": integration}, token or self.own_dev)
        return product

    async def inbound_client(self, integration: str, token: str | None = None) -> dict:
        self.next()
        data = await self.data(CLIENT, {"i": integration}, token or self.own_dev)
        return data["generateProductIntegrationInboundClient"]["productIntegrationInboundClient"]

    async def access_token(self, client: dict) -> str:
        pair = base64.b64encode(f"{client['clientId']}:{client['clientSecret']}".encode()).decode()
        response = await self.client.post("/oauth2/token", headers={"Authorization": f"Basic {pair}"},
                                          data={"grant_type": "client_credentials",
                                                "scope": "ROLE_APPLICATION"})
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    # --- commerce ---------------------------------------------------------------------------

    async def company(self, name: str) -> str:
        self.next()
        data = await self.data(COMPANY, {"input": {"name": name, "country": "US"}}, self.admin)
        return data["createCompany"]["company"]["id"]

    async def user(self, company: str, email: str) -> str:
        self.next()
        data = await self.data(USER, {"input": {"companyId": company, "email": email, "firstName": "Ada",
                                                "lastName": "Lovelace", "language": "en"}}, self.admin)
        return data["createUser"]["user"]["id"]

    async def subscription(self, status: str = "ACTIVE", product: str | None = None,
                           company: str | None = None, user: str | None = None) -> str:
        """A subscription of the own vendor's shop product, bought by the shop company's user
        (unless told otherwise), brought to ``status`` (INITIALIZED, ACTIVE,
        SUSPENDED, CANCELLED) by the host's answers."""
        self.next()
        data = await self.data(ORDER, {"input": {
            "productId": product or self.ids["shop_product"],
            "companyId": company or self.ids["shop_company"], "creatorId": user or self.ids["shop_user"],
            "editionCode": "BASIC", "pricingDuration": "MONTHLY",
            "items": [{"unit": "USER", "quantity": 5}]}}, self.admin)
        subscription = data["createSubscription"]["subscription"]["id"]
        if status == "INITIALIZED":
            return subscription
        await self.settle_due("SUCCEEDED", account_identifier=f"acct-{self.serial}")
        step = {"SUSPENDED": "suspendSubscription", "CANCELLED": "cancelSubscription"}.get(status)
        if step:
            await self.data(STEP.format(name=step, errors=ERRORS), {"id": subscription}, self.admin)
            await self.settle_due("SUCCEEDED")
        return subscription

    async def assignment(self, subscription: str, user: str) -> None:
        """``user`` assigned to ``subscription`` (ACTIVE: the host answered)."""
        await self.data(ASSIGN, {"s": subscription, "u": user}, self.admin)
        await self.settle_due("SUCCEEDED", user_identifier=f"user-{self.next()}")

    async def event_of(self, subscription: str, outcome: str | None = None) -> str:
        """The (only) event of ``subscription``, first settled as ``outcome`` if given."""
        if outcome:
            await self.settle_due(outcome)
        data = await self.world.api.data(EVENT_OF, {"s": subscription}, self.admin)
        [event] = data["events"]["nodes"]
        return event["id"]

    async def settle_due(self, kind: str, **result: Any) -> None:
        """Every due event answered ``kind`` by its host, as the worker records it (events of
        one subscription are claimed one at a time, so this loops until none is due)."""
        world = self.world
        while True:
            async with world.db.write() as conn:
                due = await outbox.claim_due(conn, "matrix", world.clock.now_ms(), 60_000, 100)
                for event in due:
                    outcome = deliveries.AttemptOutcome(kind, success=kind == "SUCCEEDED", **result)
                    attempt = {"started_on": world.clock.now_ms(), "url": "https://own-host.example",
                               "outcome": kind, "http_status": 200, "duration_ms": 1, "error": None}
                    assert await deliveries.settle(conn, world.settings, dict(event), "matrix",
                                                   outcome, attempt, world.clock.now_ms())
            if not due:
                return


async def build_market(db) -> Market:
    world, client = await make_world(db, run_worker=False)
    market = Market(world, client)
    ids = market.ids
    ids["integration"] = await market.integration("Own Integration", published=True, outboundCredentials={
        "type": "BASIC", "username": "own-user", "password": "own-password"})
    ids["snapshot"] = await market.publish(ids["integration"])
    ids["product"] = await market.product("Own App", integration=ids["integration"])
    ids["other_integration"] = await market.integration("Other Integration", token=world.dev_b,
                                                        published=True)
    ids["other_product"] = await market.product("Other App", token=world.dev_b,
                                                integration=ids["other_integration"])
    own_client = await market.inbound_client(ids["integration"])
    other_client = await market.inbound_client(ids["other_integration"], world.dev_b)
    ids["own_client"] = own_client["clientId"]
    ids["company"] = await market.company("Buyer Inc")
    ids["user"] = await market.user(ids["company"], "ada@buyer.example")
    ids["subscription"] = await market.subscription("ACTIVE", product=ids["product"], company=ids["company"],
                                                    user=ids["user"])
    # What the matrix's requests change is made apart, so that the base objects stay as they are.
    ids["shop_product"] = await market.product("Own Shop App", integration=ids["integration"])
    ids["shop_company"] = await market.company("Shop Co")
    ids["shop_user"] = await market.user(ids["shop_company"], "shopper@shop.example")
    ids["event"] = await market.event_of(ids["subscription"])
    market.callers = {
        "anonymous": {},
        "company_admin_session": {"Cookie": f"marketlink_session={await _company_admin_session(market)}"},
        "other_inbound_client": _bearer(await market.access_token(other_client)),
        "own_inbound_client": _bearer(await market.access_token(own_client)),
        "other_developer": _bearer(world.dev_b),
        "own_developer": _bearer(world.dev_a),
        "admin": _bearer(world.admin),
    }
    return market


async def _company_admin_session(market: Market) -> str:
    """The console session of the buying company's administrator (a role no API token has)."""
    world = market.world
    async with world.db.write() as conn:
        granted = await grant_console_role(conn, world.services, "ada@buyer.example",
                                           Role.COMPANY_ADMIN, None, market.ids["company"])
        assert granted.errors == []
        return (await start_session(conn, world.services, granted.value)).token


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def table_snapshot(db) -> Any:
    """Every row of every table: equal before and after means nothing was written. On
    PostgreSQL in one statement (each table's rows as sorted JSON), as ``dump_tables`` would
    take a round trip per table; on SQLite ``dump_tables`` itself."""
    if db.sqlite:
        return await dump_tables(db)
    columns = ", ".join(
        f"(SELECT coalesce(json_agg(r ORDER BY r::text), '[]')::text FROM \"{t.name}\" r)"
        for t in metadata.sorted_tables)
    async with db.read() as conn:
        return tuple((await conn.execute(text(f"SELECT {columns}"))).one())

"""A marketplace where an app signs in with SAML, set up through the GraphQL API as a vendor and
an administrator would: the integration with its SAML configuration, published and linked; a
buyer company whose user Ada has a password, an ACTIVE subscription and an ACTIVE assignment
(the product host answered both events); the order event's ``samlIdp`` link."""

import re
from contextlib import asynccontextmanager
from dataclasses import dataclass
from html import unescape
from typing import Any
from urllib.parse import urlsplit

import httpx

from marketlink.domain.logins import set_password
from marketlink.domain.passwords import Passwords
from tests.api.test_commerce import CREATE_COMPANY, CREATE_SUBSCRIPTION, CREATE_USER, buyer, order_input
from tests.api.test_subscription_lifecycle import PUBLISH_LINK, SETUP, URLS, answer, events
from tests.e2e.saml_sp import ServiceProvider, use_clock
from tests.helpers import World, make_world

BASE = "http://marketlink.test"
PASSWORD = "correct horse battery staple"
FAST_HASHING = {"password_hash_memory_kib": 19_456, "password_hash_time_cost": 2,
                "password_hash_parallelism": 1}
SAML_CONFIGURATION = {
    "idpConfigurationCreationMethod": "PER_SUBSCRIPTION",
    "serviceProviderEntityId": "https://sp.example/metadata",
    "assertionConsumerServiceUrl": "https://sp.example/acs",
    "nameId": "{user.emailAddress}",
    "nameIdFormat": "EMAIL",
    "relayState": "https://sp.example/home?company={company.uuid}",
    "assertionAttributes": [
        {"name": "email", "value": "{user.emailAddress}"},
        {"name": "name", "value": "{user.firstName} {user.lastName}"},
        {"name": "userId", "value": "{user.uuid}"},
        {"name": "company", "value": "{company.name} ({company.uuid})"},
        {"name": "userIdentifier", "value": "{user.userIdentifier}"},
        {"name": "account", "value": "{account.accountIdentifier}"},
    ],
    "notBeforeMinutes": 2,
    "notAfterMinutes": 10,
}
ADD_SAML = """mutation($input: AddProductIntegrationSamlConfigurationInput!) {
  addProductIntegrationSamlConfiguration(input: $input) { userErrors { message path } } }"""
ASSIGN = """mutation($s: ID!, $u: ID!) { assignUser(input: {subscriptionId: $s, userId: $u}) {
  userErrors { message } } }"""


@dataclass
class SamlWorld:
    world: World
    client: httpx.AsyncClient
    product: str
    integration: str
    company: str
    ada: str
    subscription: str
    metadata_url: str

    @property
    def idp_path(self) -> str:
        return urlsplit(self.metadata_url).path.removesuffix("/metadata")

    @property
    def login_path(self) -> str:
        return self.idp_path + "/login"

    @property
    def sso_path(self) -> str:
        return self.idp_path + "/sso"

    async def metadata_xml(self) -> str:
        response = await self.client.get(self.metadata_url,
                                          headers={"Accept": "application/samlmetadata+xml"})
        assert response.status_code == 200, response.text
        return response.text

    async def service_provider(self, **options: Any) -> ServiceProvider:
        return ServiceProvider(await self.metadata_xml(), **options)


@asynccontextmanager
async def saml_world(db, monkeypatch, **configuration: Any):
    """The world above, with ``configuration`` over :data:`SAML_CONFIGURATION`."""
    world, client = await make_world(db, base_url=BASE, **FAST_HASHING)
    use_clock(monkeypatch, world.clock)
    async with client:
        product, integration = await saml_product(world, SAML_CONFIGURATION | configuration)
        company, ada = await buyer(world)
        await give_password(world, "ada@buyer.example")
        subscription = await active_subscription(world, product, company, ada)
        await assign(world, subscription, ada, "host-ada")
        [order, *_] = await events(world, subscription)
        [link] = order["document"]["links"]
        assert link["rel"] == "samlIdp"
        yield SamlWorld(world, client, product, integration, company, ada, subscription, link["href"])


async def saml_product(world: World, configuration: dict[str, Any]) -> tuple[str, str]:
    data = await world.api.data(SETUP, {"integration": {"name": "Host"} | URLS, "product": {
        "name": "App", "editions": [{"code": "BASIC", "name": "Basic"}]}}, world.dev_a)
    integration = data["createProductIntegration"]["productIntegration"]["id"]
    product = data["createProduct"]["product"]["id"]
    added = await world.api.data(ADD_SAML, {"input": {"integrationConfigurationId": integration}
                                            | configuration}, world.dev_a)
    assert added["addProductIntegrationSamlConfiguration"]["userErrors"] == []
    await world.api.data(PUBLISH_LINK, {"p": product, "i": integration}, world.dev_a)
    return product, integration


async def active_subscription(world: World, product: str, company: str, user: str) -> str:
    order = await world.api.data(CREATE_SUBSCRIPTION, {"input": order_input(product, company, user)},
                                 world.admin)
    await answer(world, "SUCCEEDED", account_identifier="acct-1")
    return order["createSubscription"]["subscription"]["id"]


async def assign(world: World, subscription: str, user: str, user_identifier: str) -> None:
    data = await world.api.data(ASSIGN, {"s": subscription, "u": user}, world.admin)
    assert data["assignUser"]["userErrors"] == []
    await answer(world, "SUCCEEDED", user_identifier=user_identifier)


async def person(world: World, company: str | None, email: str, first: str) -> tuple[str, str]:
    """A user with a password, in ``company`` or in a company of their own: (company, user)."""
    if company is None:
        company = (await world.api.data(CREATE_COMPANY, {"input": {"name": "Other Corp", "country": "FR"}},
                                        world.admin))["createCompany"]["company"]["id"]
    user = (await world.api.data(CREATE_USER, {"input": {
        "companyId": company, "email": email, "firstName": first, "lastName": "Doe",
        "language": "en"}}, world.admin))["createUser"]["user"]["id"]
    await give_password(world, email)
    return company, user


async def give_password(world: World, email: str) -> None:
    outcome = await set_password(world.db, world.services, Passwords(world.settings), email, PASSWORD)
    assert outcome.errors == []


async def log_in_through(client: httpx.AsyncClient, login_location: str,
                         email: str = "ada@buyer.example") -> httpx.Response:
    """Follow a redirect to the login page and submit its form (CSRF token included)."""
    form = await client.get(login_location)
    assert form.status_code == 200
    fields = dict(re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)">', form.text))
    return await client.post("/login", data={"email": email, "password": PASSWORD,
                                             "csrf_token": fields["csrf_token"],
                                             "next": unescape(fields["next"])})


async def log_in(client: httpx.AsyncClient, email: str = "ada@buyer.example") -> None:
    response = await log_in_through(client, "/login", email)
    assert response.status_code == 303

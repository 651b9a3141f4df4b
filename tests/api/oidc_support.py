"""Given-steps of the OpenID provider's tests: a product whose integration signs in with
OpenID Connect, bought by a company, its users assigned (the host's answers settled as the
worker settles them), and the client the host fetches through the order event's link."""

from dataclasses import dataclass
from urllib.parse import urlsplit

from marketlink.domain import companies
from marketlink.domain.actors import Actor, Role
from marketlink.domain.logins import set_password
from marketlink.domain.models import User
from marketlink.domain.passwords import Passwords
from tests.api.test_assignments import assign
from tests.api.test_protocol import access_token
from tests.api.test_subscription_lifecycle import PUBLISH_LINK, SETUP, URLS, answer

ADMIN = Actor(Role.ADMIN, None)
PASSWORD = "correct horse battery staple"
FAST_HASHING = {"password_hash_memory_kib": 19_456, "password_hash_time_cost": 2,
                "password_hash_parallelism": 1}
REDIRECT = "https://rp.example/callback"
OIDC = {"clientCreationMethod": "PER_SUBSCRIPTION", "grantTypes": ["AUTHORIZATION_CODE", "REFRESH_TOKEN"],
        "redirectUrls": [REDIRECT, "https://rp.example/other"], "allowUserScopes": True,
        "allowRoleScopes": True, "initiateLoginUrl": "https://rp.example/login"}
ADD_OIDC = """mutation($input: AddProductIntegrationOpenIdConnectConfigurationInput!) {
  addProductIntegrationOpenIdConnectConfiguration(input: $input) { userErrors { message } } }"""
INBOUND = """mutation($id: ID!) { generateProductIntegrationInboundClient(input: {id: $id}) {
  productIntegrationInboundClient { clientId clientSecret } } }"""
ORDER = """mutation($p: ID!, $c: ID!, $u: ID!) { createSubscription(input: {productId: $p, companyId: $c,
  creatorId: $u, editionCode: "BASIC", pricingDuration: MONTHLY}) { subscription { id } } }"""
ORDER_EVENT = """query($s: ID!) { events(subscriptionId: $s, type: SUBSCRIPTION_ORDER) {
  nodes { document } } }"""


@dataclass
class App:
    integration: str
    product: str
    inbound: dict  # the host's inbound client: clientId, clientSecret


async def oidc_app(world, name: str = "Chat", **fields) -> App:
    """A published integration with OpenID Connect (``OIDC`` with ``fields`` over it), an
    inbound client, and a product linked to it. ``sso=None`` leaves SSO out."""
    data = await world.api.data(SETUP, {"integration": {"name": name} | URLS, "product": {
        "name": name, "editions": [{"code": "BASIC", "name": "Basic"}]}}, world.dev_a)
    integration = data["createProductIntegration"]["productIntegration"]["id"]
    product = data["createProduct"]["product"]["id"]
    if fields.pop("sso", True) is not None:
        added = await world.api.data(ADD_OIDC, {"input": {"integrationConfigurationId": integration}
                                                | OIDC | fields}, world.dev_a)
        assert added["addProductIntegrationOpenIdConnectConfiguration"]["userErrors"] == []
    inbound = (await world.api.data(INBOUND, {"id": integration}, world.dev_a))[
        "generateProductIntegrationInboundClient"]["productIntegrationInboundClient"]
    await world.api.data(PUBLISH_LINK, {"p": product, "i": integration}, world.dev_a)
    return App(integration, product, inbound)


async def person(world, email: str, *, company: str | None = None, first: str = "Ada",
                 last: str = "Lovelace", password: str | None = PASSWORD) -> User:
    """A user (of ``company``, else of a new company) who can log in with ``PASSWORD``."""
    async def create(conn):
        company_id = company or (await companies.create_company(
            conn, ADMIN, world.services, {"name": f"{first}'s company", "country": "GB"})).value.id
        return await companies.create_user(conn, ADMIN, world.services, {
            "companyId": company_id, "email": email, "firstName": first, "lastName": last,
            "language": "en", "locale": "en-GB"})

    user = (await world.db.command(create)).value
    if password:
        await set_password(world.db, world.services, Passwords(world.settings), email, password)
    return user


async def bought(world, app: App, buyer: User, *, active: bool = True) -> str:
    """``buyer``'s company orders the product; the host accepts unless ``active`` is False."""
    order = await world.api.data(ORDER, {"p": app.product, "c": buyer.company_id, "u": buyer.id},
                                 world.admin)
    subscription = order["createSubscription"]["subscription"]["id"]
    if active:
        await answer(world, "SUCCEEDED", account_identifier=f"acct-{subscription[:8]}")
    return subscription


async def assigned(world, subscription: str, user: User) -> None:
    await assign(world, subscription, user.id)
    await answer(world, "SUCCEEDED", user_identifier=f"host-{user.first_name.lower()}")


async def order_links(world, subscription: str) -> list[dict]:
    [event] = (await world.api.data(ORDER_EVENT, {"s": subscription}, world.admin))["events"]["nodes"]
    return event["document"]["links"]


async def fetch_client(world, app: App, href: str, inbound: dict | None = None):
    """The host's GET of an ``oidcClient`` link with its inbound client's access token."""
    token = await access_token(world, inbound or app.inbound)
    return await world.api.client.get(urlsplit(href).path, headers={"Authorization": f"Bearer {token}"})


async def client_of(world, app: App, subscription: str) -> dict:
    """The OpenID client the order event of ``subscription`` links to, as the host gets it."""
    [link] = await order_links(world, subscription)
    response = await fetch_client(world, app, link["href"])
    assert response.status_code == 200, response.text
    return response.json()

"""The marketplace side of a fault run: MarketLink's GraphQL API in this process (the real ASGI
app on the run's database, the real clock), a product per fault-host port, one buyer, and the
producer that makes the events while the workers deliver.

Each subscription makes eight events: its order, then, once the order has made it ACTIVE, one
request of seven mutations (each its own transaction): assign the buyer, change to PRO, an
upcoming-invoice notice, suspend, reactivate, cancel, close. Every step is allowed by the status
the subscription will have once the events before it succeed, and the two steps the host may
refuse for good (the assignment and the change) leave that status as it was.
"""

import asyncio
from dataclasses import dataclass, field

import httpx
from sqlalchemy import select

from marketlink.app import create_app
from marketlink.domain.actors import Role
from marketlink.domain.vendors import create_token, create_vendor
from marketlink.storage.database import Database
from marketlink.storage.tables import subscriptions
from tests.faults.gate import Gate
from tests.helpers import Api, settings_for

EVENT_TYPES = ["SUBSCRIPTION_ORDER", "USER_ASSIGNMENT", "SUBSCRIPTION_CHANGE", "SUBSCRIPTION_NOTICE",
               "SUBSCRIPTION_NOTICE", "SUBSCRIPTION_NOTICE", "SUBSCRIPTION_CANCEL", "SUBSCRIPTION_NOTICE"]
EVENTS_PER_SUBSCRIPTION = len(EVENT_TYPES)
ORDERS_PER_REQUEST = 10
LIFECYCLES_AT_ONCE = 4
SETUP = """mutation($integration: CreateProductIntegrationInput!, $product: CreateProductInput!) {
  createProductIntegration(input: $integration) { productIntegration { id } }
  createProduct(input: $product) { product { id } } }"""
PUBLISH_LINK = """mutation($p: ID!, $i: ID!) {
  publishProductIntegration(input: {integrationId: $i}) { productIntegration { id } }
  linkProductIntegration(input: {productId: $p, integrationId: $i}) { product { id } } }"""
BUYER = """mutation { createCompany(input: {name: "Fault Buyer", country: "US"}) { company { id } } }"""
USER = """mutation($c: ID!) { createUser(input: {companyId: $c, email: "faults@buyer.example",
  firstName: "F", lastName: "B", language: "en"}) { user { id } } }"""
ORDER = """o{n}: createSubscription(input: {{productId: "{product}", companyId: $c, creatorId: $u,
  editionCode: "BASIC", pricingDuration: MONTHLY}}) {{ subscription {{ id }} userErrors {{ message }} }}"""
LIFECYCLE = """mutation($id: ID!, $u: ID!) {
  assign: assignUser(input: {subscriptionId: $id, userId: $u}) { userErrors { message } }
  change: changeSubscription(input: {id: $id, editionCode: "PRO"}) { userErrors { message } }
  invoice: notifyUpcomingInvoice(input: {id: $id}) { userErrors { message } }
  suspend: suspendSubscription(input: {id: $id}) { userErrors { message } }
  reactivate: reactivateSubscription(input: {id: $id}) { userErrors { message } }
  cancel: cancelSubscription(input: {id: $id}) { userErrors { message } }
  close: closeSubscription(input: {id: $id}) { userErrors { message } } }"""


@dataclass
class Shop:
    db: Database
    api: Api
    client: httpx.AsyncClient
    admin: str
    products: list[str]
    company: str
    user: str
    ordered: list[str] = field(default_factory=list)  # the subscriptions made, in order

    @classmethod
    async def open(cls, db: Database, host_ports: list[int]) -> "Shop":
        settings = settings_for(db.url, allow_private_urls=True, run_worker=False)
        app = create_app(settings, db=db)
        services = app.state.services
        async with db.write() as conn:
            vendor = await create_vendor(conn, services, "Fault Vendor")
            admin = await create_token(conn, services, Role.ADMIN, None, "admin")
            developer = await create_token(conn, services, Role.DEVELOPER, vendor, "developer")
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://marketlink.test")
        api = Api(client)
        products = [await _product(api, developer, port) for port in host_ports]
        company = (await api.data(BUYER, None, admin))["createCompany"]["company"]["id"]
        user = (await api.data(USER, {"c": company}, admin))["createUser"]["user"]["id"]
        return cls(db, api, client, admin, products, company, user)

    async def close(self) -> None:
        await self.client.aclose()

    async def produce(self, count: int, gate: Gate) -> None:
        """Order ``count`` subscriptions (round robin over the products; ``ordered``) and queue
        each one's lifecycle as soon as its order has made it ACTIVE."""
        ordered = self.ordered
        ordering = asyncio.create_task(self._order(count, gate, ordered))
        try:
            await self._queue_lifecycles(count, gate, ordering)
            await ordering
        finally:
            ordering.cancel()

    async def _queue_lifecycles(self, count: int, gate: Gate, ordering: asyncio.Task) -> None:
        queued: set[str] = set()
        limit = asyncio.Semaphore(LIFECYCLES_AT_ONCE)
        while len(queued) < count:
            async with gate.passing():
                async with self.db.read() as conn:
                    active = set((await conn.execute(select(subscriptions.c.id).where(
                        subscriptions.c.status == "ACTIVE"))).scalars())
            fresh = [s for s in self.ordered if s in active and s not in queued]
            queued.update(fresh)
            await asyncio.gather(*(self._lifecycle(s, gate, limit) for s in fresh))
            if ordering.done():
                ordering.result()  # raises what went wrong
            await asyncio.sleep(0.1 if fresh else 0.25)

    async def _order(self, count: int, gate: Gate, ordered: list[str]) -> None:
        for first in range(0, count, ORDERS_PER_REQUEST):
            numbers = range(first, min(count, first + ORDERS_PER_REQUEST))
            fields = "\n".join(ORDER.format(n=n, product=self.products[n % len(self.products)])
                               for n in numbers)
            data = await self._call(gate, f"mutation($c: ID!, $u: ID!) {{ {fields} }}",
                                    {"c": self.company, "u": self.user})
            ordered += [data[f"o{n}"]["subscription"]["id"] for n in numbers]

    async def _lifecycle(self, subscription_id: str, gate: Gate, limit: asyncio.Semaphore) -> None:
        async with limit:
            await self._call(gate, LIFECYCLE, {"id": subscription_id, "u": self.user})

    async def _call(self, gate: Gate, query: str, variables: dict) -> dict:
        """A mutation request whose every mutation must succeed (no userErrors)."""
        async with gate.passing():
            data = await self.api.data(query, variables, self.admin)
        refused = {name: answer["userErrors"] for name, answer in data.items() if answer["userErrors"]}
        if refused:
            raise AssertionError(f"mutations refused: {refused}")
        return data


async def _product(api: Api, developer: str, port: int) -> str:
    base = f"http://127.0.0.1:{port}"
    urls = {f"{field}Url": f"{base}/{path}?token={{token}}" for field, path in (
        ("create", "create"), ("assign", "assign"), ("upgrade", "change"), ("notify", "notify"),
        ("cancel", "cancel"))}
    data = await api.data(SETUP, {"integration": {"name": f"Host {port}"} | urls, "product": {
        "name": f"App {port}", "editions": [{"code": "BASIC", "name": "Basic"},
                                            {"code": "PRO", "name": "Pro"}]}}, developer)
    product = data["createProduct"]["product"]["id"]
    await api.data(PUBLISH_LINK, {"p": product, "i": data["createProductIntegration"]["productIntegration"]["id"]},
                   developer)
    return product


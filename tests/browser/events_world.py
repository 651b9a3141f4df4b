"""A small marketplace for the event log and subscription pages' browser tests, set up with
domain calls on the console server's loop: a vendor whose published integration notifies a
loopback host, a product linked to it, a buying company with two users."""

from dataclasses import dataclass
from typing import Any

from marketlink.domain.actors import Actor, Role
from marketlink.domain.companies import create_company, create_user
from marketlink.domain.integrations import create_integration
from marketlink.domain.products import create_product
from marketlink.domain.publishing import link_product, publish_integration
from marketlink.domain.services import Services
from marketlink.domain.subscriptions import create_subscription
from marketlink.domain.vendors import create_vendor
from marketlink.storage.database import Database
from tests.browser.conftest import ConsoleServer, LoopbackHost

ADMIN = Actor(Role.ADMIN, None)


@dataclass
class Market:
    vendor_id: str
    integration_id: str
    product_id: str
    company_id: str
    buyer_id: str  # ada@buyer.example
    colleague_id: str  # bob@buyer.example


async def _ok(db: Database, services: Services, command: Any, actor: Actor, changes: dict) -> Any:
    outcome = await db.command(lambda conn: command(conn, actor, services, changes))
    assert outcome.errors == [], outcome.errors
    return outcome.value


def market(console: ConsoleServer, host: LoopbackHost, vendor: str = "Vendor A",
           product: str = "Notes", company: str = "Buyer Ltd", email_prefix: str = "") -> Market:
    async def build(db: Database, services: Services) -> Market:
        async with db.write() as conn:
            vendor_id = await create_vendor(conn, services, vendor)
        developer = Actor(Role.DEVELOPER, vendor_id)
        integration = await _ok(db, services, create_integration, developer, {
            "name": f"{product} host", "createUrl": host.url + "/create?eventUrl={eventUrl}",
            "upgradeUrl": host.url + "/change", "cancelUrl": host.url + "/cancel",
            "assignUrl": host.url + "/assign", "unassignUrl": host.url + "/unassign"})
        made = await _ok(db, services, create_product, developer, {
            "name": product, "usageType": "MULTI_USER",
            "editions": [{"code": "BASIC", "name": "Basic"}, {"code": "PRO", "name": "Pro"}]})
        await _ok(db, services, publish_integration, developer, {"integrationId": integration.id})
        await _ok(db, services, link_product, developer, {"productId": made.id, "integrationId": integration.id})
        buyer_company = await _ok(db, services, create_company, ADMIN, {"name": company, "country": "GB"})
        people = [await _ok(db, services, create_user, ADMIN, {
            "companyId": buyer_company.id, "email": f"{email_prefix}{name}@buyer.example",
            "firstName": name.title(), "lastName": "Buyer", "language": "en"}) for name in ("ada", "bob")]
        return Market(vendor_id, integration.id, made.id, buyer_company.id, people[0].id, people[1].id)

    return console.call(build)


def order(console: ConsoleServer, world: Market, edition: str = "BASIC") -> str:
    """A subscription ordered through the domain (as createSubscription does); its id."""
    async def place(db: Database, services: Services) -> str:
        made = await _ok(db, services, create_subscription, ADMIN, {
            "productId": world.product_id, "companyId": world.company_id, "creatorId": world.buyer_id,
            "editionCode": edition, "pricingDuration": "MONTHLY", "items": [{"unit": "USER", "quantity": 3}]})
        return made.id

    return console.call(place)

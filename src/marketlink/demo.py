"""Demo data for ``make run``: a vendor, a product with editions, and an integration linked to
it and published; a buying company and its user, who can log in (and is the company's
administrator in the console). Loading twice changes nothing
but the admin token, which is replaced (a token is shown only once, so each run prints a fresh
one and revokes the last), and the buyer's password, which is set anew and printed
(``demo_password``, or a random one)."""

import json
import os
import secrets
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.config import Settings
from marketlink.demo_host import CREDENTIALS_FILE
from marketlink.domain import inbound_clients, integrations, logins, products, publishing, vendors
from marketlink.domain.actors import Actor, Role
from marketlink.domain.console_access import console_actor, grant_console_role
from marketlink.domain.errors import Outcome
from marketlink.domain.passwords import Passwords
from marketlink.domain.services import Services
from marketlink.storage import commerce
from marketlink.storage.database import Database

DEMO_VENDOR_ID = "8a3f1c2e-0b7d-4e4a-9c55-6d0e2f1a7b01"
DEMO_TOKEN_NAME = "demo admin (make run)"
ADMIN = Actor(Role.ADMIN, None)
DEMO_DEVELOPER = Actor(Role.DEVELOPER, DEMO_VENDOR_ID)
T = TypeVar("T")


DEMO_INTEGRATION_NAME = "Demo Integration"
DEMO_COMPANY_ID = "8a3f1c2e-0b7d-4e4a-9c55-6d0e2f1a7b02"
DEMO_USER_ID = "8a3f1c2e-0b7d-4e4a-9c55-6d0e2f1a7b03"
DEMO_USER_EMAIL = "ada@demo-buyer.example"
# Console users (issue 5): a marketplace administrator and the demo vendor's developer.
DEMO_STAFF_COMPANY_ID = "8a3f1c2e-0b7d-4e4a-9c55-6d0e2f1a7b04"
DEMO_CONSOLE_USERS = (
    ("8a3f1c2e-0b7d-4e4a-9c55-6d0e2f1a7b05", "admin@demo-marketplace.example", "Grace", "Hopper",
     Role.ADMIN, None),
    ("8a3f1c2e-0b7d-4e4a-9c55-6d0e2f1a7b06", "dev@demo-vendor.example", "Alan", "Turing",
     Role.DEVELOPER, DEMO_VENDOR_ID),
)


@dataclass(frozen=True)
class Demo:
    token: str
    product_id: str
    buyer_password: str


async def load_demo(db: Database, services: Services) -> Demo:
    password = services.settings.demo_password or secrets.token_urlsafe(12)
    password_hash = await Passwords(services.settings).hash(password)  # before the write lock
    async with db.write() as conn:
        if not await vendors.vendor_exists(conn, DEMO_VENDOR_ID):
            await _create_demo_objects(conn, services)
            await _create_demo_buyer(conn, services)
        if await commerce.by_id(conn, commerce.users, DEMO_CONSOLE_USERS[0][0]) is None:
            await _create_demo_console_users(conn, services)
        if await console_actor(conn, DEMO_USER_ID) is None:  # also in demo data of earlier versions
            _done(await grant_console_role(conn, services, DEMO_USER_EMAIL, Role.COMPANY_ADMIN, None,
                                           DEMO_COMPANY_ID))
        for user_id in (DEMO_USER_ID, *(user[0] for user in DEMO_CONSOLE_USERS)):
            await logins.save_password(conn, services, user_id, password_hash)
        if not (Path(services.settings.data_dir) / CREDENTIALS_FILE).exists():
            await _give_demo_host_credentials(conn, services)
        await vendors.revoke_tokens_named(conn, services, DEMO_TOKEN_NAME)
        token = await vendors.create_token(conn, services, Role.ADMIN, None, DEMO_TOKEN_NAME)
        demo_products, _ = await products.products_page(conn, DEMO_DEVELOPER, None, 1)
        return Demo(token, demo_products[0].id, password)


async def _create_demo_buyer(conn: AsyncConnection, services: Services) -> None:
    """A buying company and its user, with fixed ids so the printed example works as is."""
    now = services.clock.now_ms()
    await commerce.insert(conn, commerce.companies, {
        "id": DEMO_COMPANY_ID, "name": "Demo Buyer", "country": "US", "email": None,
        "website": None, "created_on": now})
    await commerce.insert(conn, commerce.users, {
        "id": DEMO_USER_ID, "company_id": DEMO_COMPANY_ID, "email": DEMO_USER_EMAIL,
        "first_name": "Ada", "last_name": "Lovelace", "language": "en", "locale": "en-US",
        "created_on": now, "last_modified": now})


async def _create_demo_console_users(conn: AsyncConnection, services: Services) -> None:
    """The console's administrator and developer, in a company of the marketplace's own."""
    now = services.clock.now_ms()
    await commerce.insert(conn, commerce.companies, {
        "id": DEMO_STAFF_COMPANY_ID, "name": "Demo Marketplace Staff", "country": "US",
        "email": None, "website": None, "created_on": now})
    for user_id, email, first, last, role, vendor_id in DEMO_CONSOLE_USERS:
        await commerce.insert(conn, commerce.users, {
            "id": user_id, "company_id": DEMO_STAFF_COMPANY_ID, "email": email,
            "first_name": first, "last_name": last, "language": "en", "locale": "en-US",
            "created_on": now, "last_modified": now})
        _done(await grant_console_role(conn, services, email, role, vendor_id))


async def _give_demo_host_credentials(conn: AsyncConnection, services: Services) -> None:
    """An inbound client for the demo host, its secret written where only it reads it."""
    integration_id = await _demo_integration_id(conn)
    issued = _done(await inbound_clients.generate_client(conn, ADMIN, services, {"id": integration_id}))
    path = Path(services.settings.data_dir) / CREDENTIALS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({"clientId": issued.client_id, "clientSecret": issued.client_secret}, handle)


async def _demo_integration_id(conn: AsyncConnection) -> str:
    found, _ = await integrations.integrations_page(conn, DEMO_DEVELOPER, None, 100)
    return next(v.id for v in found if v.name == DEMO_INTEGRATION_NAME)


async def _create_demo_objects(conn: AsyncConnection, services: Services) -> None:
    await vendors.create_vendor(conn, services, "Demo Vendor", DEMO_VENDOR_ID)
    host = services.settings.base_url + "/demo/product-host/events?eventUrl={eventUrl}"
    created = await integrations.create_integration(conn, ADMIN, services, {
        "vendorId": DEMO_VENDOR_ID, "name": DEMO_INTEGRATION_NAME,
        **{field: host for field in ("createUrl", "upgradeUrl", "cancelUrl", "notifyUrl",
                                     "eventStatusUrl", "assignUrl", "unassignUrl")},
    })
    product = await products.create_product(conn, ADMIN, services, {
        "vendorId": DEMO_VENDOR_ID, "name": "Demo Product", "usageType": "MULTI_USER",
        "editions": [{"code": "BASIC", "name": "Basic"}, {"code": "PRO", "name": "Professional"}],
    })
    integration_id = _done(created).id
    _done(await publishing.publish_integration(conn, ADMIN, services, {"integrationId": integration_id}))
    _done(await publishing.link_product(conn, ADMIN, services, {
        "productId": _done(product).id, "integrationId": integration_id}))


def _done(outcome: Outcome[T]) -> T:
    """The demo's data is fixed: a user error here is a bug, not something to carry on from."""
    if outcome.errors or outcome.value is None:
        raise RuntimeError(f"demo data refused: {outcome.errors}")
    return outcome.value


def print_welcome(settings: Settings, demo: Demo) -> None:
    order = (
        'mutation { createSubscription(input: {productId: "%s", companyId: "%s", creatorId: "%s", '
        'editionCode: "BASIC", pricingDuration: MONTHLY, items: [{unit: "USER", quantity: 5}]}) '
        '{ subscription { id status } userErrors { message } } }' % (demo.product_id, DEMO_COMPANY_ID, DEMO_USER_ID))
    look = "{ subscriptions { nodes { id status accountIdentifier events { type status } } } }"
    click.echo(f"""
Demo data loaded: vendor "Demo Vendor", product "Demo Product" (integration "Demo Integration",
published and linked), buyer "Demo Buyer" with user ada@demo-buyer.example, and a demo product
host at {settings.base_url}/demo/product-host/ answering the integration's notifications.

Admin API token (shown once; a new one replaces it on every `make run`):
  {demo.token}

Buy the product (the order is delivered to the demo host, which fetches it and answers):
  {_curl(settings, demo.token, order)}

A moment later the subscription is ACTIVE with the host's accountIdentifier:
  {_curl(settings, demo.token, look)}

Log in at {settings.base_url}/login with this password (a new one on every run unless
MARKETLINK_DEMO_PASSWORD is set):
  password: {demo.buyer_password}
  as the buyer (My Apps):                  {DEMO_USER_EMAIL}
  as the console's administrator:          {DEMO_CONSOLE_USERS[0][1]}
  as the demo vendor's developer:          {DEMO_CONSOLE_USERS[1][1]}
The console is at {settings.base_url}/console; the buyer is also Demo Buyer's company
administrator there (its subscriptions: order, change, cancel, assign users).
""")


def _curl(settings: Settings, token: str, query: str) -> str:
    return " ".join([
        "curl -s", shlex.quote(settings.base_url + "/graphql"),
        "-H", shlex.quote(f"Authorization: Bearer {token}"),
        "-H", shlex.quote("Content-Type: application/json"),
        "-d", shlex.quote(json.dumps({"query": query})),
    ])

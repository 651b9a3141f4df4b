"""Demo data for ``make run``: a vendor, a product with editions, and an integration linked to
it and published. Loading twice changes nothing but the admin token, which is replaced (a
token is shown only once, so each run prints a fresh one and revokes the last)."""

import json
import shlex
from typing import TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.config import Settings
from marketlink.domain import integrations, products, publishing, vendors
from marketlink.domain.actors import Actor, Role
from marketlink.domain.errors import Outcome
from marketlink.domain.services import Services
from marketlink.storage.database import Database

DEMO_VENDOR_ID = "8a3f1c2e-0b7d-4e4a-9c55-6d0e2f1a7b01"
DEMO_TOKEN_NAME = "demo admin (make run)"
ADMIN = Actor(Role.ADMIN, None)
T = TypeVar("T")


async def load_demo(db: Database, services: Services) -> str:
    async with db.write() as conn:
        if not await vendors.vendor_exists(conn, DEMO_VENDOR_ID):
            await _create_demo_objects(conn, services)
        await vendors.revoke_tokens_named(conn, services, DEMO_TOKEN_NAME)
        return await vendors.create_token(conn, services, Role.ADMIN, None, DEMO_TOKEN_NAME)


async def _create_demo_objects(conn: AsyncConnection, services: Services) -> None:
    await vendors.create_vendor(conn, services, "Demo Vendor", DEMO_VENDOR_ID)
    host = services.settings.base_url + "/demo/product-host/events?eventUrl={eventUrl}"
    created = await integrations.create_integration(conn, ADMIN, services, {
        "vendorId": DEMO_VENDOR_ID, "name": "Demo Integration",
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


def print_welcome(settings: Settings, token: str) -> None:
    query = json.dumps({"query": "{ productIntegrations { totalCount nodes { id name version "
                                 "linkedProducts { name } } } }"})
    curl = " ".join([
        "curl -s", shlex.quote(settings.base_url + "/graphql"),
        "-H", shlex.quote(f"Authorization: Bearer {token}"),
        "-H", shlex.quote("Content-Type: application/json"),
        "-d", shlex.quote(query),
    ])
    click.echo(f"""
Demo data loaded (vendor "Demo Vendor", product "Demo Product", integration "Demo Integration").

Admin API token (shown once; a new one replaces it on every `make run`):
  {token}

Try it:
  {curl}
""")

"""Inbound clients: the credentials a product host uses to call MarketLink (SPEC §1, §3).

The secret is 256 random bits, returned once by :func:`generate_client` and stored only as a
keyed hash. Each integration has a bounded number of active clients; revoked ones stay listed.
"""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.crypto import random_client_id, random_secret
from marketlink.domain.actors import Actor
from marketlink.domain.errors import Code, Outcome, error, not_found
from marketlink.domain.ids import new_id
from marketlink.domain.integrations import lock_integration, visible_version
from marketlink.domain.models import InboundClient, IssuedInboundClient
from marketlink.domain.services import Services
from marketlink.storage import inbound_clients as store

INPUT = ("input",)


async def generate_client(
    conn: AsyncConnection, actor: Actor, services: Services, changes: dict[str, Any]
) -> Outcome[IssuedInboundClient]:
    integration = await visible_version(conn, actor, changes.get("id"))
    if integration is None:
        return Outcome.failed(not_found(INPUT + ("id",), "Integration"))
    limit = services.settings.max_inbound_clients
    await lock_integration(conn, integration.integration_id)
    if await store.count_active(conn, integration.integration_id) >= limit:
        return Outcome.failed(error(INPUT + ("id",), Code.LIMIT_REACHED,
                                    f"An integration has at most {limit} active inbound clients; "
                                    "revoke one first."))
    issued = IssuedInboundClient(random_client_id(), random_secret(), services.clock.now_ms())
    await store.insert_client(conn, {
        "id": new_id(), "integration_id": integration.integration_id,
        "client_id": issued.client_id,
        "secret_hash": services.keyring.keyed_hash(issued.client_secret),
        "created_on": issued.created_on,
    })
    return Outcome(issued)


async def revoke_client(
    conn: AsyncConnection, actor: Actor, services: Services, changes: dict[str, Any]
) -> Outcome[InboundClient]:
    integration = await visible_version(conn, actor, changes.get("id"))
    if integration is None:
        return Outcome.failed(not_found(INPUT + ("id",), "Integration"))
    row = await store.client_by_client_id(conn, str(changes.get("clientId") or ""))
    if row is None or row["integration_id"] != integration.integration_id:
        return Outcome.failed(not_found(INPUT + ("clientId",), "Inbound client"))
    if row["revoked_on"] is not None:
        return Outcome.failed(error(INPUT + ("clientId",), Code.ALREADY_REVOKED,
                                    "This inbound client is already revoked."))
    now = services.clock.now_ms()
    await store.revoke(conn, row["id"], now)
    return Outcome(InboundClient(row["client_id"], row["created_on"], now))


async def clients_of(conn: AsyncConnection, integration_id: str) -> list[InboundClient]:
    return [InboundClient(r["client_id"], r["created_on"], r["revoked_on"])
            for r in await store.clients_of(conn, integration_id)]

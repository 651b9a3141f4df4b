"""Vendors and the API tokens that act for them (SPEC §1)."""

from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.crypto import random_secret
from marketlink.domain.actors import API_TOKEN_ROLES, Actor, Role
from marketlink.domain.ids import new_id, normalized_id
from marketlink.domain.services import Services
from marketlink.storage import vendors as store

TOKEN_PREFIX = "mlk_"
MAX_NAME_LENGTH = 200


async def create_vendor(
    conn: AsyncConnection, services: Services, name: str, vendor_id: str | None = None
) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"a vendor name is 1 to {MAX_NAME_LENGTH} characters")
    vendor_id = vendor_id or new_id()
    await store.insert_vendor(
        conn, {"id": vendor_id, "name": name, "created_on": services.clock.now_ms()}
    )
    return vendor_id


async def vendor_exists(conn: AsyncConnection, vendor_id: str) -> bool:
    canonical = normalized_id(vendor_id)
    return canonical is not None and await store.vendor_by_id(conn, canonical) is not None


async def vendor_names(conn: AsyncConnection, actor: Actor, limit: int) -> dict[str, str]:
    """The first ``limit`` vendors by name, id -> name: the console's vendor picker and labels,
    for administrators (a developer has only its own vendor: empty)."""
    if not actor.is_admin:
        return {}
    return {r["id"]: r["name"] for r in await store.vendors_by_name(conn, limit)}


async def vendor_name(conn: AsyncConnection, vendor_id: str) -> str | None:
    row = await store.vendor_by_id(conn, vendor_id)
    return row["name"] if row else None


async def revoke_tokens_named(conn: AsyncConnection, services: Services, name: str) -> None:
    await store.revoke_tokens_named(conn, name, services.clock.now_ms())


async def create_token(
    conn: AsyncConnection, services: Services, role: Role, vendor_id: str | None, name: str
) -> str:
    """Issue an API token; the returned text is the only copy (we keep its keyed hash)."""
    if role not in API_TOKEN_ROLES:
        raise ValueError(f"API tokens are for {' and '.join(r.value for r in API_TOKEN_ROLES)} only")
    if role is Role.DEVELOPER and not vendor_id:
        raise ValueError("a DEVELOPER token needs a vendor")
    if role is Role.ADMIN and vendor_id:
        raise ValueError("an ADMIN token is not bound to a vendor")
    if vendor_id is not None and not await vendor_exists(conn, vendor_id):
        raise ValueError(f"vendor {vendor_id} not found")
    token = random_secret(TOKEN_PREFIX)
    await store.insert_token(conn, {
        "id": new_id(),
        "token_hash": services.keyring.keyed_hash(token),
        "role": role.value,
        "vendor_id": normalized_id(vendor_id) if vendor_id else None,
        "name": name[:MAX_NAME_LENGTH],
        "created_on": services.clock.now_ms(),
    })
    return token


async def authenticate(conn: AsyncConnection, services: Services, token: str) -> Actor | None:
    """The actor a bearer token stands for, or None for an unknown or revoked token."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = await store.active_token_by_hash(conn, services.keyring.keyed_hash(token))
    if row is None or row["role"] not in {r.value for r in API_TOKEN_ROLES}:
        return None
    return Actor(Role(row["role"]), row["vendor_id"], row["id"])

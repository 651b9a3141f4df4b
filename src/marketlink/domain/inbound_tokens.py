"""Access tokens for inbound clients (SPEC §3 step 3: the host fetches events with them).

A token is self-contained and signed: ``mla_<payload>.<mac>`` where the payload names the
inbound client and the expiry, and the mac is our keyed hash of it. Nothing is stored per token
(so nothing grows); a token stops working when it expires or when its client is revoked, which
is checked on every use.
"""

import base64
import binascii
import hmac
import json
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.domain.services import Services
from marketlink.storage import inbound_clients as store

PREFIX = "mla_"
SCOPE = "ROLE_APPLICATION"
LIFETIME_MS = 3_600_000


@dataclass(frozen=True)
class InboundCaller:
    """A product host, authenticated as one inbound client of one integration."""

    client_id: str
    integration_id: str


async def client_for_secret(
    conn: AsyncConnection, services: Services, client_id: str, secret: str
) -> InboundCaller | None:
    """The active client with this id and secret, or None (unknown, revoked or wrong secret)."""
    row = await store.client_by_client_id(conn, client_id[:64])
    if row is None or row["revoked_on"] is not None:
        services.keyring.keyed_hash(secret)  # same work either way: no timing hint
        return None
    if not services.keyring.matches(secret, row["secret_hash"]):
        return None
    return InboundCaller(row["client_id"], row["integration_id"])


def issue_token(services: Services, caller: InboundCaller) -> tuple[str, int]:
    """A signed access token for ``caller`` and its lifetime in seconds."""
    expires = services.clock.now_ms() + LIFETIME_MS
    payload = base64.urlsafe_b64encode(json.dumps([caller.client_id, expires]).encode()).decode()
    return f"{PREFIX}{payload}.{_mac(services, payload)}", LIFETIME_MS // 1000


async def caller_for_token(conn: AsyncConnection, services: Services, token: str) -> InboundCaller | None:
    """The caller a bearer token stands for, if it is ours, unexpired and its client active."""
    if not token.startswith(PREFIX) or len(token) > 512 or "." not in token:
        return None
    payload, mac = token[len(PREFIX):].rsplit(".", 1)
    if not hmac.compare_digest(mac, _mac(services, payload)):
        return None
    try:
        client_id, expires = json.loads(base64.urlsafe_b64decode(payload.encode()))
    except (ValueError, TypeError, binascii.Error):
        return None
    if not isinstance(expires, int) or expires <= services.clock.now_ms():
        return None
    row = await store.client_by_client_id(conn, str(client_id))
    if row is None or row["revoked_on"] is not None:
        return None
    return InboundCaller(row["client_id"], row["integration_id"])


def _mac(services: Services, payload: str) -> str:
    return services.keyring.keyed_hash("inbound-access-token:" + payload)

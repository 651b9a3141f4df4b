"""OpenID Connect clients of product hosts (SPEC §5, docs/adr/0012).

An order of a product whose published integration signs in with OpenID Connect gets a client:
a new one per subscription (``PER_SUBSCRIPTION``), or the integration's one shared client
(``PER_MARKETPLACE``, ``PER_ENVIRONMENT``: this deployment is one marketplace and one
environment), created by the first order that needs it. The order event links to it
(``{rel: "oidcClient", href}``); the host fetches id, secret and redirect URLs there with its
inbound credentials, as often as it needs to (a failed fetch can be retried).

The secret is random (256 bits) and kept twice: its keyed hash, which the token endpoint checks,
and its AES-GCM encryption, which only the fetch decrypts.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.crypto import random_client_id, random_secret
from marketlink.domain import sso
from marketlink.domain.ids import new_id, normalized_id
from marketlink.domain.inbound_tokens import InboundCaller
from marketlink.domain.models import IntegrationVersion
from marketlink.domain.services import Services
from marketlink.domain.sso import OPENID_CONNECT
from marketlink.storage import integrations as integration_store
from marketlink.storage import oidc as store

LINK_REL = "oidcClient"
PATH = "/api/integration/v1/oidc-clients/"


@dataclass(frozen=True)
class HostClient:
    """What the host fetches: its client's credentials and where it may be redirected to."""

    client_id: str
    client_secret: str
    redirect_urls: tuple[str, ...]


async def order_links(conn: AsyncConnection, services: Services, snapshot: IntegrationVersion,
                      subscription_id: str) -> list[dict[str, str]]:
    """The order event's ``oidcClient`` link, creating the client it names when needed; none
    when the snapshot does not sign in with OpenID Connect."""
    if snapshot.sso is None or snapshot.sso.kind != OPENID_CONNECT:
        return []
    method = snapshot.sso.fields["clientCreationMethod"]
    scope_key = sso.scope_key(method, subscription_id)
    row = await store.client_for_scope(conn, snapshot.integration_id, scope_key)
    if row is None:
        await store.insert_client_unless_exists(conn, _new_client(
            services, snapshot.integration_id, method, scope_key,
            sso.scoped_subscription(method, subscription_id)))
        row = await store.client_for_scope(conn, snapshot.integration_id, scope_key)
    return [{"rel": LINK_REL, "href": services.settings.base_url + PATH + row["id"]}]


async def client_for_host(conn: AsyncConnection, services: Services, caller: InboundCaller,
                          row_id: str) -> HostClient | None:
    """The client ``row_id`` if it belongs to the caller's integration (else None: another
    integration's client reads as not found)."""
    canonical = normalized_id(row_id)
    row = await store.client_by_id(conn, canonical) if canonical else None
    if row is None or row["integration_id"] != caller.integration_id:
        return None
    snapshot = await integration_store.latest_published(conn, row["integration_id"])
    return HostClient(row["client_id"], services.keyring.decrypt(row["secret_encrypted"]),
                      tuple(redirect_urls(snapshot)))


def redirect_urls(snapshot: Mapping[str, Any] | None) -> list[str]:
    """The redirect URLs of a snapshot's OpenID Connect configuration (none without one)."""
    if snapshot is None or snapshot["sso_type"] != OPENID_CONNECT:
        return []
    return list(snapshot["sso_config"].get("redirectUrls") or [])


def _new_client(services: Services, integration_id: str, method: str, scope_key: str,
                subscription_id: str | None) -> dict[str, Any]:
    secret = random_secret()
    return {"id": new_id(), "client_id": random_client_id(32), "integration_id": integration_id,
            "subscription_id": subscription_id, "creation_method": method, "scope_key": scope_key,
            "secret_hash": services.keyring.keyed_hash(secret),
            "secret_encrypted": services.keyring.encrypt(secret),
            "created_on": services.clock.now_ms()}

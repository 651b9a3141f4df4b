"""Signing secrets for DIRECT delivery (Standard Webhooks, SPEC §3 end).

A secret is ``whsec_`` + base64 of 32 random bytes, shown once by
:func:`rotate_secret`, stored encrypted (we need it to sign). Rotating lets the previous
secrets stay valid for a grace period, during which notifications carry a signature for each.
"""

import base64
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.domain.actors import Actor
from marketlink.domain.errors import Code, Outcome, error
from marketlink.domain.ids import new_id
from marketlink.domain.integrations import lock_integration, working_version_for_change
from marketlink.domain.services import Services
from marketlink.storage import webhook_secrets as store

INPUT = ("input",)
PREFIX = "whsec_"
MAX_GRACE_S = 7 * 86_400


@dataclass(frozen=True)
class IssuedSecret:
    secret: str
    created_on: int


async def rotate_secret(
    conn: AsyncConnection, actor: Actor, services: Services, changes: dict[str, Any]
) -> Outcome[IssuedSecret]:
    grace_s = changes.get("previousValidForSeconds")
    grace_s = 86_400 if grace_s is None else grace_s
    if not 0 <= grace_s <= MAX_GRACE_S:
        return Outcome.failed(error(INPUT + ("previousValidForSeconds",), Code.INVALID,
                                    f"previousValidForSeconds is 0 to {MAX_GRACE_S}."))
    working, errors = await working_version_for_change(conn, actor, changes.get("id"), INPUT + ("id",))
    if working is None:
        return Outcome.failed(*errors)
    await lock_integration(conn, working.id)
    now = services.clock.now_ms()
    issued = IssuedSecret(PREFIX + base64.b64encode(secrets.token_bytes(32)).decode(), now)
    await store.rotate(conn, {"id": new_id(), "integration_id": working.id, "created_on": now,
                              "secret": services.keyring.encrypt(issued.secret), "expires_on": None},
                       now + grace_s * 1000, now)
    return Outcome(issued)


async def signing_secrets(conn: AsyncConnection, services: Services, integration_id: str) -> list[str]:
    """The secrets to sign with now (newest first), decrypted."""
    rows = await store.active(conn, integration_id, services.clock.now_ms())
    return [services.keyring.decrypt(row["secret"]) for row in rows]

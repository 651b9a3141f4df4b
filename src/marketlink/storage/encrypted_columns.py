"""Every column that holds a secret encrypted with the keyring, and the statements that
re-encrypt them in batches (``marketlink keys rotate``)."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Column, Table, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.storage.tables import (
    integration_versions,
    oidc_clients,
    oidc_signing_keys,
    saml_identity_providers,
    webhook_secrets,
)

Row = Mapping[str, Any]

# (table, primary key column, encrypted column)
ENCRYPTED: tuple[tuple[Table, Column, Column], ...] = (
    (integration_versions, integration_versions.c.id, integration_versions.c.credentials_secret),
    (webhook_secrets, webhook_secrets.c.id, webhook_secrets.c.secret),
    (oidc_signing_keys, oidc_signing_keys.c.kid, oidc_signing_keys.c.private_jwk),
    (oidc_clients, oidc_clients.c.id, oidc_clients.c.secret_encrypted),
    (saml_identity_providers, saml_identity_providers.c.id, saml_identity_providers.c.private_key),
)


async def encrypted_after(conn: AsyncConnection, key: Column, value: Column, after: str | None,
                          limit: int) -> list[Row]:
    """Up to ``limit`` rows (key, value) with a value, in key order after ``after``."""
    query = select(key.label("key"), value.label("value")).where(value.is_not(None))
    if after is not None:
        query = query.where(key > after)
    return list((await conn.execute(query.order_by(key).limit(limit))).mappings())


async def replace_encrypted(conn: AsyncConnection, table: Table, key: Column, value: Column,
                            row_key: str, old: str, new: str) -> bool:
    """Store ``new`` where the row still holds ``old`` (a value changed meanwhile is left to
    its writer, who encrypted it with the current key); whether it was replaced."""
    changed = await conn.execute(update(table).where(key == row_key, value == old).values({value.name: new}))
    return changed.rowcount == 1

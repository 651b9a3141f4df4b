"""Queries of the OpenID Connect provider: signing keys, clients, codes and tokens, and who may
sign in through a client (an active assignment to an active subscription)."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.storage.sign_ins import active_assignments

from marketlink.storage.tables import (
    assignments,
    companies,
    integration_versions,
    oidc_clients,
    oidc_codes,
    oidc_signing_keys,
    oidc_tokens,
    subscriptions,
    users,
)

Row = Mapping[str, Any]
# Expired codes are kept a day, so that a replay soon after expiry still revokes its tokens.
CODE_RETENTION_MS = 86_400_000


# --- Signing keys

async def insert_signing_key(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(oidc_signing_keys.insert(), values)


async def current_signing_key(conn: AsyncConnection) -> Row | None:
    """The newest key not retired: the one that signs."""
    query = (select(oidc_signing_keys).where(oidc_signing_keys.c.retired_on.is_(None))
             .order_by(oidc_signing_keys.c.created_on.desc(), oidc_signing_keys.c.kid).limit(1))
    return (await conn.execute(query)).mappings().first()


async def published_signing_keys(conn: AsyncConnection, now_ms: int) -> list[Row]:
    """Keys whose tokens may still be valid: those not retired, then the latest retired first."""
    query = (select(oidc_signing_keys.c.kid, oidc_signing_keys.c.public_jwk)
             .where(or_(oidc_signing_keys.c.expires_on.is_(None),
                        oidc_signing_keys.c.expires_on > now_ms))
             .order_by(oidc_signing_keys.c.retired_on.desc().nulls_first(),
                       oidc_signing_keys.c.created_on.desc(), oidc_signing_keys.c.kid))
    return list((await conn.execute(query)).mappings())


async def retire_signing_keys(conn: AsyncConnection, keep_kid: str, now_ms: int,
                              expires_on: int) -> None:
    """Every key but ``keep_kid`` stops signing now; keys long expired are deleted."""
    await conn.execute(update(oidc_signing_keys)
                       .where(oidc_signing_keys.c.kid != keep_kid,
                              oidc_signing_keys.c.retired_on.is_(None))
                       .values(retired_on=now_ms, expires_on=expires_on))
    await conn.execute(delete(oidc_signing_keys).where(oidc_signing_keys.c.expires_on <= now_ms))


# --- Clients

async def insert_client_unless_exists(conn: AsyncConnection, values: dict[str, Any]) -> None:
    """Insert, or do nothing when the integration already has a client for this scope key (two
    first orders at once on PostgreSQL: the second finds the first one's client)."""
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = insert(oidc_clients).values(values).on_conflict_do_nothing(
        index_elements=["integration_id", "scope_key"])
    await conn.execute(statement)


async def client_for_scope(conn: AsyncConnection, integration_id: str, scope_key: str) -> Row | None:
    query = select(oidc_clients).where(oidc_clients.c.integration_id == integration_id,
                                       oidc_clients.c.scope_key == scope_key)
    return (await conn.execute(query)).mappings().first()


async def client_by_client_id(conn: AsyncConnection, client_id: str) -> Row | None:
    query = select(oidc_clients).where(oidc_clients.c.client_id == client_id)
    return (await conn.execute(query)).mappings().first()


async def client_with_configuration(conn: AsyncConnection, *, client_id: str | None = None,
                                    row_id: str | None = None) -> Row | None:
    """The client (by ``client_id`` or row id) with ``sso_type`` and ``sso_config`` of the
    latest PUBLISHED snapshot of its integration (both None when nothing is published)."""
    published = and_(integration_versions.c.integration_id == oidc_clients.c.integration_id,
                     integration_versions.c.version == "PUBLISHED")
    query = (select(oidc_clients, integration_versions.c.sso_type, integration_versions.c.sso_config)
             .select_from(oidc_clients.outerjoin(integration_versions, published))
             .where(oidc_clients.c.client_id == client_id if row_id is None else oidc_clients.c.id == row_id)
             .order_by(integration_versions.c.revision.desc()).limit(1))
    return (await conn.execute(query)).mappings().first()


async def client_by_id(conn: AsyncConnection, row_id: str) -> Row | None:
    return (await conn.execute(select(oidc_clients).where(oidc_clients.c.id == row_id))).mappings().first()


# --- Who may sign in

async def sign_in_subject(conn: AsyncConnection, user_id: str, integration_id: str,
                          subscription_id: str | None) -> Row | None:
    """The user, their company and the oldest ACTIVE subscription of the integration (or
    exactly ``subscription_id``) to which the user has an ACTIVE assignment; None if none."""
    query = (active_assignments(
                user_id, users.c.id.label("user_id"), users.c.email, users.c.first_name,
                users.c.last_name, users.c.locale, companies.c.id.label("company_id"),
                companies.c.name.label("company_name"),
                subscriptions.c.id.label("subscription_id"), subscriptions.c.creator_id)
             .join(users, users.c.id == assignments.c.user_id)
             .join(companies, companies.c.id == users.c.company_id)
             .where(subscriptions.c.integration_id == integration_id)
             .order_by(subscriptions.c.created_on, subscriptions.c.id).limit(1))
    if subscription_id is not None:
        query = query.where(subscriptions.c.id == subscription_id)
    return (await conn.execute(query)).mappings().first()


# --- Authorization codes

async def insert_code(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(oidc_codes.insert(), values)


async def code_by_hash(conn: AsyncConnection, code_hash: str) -> Row | None:
    return (await conn.execute(select(oidc_codes).where(oidc_codes.c.code_hash == code_hash))).mappings().first()


async def nonce_was_used(conn: AsyncConnection, oidc_client_id: str, nonce: str) -> bool:
    query = select(oidc_codes.c.id).where(oidc_codes.c.oidc_client_id == oidc_client_id,
                                          oidc_codes.c.nonce == nonce).limit(1)
    return (await conn.execute(query)).first() is not None


async def use_code(conn: AsyncConnection, code_id: str, now_ms: int) -> bool:
    """Mark the code used; False when it already was (a concurrent exchange won)."""
    changed = await conn.execute(update(oidc_codes)
                                 .where(oidc_codes.c.id == code_id, oidc_codes.c.used_on.is_(None))
                                 .values(used_on=now_ms))
    return changed.rowcount == 1


async def delete_codes_expired_before(conn: AsyncConnection, before_ms: int) -> None:
    await conn.execute(delete(oidc_codes).where(oidc_codes.c.expires_on < before_ms))


# --- Tokens

async def insert_token(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(oidc_tokens.insert(), values)


async def token_by_access_hash(conn: AsyncConnection, token_hash: str) -> Row | None:
    query = select(oidc_tokens).where(oidc_tokens.c.access_token_hash == token_hash)
    return (await conn.execute(query)).mappings().first()


async def token_by_refresh_hash(conn: AsyncConnection, token_hash: str) -> Row | None:
    query = select(oidc_tokens).where(oidc_tokens.c.refresh_token_hash == token_hash)
    return (await conn.execute(query)).mappings().first()


async def revoke_token(conn: AsyncConnection, token_id: str, now_ms: int) -> bool:
    """Revoke one token row; False when it already was (a concurrent refresh won)."""
    changed = await conn.execute(update(oidc_tokens)
                                 .where(oidc_tokens.c.id == token_id, oidc_tokens.c.revoked_on.is_(None))
                                 .values(revoked_on=now_ms))
    return changed.rowcount == 1


async def revoke_chain(conn: AsyncConnection, code_id: str, now_ms: int) -> None:
    """Revoke every token issued from the code ``code_id`` and refreshed from those."""
    await conn.execute(update(oidc_tokens)
                       .where(oidc_tokens.c.code_id == code_id, oidc_tokens.c.revoked_on.is_(None))
                       .values(revoked_on=now_ms))


async def delete_tokens_expired_before(conn: AsyncConnection, before_ms: int) -> None:
    await conn.execute(delete(oidc_tokens).where(oidc_tokens.c.expires_on < before_ms))


# --- Logout (the login session ``sid`` ended)

async def clients_signed_in_with_sid(conn: AsyncConnection, sid: str, limit: int) -> list[Row]:
    """The clients (and the user) that tokens were issued to in the login session ``sid``."""
    query = (select(oidc_tokens.c.oidc_client_id, oidc_tokens.c.user_id)
             .where(oidc_tokens.c.sid == sid).distinct()
             .order_by(oidc_tokens.c.oidc_client_id).limit(limit))
    return list((await conn.execute(query)).mappings())


async def end_sid(conn: AsyncConnection, sid: str, now_ms: int) -> None:
    """Revoke the tokens of the login session ``sid``; its unexchanged codes can no longer be
    exchanged (marked used)."""
    await conn.execute(update(oidc_tokens)
                       .where(oidc_tokens.c.sid == sid, oidc_tokens.c.revoked_on.is_(None))
                       .values(revoked_on=now_ms))
    await conn.execute(update(oidc_codes)
                       .where(oidc_codes.c.sid == sid, oidc_codes.c.used_on.is_(None))
                       .values(used_on=now_ms))

"""Queries of the SAML identity provider: IdPs, their keys, answered AuthnRequest IDs, and who
may sign in through an IdP (an ACTIVE assignment to an ACTIVE subscription)."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.storage.sign_ins import active_assignments

from marketlink.storage.tables import (
    assignments,
    companies,
    saml_authn_requests,
    saml_identity_providers,
    subscriptions,
    users,
)

Row = Mapping[str, Any]


def _insert(conn: AsyncConnection):  # type: ignore[no-untyped-def]
    return pg_insert if conn.dialect.name == "postgresql" else sqlite_insert


async def insert_idp_unless_exists(conn: AsyncConnection, values: dict[str, Any]) -> None:
    """Insert, or do nothing when the integration already has an IdP for this scope key (two
    first orders at once on PostgreSQL: the second finds the first one's IdP)."""
    statement = _insert(conn)(saml_identity_providers).values(values).on_conflict_do_nothing(
        index_elements=["integration_id", "scope_key"])
    await conn.execute(statement)


async def idp_for_scope(conn: AsyncConnection, integration_id: str, scope_key: str) -> Row | None:
    query = select(saml_identity_providers).where(
        saml_identity_providers.c.integration_id == integration_id,
        saml_identity_providers.c.scope_key == scope_key)
    return (await conn.execute(query)).mappings().first()


async def idp_by_id(conn: AsyncConnection, idp_id: str) -> Row | None:
    query = select(saml_identity_providers).where(saml_identity_providers.c.id == idp_id)
    return (await conn.execute(query)).mappings().first()


async def set_keys_unless_set(conn: AsyncConnection, idp_id: str, private_key: str,
                              certificate: str, now_ms: int) -> None:
    """Store the IdP's first key; a key stored meanwhile by another process wins."""
    await conn.execute(update(saml_identity_providers)
                       .where(saml_identity_providers.c.id == idp_id,
                              saml_identity_providers.c.certificate.is_(None))
                       .values(private_key=private_key, certificate=certificate,
                               keys_created_on=now_ms))


async def remember_request(conn: AsyncConnection, idp_id: str, request_id: str,
                           expires_on: int, now_ms: int) -> bool:
    """Record an answered AuthnRequest ID; False when it was recorded before (a replay).
    IDs past their expiry are deleted first, so the table holds only recent requests."""
    await conn.execute(delete(saml_authn_requests).where(saml_authn_requests.c.expires_on <= now_ms))
    statement = _insert(conn)(saml_authn_requests).values(
        idp_id=idp_id, request_id=request_id, expires_on=expires_on).on_conflict_do_nothing(
        index_elements=["idp_id", "request_id"])
    return (await conn.execute(statement)).rowcount == 1


async def sign_in_subscription(conn: AsyncConnection, user_id: str, integration_id: str,
                               subscription_id: str | None) -> Row | None:
    """The oldest ACTIVE subscription of the integration (or exactly ``subscription_id``) to
    which the user has an ACTIVE assignment, with the assignment's ``user_identifier``."""
    query = (active_assignments(user_id, subscriptions, assignments.c.user_identifier)
             .where(subscriptions.c.integration_id == integration_id)
             .order_by(subscriptions.c.created_on, subscriptions.c.id).limit(1))
    if subscription_id is not None:
        query = query.where(subscriptions.c.id == subscription_id)
    return (await conn.execute(query)).mappings().first()


async def user_and_company(conn: AsyncConnection, user_id: str) -> tuple[Row, Row] | None:
    user = (await conn.execute(select(users).where(users.c.id == user_id))).mappings().first()
    if user is None:
        return None
    company = (await conn.execute(select(companies).where(companies.c.id == user["company_id"]))
               ).mappings().first()
    return (user, company) if company is not None else None

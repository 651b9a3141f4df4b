"""Deleting what is no longer needed: resolved events and their attempts past the retention
age, and expired sessions, codes, tokens and remembered SAML request IDs."""

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.storage.tables import (
    event_attempts,
    events,
    oidc_codes,
    oidc_tokens,
    saml_authn_requests,
    web_sessions,
)

FINAL_STATUSES = ("SUCCEEDED", "FAILED")


async def resolved_events_before(conn: AsyncConnection, before_ms: int, limit: int) -> list[str]:
    """Ids of up to ``limit`` events resolved (succeeded or failed) before ``before_ms``, oldest
    first. Events still queued, delivering or pending are never among them."""
    query = (select(events.c.id)
             .where(events.c.status.in_(FINAL_STATUSES), events.c.resolved_on < before_ms)
             .order_by(events.c.seq).limit(limit))
    return list((await conn.execute(query)).scalars())


async def delete_events(conn: AsyncConnection, event_ids: list[str]) -> tuple[int, int]:
    """Delete the events and their attempts; (events, attempts) deleted."""
    attempts = await conn.execute(delete(event_attempts).where(event_attempts.c.event_id.in_(event_ids)))
    deleted = await conn.execute(delete(events).where(events.c.id.in_(event_ids)))
    return deleted.rowcount, attempts.rowcount


async def delete_expired_sign_in_rows(conn: AsyncConnection, now_ms: int,
                                      code_retention_ms: int) -> int:
    """Expired sessions, OpenID codes (kept ``code_retention_ms`` past expiry, to recognise a
    replay) and tokens, and SAML request IDs too old to be accepted anyway; rows deleted."""
    total = 0
    for statement in (delete(web_sessions).where(web_sessions.c.expires_on <= now_ms),
                      delete(oidc_codes).where(oidc_codes.c.expires_on < now_ms - code_retention_ms),
                      delete(oidc_tokens).where(oidc_tokens.c.expires_on < now_ms),
                      delete(saml_authn_requests).where(saml_authn_requests.c.expires_on < now_ms)):
        total += (await conn.execute(statement)).rowcount
    return total

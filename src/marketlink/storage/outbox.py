"""The outbox's queries: claim due events with a lease, settle one, record an attempt.

A claim takes QUEUED events whose time has come, and DELIVERING events whose lease has expired
(their worker died), but never an event while an earlier event of the same subscription is
unresolved, so each subscription's events go out in order. On PostgreSQL the candidates are
locked with FOR UPDATE SKIP LOCKED, so concurrent workers take disjoint batches; on SQLite the
write transaction (BEGIN IMMEDIATE) is the lock.
"""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased

from marketlink.storage.tables import event_attempts, events

Row = Mapping[str, Any]
UNRESOLVED = ("QUEUED", "DELIVERING", "PENDING")


async def claim_due(conn: AsyncConnection, owner: str, now: int, lease_ms: int, limit: int) -> list[Row]:
    earlier = aliased(events)
    blocked = exists().where(
        earlier.c.subscription_id == events.c.subscription_id,
        earlier.c.seq < events.c.seq,
        earlier.c.status.in_(UNRESOLVED),
    )
    due = or_(and_(events.c.status == "QUEUED", events.c.next_attempt_on <= now),
              and_(events.c.status == "DELIVERING", events.c.lease_until < now))
    query = (select(events.c.id).where(due, ~blocked).order_by(events.c.seq).limit(limit)
             .with_for_update(skip_locked=True, of=events))
    ids = list((await conn.execute(query)).scalars())
    if not ids:
        return []
    await conn.execute(update(events).where(events.c.id.in_(ids)).values(
        status="DELIVERING", lease_owner=owner, lease_until=now + lease_ms))
    rows = await conn.execute(select(events).where(events.c.id.in_(ids)).order_by(events.c.seq))
    return list(rows.mappings())


async def settle(conn: AsyncConnection, event_id: str, owner: str, values: dict[str, Any]) -> bool:
    """Apply ``values`` if ``owner`` still holds the event's lease; False when it lost it."""
    result = await conn.execute(update(events).where(
        events.c.id == event_id, events.c.status == "DELIVERING", events.c.lease_owner == owner,
    ).values(values))
    return result.rowcount == 1


async def record_attempt(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(event_attempts.insert(), values)


async def resolve_pending(conn: AsyncConnection, event_id: str, values: dict[str, Any]) -> bool:
    """Apply ``values`` to the event if it is still PENDING; False otherwise."""
    result = await conn.execute(update(events).where(
        events.c.id == event_id, events.c.status == "PENDING").values(values))
    return result.rowcount == 1


async def requeue(conn: AsyncConnection, event_id: str, now: int) -> None:
    """A FAILED event back to QUEUED, due now, its result cleared."""
    await conn.execute(update(events).where(events.c.id == event_id, events.c.status == "FAILED").values(
        status="QUEUED", next_attempt_on=now, result_success=None, result_error_code=None,
        result_message=None, resolved_on=None))

"""The outbox's queries: claim due events with a lease, settle one, record an attempt.

A claim takes QUEUED events whose time has come, and DELIVERING events whose lease has expired
(their worker died), but never an event while an earlier event of the same subscription is
unresolved, so each subscription's events go out in order. On PostgreSQL the candidates are
locked with FOR UPDATE SKIP LOCKED, so concurrent workers take disjoint batches; on SQLite the
write transaction (BEGIN IMMEDIATE) is the lock.
"""

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased

from marketlink.storage.tables import event_attempts, events

Row = Mapping[str, Any]
UNRESOLVED = ("QUEUED", "DELIVERING", "PENDING")


async def claim_due(
    conn: AsyncConnection, owner: str, now: int, lease_ms: int, limit: int,
    rooms: Mapping[str, int] | None = None, default_room: int = 1_000_000,
) -> list[Row]:
    """Claim up to ``limit`` due events, at most ``rooms[host]`` (else ``default_room``) for
    each target host: the worker's free notification slots for it. Hosts without room are
    passed over in the query itself, so their backlog does not fill the batch; events beyond
    a host's room stay QUEUED for later claims."""
    rooms = rooms or {}
    earlier = aliased(events)
    blocked = exists().where(
        earlier.c.subscription_id == events.c.subscription_id,
        earlier.c.seq < events.c.seq,
        earlier.c.status.in_(UNRESOLVED),
    )
    due = or_(and_(events.c.status == "QUEUED", events.c.next_attempt_on <= now),
              and_(events.c.status == "DELIVERING", events.c.lease_until < now))
    query = select(events.c.id, events.c.target_host).where(due, ~blocked)
    full = [host for host, room in rooms.items() if room <= 0]
    if full:
        query = query.where(or_(events.c.target_host.is_(None), events.c.target_host.notin_(full)))
    query = query.order_by(events.c.seq).limit(limit).with_for_update(skip_locked=True, of=events)
    ids = _within_host_room((await conn.execute(query)).all(), lambda h: rooms.get(h, default_room))
    if not ids:
        return []
    await conn.execute(update(events).where(events.c.id.in_(ids)).values(
        status="DELIVERING", lease_owner=owner, lease_until=now + lease_ms))
    rows = await conn.execute(select(events).where(events.c.id.in_(ids)).order_by(events.c.seq))
    return list(rows.mappings())


def _within_host_room(candidates: list[Any], host_room: Callable[[str | None], int]) -> list[str]:
    taken: dict[str | None, int] = {}
    ids = []
    for event_id, host in candidates:
        if taken.get(host, 0) < host_room(host):
            taken[host] = taken.get(host, 0) + 1
            ids.append(event_id)
    return ids


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


async def pending_expired(conn: AsyncConnection, now: int, limit: int) -> list[Row]:
    query = (select(events).where(events.c.status == "PENDING", events.c.pending_until < now)
             .order_by(events.c.seq).limit(limit).with_for_update(skip_locked=True))
    return list((await conn.execute(query)).mappings())

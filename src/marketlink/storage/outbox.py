"""The outbox's queries: claim due events with a lease, settle one, record an attempt.

A claim takes QUEUED events whose time has come, and DELIVERING events whose lease has expired
(their worker died), but never an event while an earlier event of the same subscription is
unresolved, so each subscription's events go out in order; nor while another event of the
subscription is in flight (DELIVERING or PENDING), so a subscription has one event in flight at
most, even after an administrator requeued an older event behind a newer one in flight. On
PostgreSQL the candidates are locked with FOR UPDATE SKIP LOCKED, so concurrent workers take
disjoint batches; on SQLite the write transaction (BEGIN IMMEDIATE) is the lock.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, exists, func, literal_column, or_, select, update
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
    a host's room stay QUEUED for later claims.

    Expired leases first (few: at most what dead workers had in flight), then QUEUED events
    oldest due first, read along ``ix_events_due`` so the query stops after ``limit``
    candidates instead of sorting every due event (its cost does not grow with the backlog)."""
    rooms = rooms or {}
    params = {"now": now, "full": [host for host, room in rooms.items() if room <= 0]}
    candidates = []
    for query in (_EXPIRED, _QUEUED):
        if len(candidates) < limit:
            candidates += (await conn.execute(query, params | {"limit": limit - len(candidates)})).all()
    ids = _within_host_room(candidates, lambda h: rooms.get(h, default_room))
    if not ids:
        return []
    rows = await conn.execute(update(events).where(events.c.id.in_(ids)).values(
        status="DELIVERING", lease_owner=owner, lease_until=now + lease_ms).returning(*events.c))
    return sorted(rows.mappings(), key=lambda row: row["seq"])


def _candidates(due: Any, order: tuple[Any, ...], *blocked_by: Callable[[Any], Any]) -> Any:
    """Due events that no other event of their subscription blocks (any of ``blocked_by(other)``),
    not for a full host; built once (building a statement costs more than running it). Each
    rule is an EXISTS of its own along ``ix_events_unresolved`` with a ``seq`` range, so the
    usual case (nothing before, nothing after) is answered from the index alone."""
    def blocking(rule: Callable[[Any], Any]) -> Any:
        other = aliased(events)
        return exists().where(
            other.c.subscription_id == events.c.subscription_id,
            _status_in(other, UNRESOLVED),  # the condition of ix_events_unresolved, word for word
            rule(other))

    not_full = or_(events.c.target_host.is_(None),
                   events.c.target_host.notin_(bindparam("full", expanding=True)))
    return (select(events.c.id, events.c.target_host)
            .where(due, *(~blocking(rule) for rule in blocked_by), not_full).order_by(*order)
            .limit(bindparam("limit")).with_for_update(skip_locked=True, of=events))


def _status_in(table: Any, statuses: tuple[str, ...]) -> Any:
    """``status IN (...)`` with literals, so both databases can prove a partial index applies."""
    return table.c.status.in_([literal_column(f"'{status}'") for status in statuses])


def _earlier(other: Any) -> Any:
    return other.c.seq < events.c.seq


def _later_in_flight(other: Any) -> Any:
    # Earlier events are covered by _earlier: only a later one can be in flight besides.
    return and_(other.c.seq > events.c.seq, other.c.status != "QUEUED")


def _earlier_in_flight(other: Any) -> Any:
    return and_(other.c.seq < events.c.seq, other.c.status != "QUEUED")


# A lease that ran out: its event was in flight already, so only an earlier event in flight
# (data from before the one-in-flight rule) goes first; an older event requeued by an
# administrator meanwhile waits for it.
_EXPIRED = _candidates(and_(events.c.status == "DELIVERING", events.c.lease_until < bindparam("now")),
                       (events.c.seq,), _earlier_in_flight)
# A queued event waits for every earlier unresolved event and for a later one in flight.
_QUEUED = _candidates(and_(events.c.status == "QUEUED", events.c.next_attempt_on <= bindparam("now")),
                      (events.c.next_attempt_on, events.c.seq), _earlier, _later_in_flight)


def _within_host_room(candidates: list[Any], host_room: Callable[[str | None], int]) -> list[str]:
    taken: dict[str | None, int] = {}
    ids = []
    for event_id, host in candidates:
        if taken.get(host, 0) < host_room(host):
            taken[host] = taken.get(host, 0) + 1
            ids.append(event_id)
    return ids


async def still_leased(conn: AsyncConnection, claims: Iterable[Row], owner: str) -> set[tuple[str, int]]:
    """Which of these claimed events (rows as ``claim_due`` returned them) ``owner`` still
    holds under that same claim, as ``(id, lease_until)``, locked until the transaction ends
    (on SQLite the write transaction is the lock), so their settlement cannot race a takeover.
    ``lease_until`` names the claim: a worker whose notification outlived its lease may claim
    the event again itself, and that later claim has a later ``lease_until``; the earlier
    one's late settlement is then refused like anyone else's.
    Reads every event ``owner`` holds (at most its in-flight count) along ``ix_events_due``:
    a statement compiled once, unlike an IN list of varying length."""
    held = {tuple(row) for row in await conn.execute(_HELD_BY, {"owner": owner})}
    return held.intersection((claim["id"], claim["lease_until"]) for claim in claims)


_HELD_BY = (select(events.c.id, events.c.lease_until)
            .where(events.c.status == "DELIVERING", events.c.lease_owner == bindparam("owner"))
            .with_for_update())


async def record_attempts(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    if rows:
        await conn.execute(event_attempts.insert(), rows)


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


@dataclass(frozen=True)
class QueueState:
    due: int  # QUEUED and due now
    oldest_due_on: int | None  # when the longest-waiting due event became due
    pending: int  # waiting for an asynchronous result


async def queue_state(conn: AsyncConnection, now: int) -> QueueState:
    """The queue as the metrics show it (both counts read ``ix_events_due``)."""
    due = (await conn.execute(
        select(func.count(), func.min(events.c.next_attempt_on))
        .where(events.c.status == "QUEUED", events.c.next_attempt_on <= now))).one()
    pending = (await conn.execute(select(func.count()).where(events.c.status == "PENDING"))).scalar_one()
    return QueueState(due[0], due[1], pending)

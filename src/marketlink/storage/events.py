"""Queries on events (the outbox) and their delivery attempts."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.storage.outbox import UNRESOLVED
from marketlink.storage.tables import event_attempts, events

Row = Mapping[str, Any]


async def insert_event(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(events.insert(), values)
    if conn.dialect.name == "postgresql":  # delivered at commit; wakes workers of every process
        await conn.execute(text("SELECT pg_notify('marketlink_events', '')"))


async def event_by_id(conn: AsyncConnection, event_id: str) -> Row | None:
    return (await conn.execute(select(events).where(events.c.id == event_id))).mappings().first()


async def events_page(
    conn: AsyncConnection, filters: Mapping[str, Any], before_seq: int | None, limit: int
) -> list[Row]:
    """Newest first. ``filters`` maps column names to required values (None: no filter), and
    ``created_from`` / ``created_before`` to bounds of ``created_on`` (from inclusive)."""
    query = select(events)
    for column, value in filters.items():
        if value is None:
            continue
        if column == "created_from":
            query = query.where(events.c.created_on >= value)
        elif column == "created_before":
            query = query.where(events.c.created_on < value)
        else:
            query = query.where(events.c[column] == value)
    if before_seq is not None:
        query = query.where(events.c.seq < before_seq)
    return list((await conn.execute(query.order_by(events.c.seq.desc()).limit(limit))).mappings())


async def attempts_of(conn: AsyncConnection, event_id: str) -> list[Row]:
    query = (select(event_attempts).where(event_attempts.c.event_id == event_id)
             .order_by(event_attempts.c.number))
    return list((await conn.execute(query)).mappings())


async def event_by_token(conn: AsyncConnection, token: str) -> Row | None:
    return (await conn.execute(select(events).where(events.c.token == token))).mappings().first()


async def unresolved_documents(conn: AsyncConnection, subscription_id: str) -> list[Mapping[str, Any]]:
    """The documents of the subscription's events not yet resolved (queued, being delivered or
    pending), oldest first."""
    query = (select(events.c.document).where(events.c.subscription_id == subscription_id,
                                             events.c.status.in_(UNRESOLVED))
             .order_by(events.c.seq))
    return list((await conn.execute(query)).scalars())

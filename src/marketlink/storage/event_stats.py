"""Delivery attempts of one integration counted per time bucket and outcome, in SQL that runs
on SQLite and on PostgreSQL (integer division of non-negative BIGINTs floors on both)."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.storage.tables import event_attempts, events

Row = Mapping[str, Any]


async def attempts_per_bucket(
    conn: AsyncConnection, integration_id: str, start_ms: int, bucket_ms: int, buckets: int,
    created_since_ms: int,
) -> list[Row]:
    """Rows ``bucket, outcome, attempts, timed, total_ms, max_ms`` for the attempts started in
    ``[start_ms, start_ms + buckets * bucket_ms)`` of events of the integration created since
    ``created_since_ms`` (which bounds the scan through ``ix_events_integration``)."""
    # The bucket expression's numbers are our own integers, inlined so that GROUP BY repeats
    # the same text (PostgreSQL refuses a SELECT expression whose bind parameters differ).
    start, width = int(start_ms), int(bucket_ms)
    bucket = ((event_attempts.c.started_on - literal_column(str(start))).self_group()
              .op("/")(literal_column(str(width)))).label("bucket")
    query = (
        select(bucket, event_attempts.c.outcome, func.count().label("attempts"),
               func.count(event_attempts.c.duration_ms).label("timed"),
               func.coalesce(func.sum(event_attempts.c.duration_ms), 0).label("total_ms"),
               func.max(event_attempts.c.duration_ms).label("max_ms"))
        .select_from(events.join(event_attempts, event_attempts.c.event_id == events.c.id))
        .where(events.c.integration_id == integration_id,
               events.c.created_on >= created_since_ms,
               event_attempts.c.started_on >= start,
               event_attempts.c.started_on < start + buckets * width)
        .group_by(bucket, event_attempts.c.outcome)
        .order_by(bucket, event_attempts.c.outcome)
    )
    return list((await conn.execute(query)).mappings())

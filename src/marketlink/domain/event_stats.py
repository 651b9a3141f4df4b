"""The activity chart of an integration: outcomes and latency of its delivery attempts over a
fixed window, in a fixed number of buckets (bounded whatever the traffic).

The window ends with the current hour's bucket and reaches back ``WINDOW_HOURS``. Attempts are
counted where they started; only events created at most ``LOOKBACK_MS`` before the window are
looked at (a retry of an older event, rare on any schedule we ship, is left out)."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.domain.actors import Actor
from marketlink.domain.integrations import visible_version
from marketlink.domain.models import IntegrationVersion
from marketlink.storage import event_stats as store

HOUR_MS = 3_600_000
WINDOW_HOURS = 24
BUCKETS = 24
BUCKET_MS = WINDOW_HOURS * HOUR_MS // BUCKETS
LOOKBACK_MS = WINDOW_HOURS * HOUR_MS
# The chart's series, in stacking order; every attempt outcome falls in one.
OUTCOMES = ("SUCCEEDED", "PENDING", "FAILED", "TRANSPORT_ERROR")
_SERIES_OF = {"SUCCEEDED": "SUCCEEDED", "PENDING": "PENDING", "TRANSPORT_ERROR": "TRANSPORT_ERROR"}


@dataclass(frozen=True)
class ActivityBucket:
    start_ms: int
    counts: tuple[int, ...]  # attempts per OUTCOMES entry
    average_ms: int | None  # of the attempts with a duration (None: none had one)
    max_ms: int | None


@dataclass(frozen=True)
class Activity:
    integration: IntegrationVersion  # the WORKING version (its name and id)
    buckets: tuple[ActivityBucket, ...]


def window_start(now_ms: int) -> int:
    """The first bucket's start: the window ends with the bucket holding ``now_ms``."""
    return (now_ms // BUCKET_MS + 1) * BUCKET_MS - BUCKETS * BUCKET_MS


async def integration_activity(
    conn: AsyncConnection, actor: Actor, integration_id: object, now_ms: int
) -> Activity | None:
    """The activity of the integration (any version's id names it), or None when the caller
    may not see it."""
    found = await visible_version(conn, actor, integration_id)
    working = await visible_version(conn, actor, found.integration_id) if found else None
    if working is None:
        return None
    start = window_start(now_ms)
    rows = await store.attempts_per_bucket(conn, working.integration_id, start, BUCKET_MS,
                                           BUCKETS, start - LOOKBACK_MS)
    return Activity(working, buckets_of(rows, start))


def buckets_of(rows: list[Mapping[str, Any]], start_ms: int) -> tuple[ActivityBucket, ...]:
    """Every bucket of the window, empty ones included, from the rows of ``store``."""
    sums: list[dict[str, Any]] = [{"counts": [0] * len(OUTCOMES), "timed": 0, "total": 0, "max": None}
                                  for _ in range(BUCKETS)]
    for row in rows:
        into = sums[int(row["bucket"])]
        into["counts"][OUTCOMES.index(_SERIES_OF.get(row["outcome"], "FAILED"))] += int(row["attempts"])
        into["timed"] += int(row["timed"])
        into["total"] += int(row["total_ms"])
        if row["max_ms"] is not None:
            into["max"] = max(into["max"] or 0, int(row["max_ms"]))
    return tuple(ActivityBucket(start_ms + i * BUCKET_MS, tuple(s["counts"]),
                                round(s["total"] / s["timed"]) if s["timed"] else None, s["max"])
                 for i, s in enumerate(sums))

"""When to try again after a transport error (SPEC §3 step 5). Policy is data (the settings'
schedule) plus this pure function."""

import random
from collections.abc import Callable

Random = Callable[[], float]


def next_delay_s(
    failed_attempts: int,
    schedule: tuple[float, ...],
    jitter: float,
    *,
    retry_after_s: float | None = None,
    retry_after_max_s: float = 3600,
    rand: Random = random.random,
) -> float | None:
    """Seconds to wait before the next attempt, or None when the schedule is spent.

    ``failed_attempts`` counts the transport failures so far (1 after the first). The delay is
    the schedule's entry, spread by +/- ``jitter`` of itself so that many events failing
    together do not come back together; a host's ``Retry-After`` wins when it asks for longer,
    up to ``retry_after_max_s``.
    """
    if failed_attempts > len(schedule):
        return None
    base = schedule[failed_attempts - 1]
    delay = base * (1 + jitter * (2 * rand() - 1))
    if retry_after_s is not None:
        delay = max(delay, min(retry_after_s, retry_after_max_s))
    return max(0.0, delay)


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds (delta-seconds form only; an HTTP date is ignored)."""
    if value is None or not value.strip().isdigit():
        return None
    return float(value.strip())

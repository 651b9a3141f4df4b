"""What an attempt's outcome does to its event and to the subscription behind it (ADR 0009).

Pure functions decide (:func:`event_change`, :func:`subscription_change`); :func:`settle_many`
writes them and the attempt rows of a batch in one short transaction, only for events the worker
still holds the lease of (else another worker took one over and its outcome is dropped: at least
once).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.config import Settings
from marketlink.domain import event_status, lifecycle, ping_tests
from marketlink.domain.ids import new_id
from marketlink.domain.services import Services
from marketlink.storage import commerce as commerce_store
from marketlink.storage import integrations as integration_store
from marketlink.storage import bulk, outbox
from marketlink.storage import events as event_store
from marketlink.storage.tables import events as events_table

FINAL = {"SUCCEEDED": "SUCCEEDED", "FAILED": "FAILED", "INVALID_RESPONSE": "FAILED", "GONE": "FAILED"}


@dataclass(frozen=True)
class AttemptOutcome:
    """One attempt as the worker saw it (plain values: the domain does not know HTTP)."""

    kind: str  # SUCCEEDED FAILED PENDING TRANSPORT_ERROR INVALID_RESPONSE GONE
    success: bool | None = None
    account_identifier: str | None = None
    user_identifier: str | None = None
    error_code: str | None = None
    message: str | None = None
    retry_delay_s: float | None = None  # for TRANSPORT_ERROR: None when retries are spent


def event_change(outcome: AttemptOutcome, attempts: int, now: int, pending_timeout_ms: int) -> dict[str, Any]:
    """The event's new columns after an attempt (``attempts`` includes this one)."""
    done = {"attempts": attempts, "lease_owner": None, "lease_until": None}
    if outcome.kind in FINAL:
        code = outcome.error_code if outcome.kind == "FAILED" else (
            None if outcome.kind == "SUCCEEDED" else outcome.kind)
        return done | {"status": FINAL[outcome.kind], "result_success": outcome.kind == "SUCCEEDED",
                       "result_error_code": code, "result_message": outcome.message,
                       "resolved_on": now, "next_attempt_on": None}
    if outcome.kind == "PENDING":
        return done | {"status": "PENDING", "next_attempt_on": None,
                       "pending_until": now + pending_timeout_ms}
    if outcome.retry_delay_s is None:
        return done | {"status": "FAILED", "result_success": False,
                       "result_error_code": "TRANSPORT_ERROR", "result_message": outcome.message,
                       "resolved_on": now, "next_attempt_on": None}
    return done | {"status": "QUEUED", "next_attempt_on": now + int(outcome.retry_delay_s * 1000)}


def subscription_change(event: Mapping[str, Any], new_status: str, outcome: AttemptOutcome) -> dict[str, Any] | None:
    """How the host's answer moves the subscription (SPEC §3 step 6), or None: the state
    machine of ``domain/lifecycle.py`` (orders, changes, cancellations, notices)."""
    return lifecycle.subscription_outcome(event["document"], event["status"], new_status,
                                          outcome.account_identifier)


def assignment_change(event_type: str, new_status: str, outcome: AttemptOutcome) -> dict[str, Any] | None:
    """How the host's answer moves the assignment of a USER_(UN)ASSIGNMENT, or None."""
    return lifecycle.assignment_outcome(event_type, new_status, outcome.user_identifier)


@dataclass(frozen=True)
class Settlement:
    """One delivered attempt to record: the event as claimed, what came of it, the attempt row."""

    event: Mapping[str, Any]
    outcome: AttemptOutcome
    attempt: Mapping[str, Any]


async def settle_many(
    conn: AsyncConnection, settings: Settings, owner: str, settlements: list[Settlement], now: int,
) -> list[bool]:
    """Record attempts and their consequences in one transaction (the worker's group commit);
    for each, False when ``owner`` lost the event's lease meanwhile (its outcome is dropped:
    whoever took the event over delivers it again, at least once)."""
    held = await outbox.still_leased(conn, [s.event for s in settlements], owner)
    timeout_ms = int(settings.pending_timeout_s * 1000)
    event_changes, attempts, subscriptions, assignments = [], [], [], []
    for item in settlements:
        event = item.event
        if (event["id"], event["lease_until"]) not in held:
            continue
        number = event["attempts"] + 1
        change = event_change(item.outcome, number, now, timeout_ms)
        event_changes.append((event["id"], change))
        attempts.append(dict(item.attempt) | {"id": new_id(), "event_id": event["id"], "number": number})
        subscription, assignment = _consequences(event, change["status"], item.outcome)
        if subscription:
            subscriptions.append((event["subscription_id"], subscription | {"last_modified": now}))
        if assignment:
            assignments.append((event["assignment_id"], assignment | {"last_modified": now}))
        if event.get("ping_result_id"):
            await ping_tests.record_answer(conn, event["ping_result_id"], dict(item.attempt), now)
        if item.outcome.kind == "GONE":  # the host says the integration is gone: flag it for the vendor
            await integration_store.update_version(conn, event["integration_id"], {"host_gone_on": now})
    await bulk.update_rows(conn, events_table, event_changes)
    await outbox.record_attempts(conn, attempts)
    await bulk.update_rows(conn, commerce_store.subscriptions, subscriptions)
    await bulk.update_rows(conn, commerce_store.assignments, assignments)
    return [(s.event["id"], s.event["lease_until"]) in held for s in settlements]


async def settle(
    conn: AsyncConnection, settings: Settings, event: dict[str, Any], owner: str,
    outcome: AttemptOutcome, attempt: dict[str, Any], now: int,
) -> bool:
    """:func:`settle_many` for one attempt."""
    return (await settle_many(conn, settings, owner, [Settlement(event, outcome, attempt)], now))[0]


@dataclass(frozen=True)
class Resolution:
    """What became of a result posted for an event (SPEC §3 step 4)."""

    accepted: bool
    reason: str  # resolved | duplicate | conflict | in_flight | not_pending


async def resolve_pending(
    conn: AsyncConnection, event: dict[str, Any], outcome: AttemptOutcome, now: int
) -> Resolution:
    """Apply a result to a PENDING event, once. The same result again is accepted (the host
    may repeat a POST it is unsure of); a different one is refused."""
    if event["status"] in ("SUCCEEDED", "FAILED"):
        same = (event["result_success"] == (outcome.kind == "SUCCEEDED")
                and event["result_error_code"] == _code(outcome))
        return Resolution(same, "duplicate" if same else "conflict")
    if event["status"] == "DELIVERING":  # the 202 may not be written yet: the caller may wait
        return Resolution(False, "in_flight")
    if event["status"] != "PENDING":
        return Resolution(False, "not_pending")
    change = event_change(outcome, event["attempts"], now, 0) | {"pending_until": None}
    del change["lease_owner"], change["lease_until"], change["attempts"]
    if not await outbox.resolve_pending(conn, event["id"], change):
        return Resolution(False, "not_pending")
    await _apply_to_subscription(conn, event, change["status"], outcome, now)
    return Resolution(True, "resolved")


def _code(outcome: AttemptOutcome) -> str | None:
    return outcome.error_code if outcome.kind == "FAILED" else None


def _consequences(event: Mapping[str, Any], status: str, outcome: AttemptOutcome
                  ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The subscription's and the assignment's new columns (None: unchanged)."""
    subscription = subscription_change(event, status, outcome) if event["subscription_id"] else None
    assignment = assignment_change(event["type"], status, outcome) if event.get("assignment_id") else None
    return subscription, assignment


async def _apply_to_subscription(
    conn: AsyncConnection, event: dict[str, Any], status: str, outcome: AttemptOutcome, now: int
) -> None:
    subscription, assignment = _consequences(event, status, outcome)
    if subscription:
        await commerce_store.update(conn, commerce_store.subscriptions, event["subscription_id"],
                                    subscription | {"last_modified": now})
    if assignment:
        await commerce_store.update(conn, commerce_store.assignments, event["assignment_id"],
                                    assignment | {"last_modified": now})


PENDING_TIMEOUT = "PENDING_TIMEOUT"


async def expire_pending(conn: AsyncConnection, services: Services, now: int, limit: int) -> int:
    """Fail PENDING events whose result did not come in time (so the subscription's later
    events are no longer held back), telling their hosts with SUBSCRIPTION_STATUS events;
    the number expired."""
    outcome = AttemptOutcome("FAILED", success=False, error_code=PENDING_TIMEOUT,
                             message="The product host posted no result within the pending timeout.")
    expired = 0
    for event in await outbox.pending_expired(conn, now, limit):
        if (await resolve_pending(conn, dict(event), outcome, now)).accepted:
            expired += 1
            resolved = await event_store.event_by_id(conn, event["id"])
            await event_status.queue_status_event(conn, services, event, resolved, event_status.TIMED_OUT)
    return expired

"""What an attempt's outcome does to its event and to the subscription behind it (ADR 0009).

Pure functions decide (:func:`event_change`, :func:`subscription_change`); :func:`settle`
writes both and the attempt row in one short transaction, only if the worker still holds the
event's lease (else another worker took it over and this outcome is dropped: at least once).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.config import Settings
from marketlink.domain import lifecycle, ping_tests
from marketlink.domain.ids import new_id
from marketlink.storage import commerce as commerce_store
from marketlink.storage import integrations as integration_store
from marketlink.storage import outbox

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


async def settle(
    conn: AsyncConnection, settings: Settings, event: dict[str, Any], owner: str,
    outcome: AttemptOutcome, attempt: dict[str, Any], now: int,
) -> bool:
    """Record the attempt and its consequences; False if the lease was lost meanwhile."""
    attempts = event["attempts"] + 1
    change = event_change(outcome, attempts, now, int(settings.pending_timeout_s * 1000))
    if not await outbox.settle(conn, event["id"], owner, change):
        return False
    await outbox.record_attempt(conn, attempt | {"id": new_id(), "event_id": event["id"],
                                                 "number": attempts})
    await _apply_to_subscription(conn, event, change["status"], outcome, now)
    if event.get("ping_result_id"):
        await ping_tests.record_answer(conn, event["ping_result_id"], attempt, now)
    if outcome.kind == "GONE":  # the host says the integration is gone: flag it for the vendor
        await integration_store.update_version(conn, event["integration_id"], {"host_gone_on": now})
    return True


@dataclass(frozen=True)
class Resolution:
    """What became of a result posted for an event (SPEC §3 step 4)."""

    accepted: bool
    reason: str  # resolved | duplicate | conflict | not_pending


async def resolve_pending(
    conn: AsyncConnection, event: dict[str, Any], outcome: AttemptOutcome, now: int
) -> Resolution:
    """Apply a result to a PENDING event, once. The same result again is accepted (the host
    may repeat a POST it is unsure of); a different one is refused."""
    if event["status"] in ("SUCCEEDED", "FAILED"):
        same = (event["result_success"] == (outcome.kind == "SUCCEEDED")
                and event["result_error_code"] == _code(outcome))
        return Resolution(same, "duplicate" if same else "conflict")
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


async def _apply_to_subscription(
    conn: AsyncConnection, event: dict[str, Any], status: str, outcome: AttemptOutcome, now: int
) -> None:
    subscription = subscription_change(event, status, outcome)
    if subscription and event["subscription_id"]:
        await commerce_store.update(conn, commerce_store.subscriptions, event["subscription_id"],
                                    subscription | {"last_modified": now})
    assignment = assignment_change(event["type"], status, outcome)
    if assignment and event.get("assignment_id"):
        await commerce_store.update(conn, commerce_store.assignments, event["assignment_id"],
                                    assignment | {"last_modified": now})


PENDING_TIMEOUT = "PENDING_TIMEOUT"


async def expire_pending(conn: AsyncConnection, now: int, limit: int) -> int:
    """Fail PENDING events whose result did not come in time (so the subscription's later
    events are no longer held back); the number expired."""
    outcome = AttemptOutcome("FAILED", success=False, error_code=PENDING_TIMEOUT,
                      message="The product host posted no result within the pending timeout.")
    expired = 0
    for event in await outbox.pending_expired(conn, now, limit):
        expired += (await resolve_pending(conn, dict(event), outcome, now)).accepted
    return expired

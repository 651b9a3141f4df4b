"""What an attempt's outcome does to its event and to the subscription behind it (ADR 0009).

Pure functions decide (:func:`event_change`, :func:`subscription_change`); :func:`settle`
writes both and the attempt row in one short transaction, only if the worker still holds the
event's lease (else another worker took it over and this outcome is dropped: at least once).
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.config import Settings
from marketlink.domain.ids import new_id
from marketlink.storage import commerce as commerce_store
from marketlink.storage import outbox

FINAL = {"SUCCEEDED": "SUCCEEDED", "FAILED": "FAILED", "INVALID_RESPONSE": "FAILED", "GONE": "FAILED"}


@dataclass(frozen=True)
class Outcome:
    """One attempt as the worker saw it (plain values: the domain does not know HTTP)."""

    kind: str  # SUCCEEDED FAILED PENDING TRANSPORT_ERROR INVALID_RESPONSE GONE
    success: bool | None = None
    account_identifier: str | None = None
    user_identifier: str | None = None
    error_code: str | None = None
    message: str | None = None
    retry_delay_s: float | None = None  # for TRANSPORT_ERROR: None when retries are spent


def event_change(outcome: Outcome, attempts: int, now: int, settings: Settings) -> dict[str, Any]:
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
                       "pending_until": now + int(settings.pending_timeout_s * 1000)}
    if outcome.retry_delay_s is None:
        return done | {"status": "FAILED", "result_success": False,
                       "result_error_code": "TRANSPORT_ERROR", "result_message": outcome.message,
                       "resolved_on": now, "next_attempt_on": None}
    return done | {"status": "QUEUED", "next_attempt_on": now + int(outcome.retry_delay_s * 1000)}


def subscription_change(event_type: str, new_status: str, outcome: Outcome) -> dict[str, Any] | None:
    """How the host's answer moves the subscription (SPEC §3 step 6), or None."""
    if event_type != "SUBSCRIPTION_ORDER":
        return None
    if new_status == "SUCCEEDED":
        return {"status": "ACTIVE", "account_identifier": outcome.account_identifier}
    if new_status == "PENDING":
        return {"status": "PENDING_REMOTE_CREATION"}
    if new_status == "FAILED":
        return {"status": "FAILED"}
    return None


async def settle(
    conn: AsyncConnection, settings: Settings, event: dict[str, Any], owner: str,
    outcome: Outcome, attempt: dict[str, Any], now: int,
) -> bool:
    """Record the attempt and its consequences; False if the lease was lost meanwhile."""
    attempts = event["attempts"] + 1
    change = event_change(outcome, attempts, now, settings)
    if not await outbox.settle(conn, event["id"], owner, change):
        return False
    await outbox.record_attempt(conn, attempt | {"id": new_id(), "event_id": event["id"],
                                                 "number": attempts})
    subscription = subscription_change(event["type"], change["status"], outcome)
    if subscription and event["subscription_id"]:
        await commerce_store.update(conn, commerce_store.subscriptions, event["subscription_id"],
                                    subscription | {"last_modified": now})
    return True

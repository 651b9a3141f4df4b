"""What the fault host does with each notification, as a pure function of the run's seed, the
notification's path and its event token, so that the run can predict, for every event, what
the host answered, which attempts the event log must show and how the event must end.

A *fault* is chosen once per event (by a hash of seed and token); the host then acts on each
receipt of that event (0-based ``arrival``):

  ok        answers at once                                      attempts: SUCCEEDED
  slow      answers after 0.2-1.0 s (well inside the timeout)    attempts: SUCCEEDED
  timeout   first receipt: answers after the client gave up      attempts: TRANSPORT_ERROR, SUCCEEDED
  reset     first two receipts: closes the connection unanswered attempts: TRANSPORT_ERROR, SUCCEEDED
            (aiohttp sends an unanswered GET once more at once, RFC 9112 9.3.1: one attempt is
            two receipts)
  cut       first receipt: headers, 14 of 1000 bytes, then closes attempts: TRANSPORT_ERROR, SUCCEEDED
  error     first receipt: HTTP 500                               attempts: TRANSPORT_ERROR, SUCCEEDED
  huge      every receipt: a valid result padded to 10 MiB        attempts: INVALID_RESPONSE (final)
  refuse    every receipt: success false, CONFIGURATION_ERROR    attempts: FAILED (final)

The two permanent faults are chosen only for changes and assignments: their failure leaves the
subscription's status as it was, so the later steps queued behind them stay allowed.
"""

import hashlib
from dataclasses import dataclass

PATHS = {"SUBSCRIPTION_ORDER": "/create", "USER_ASSIGNMENT": "/assign", "SUBSCRIPTION_CHANGE": "/change",
         "SUBSCRIPTION_NOTICE": "/notify", "SUBSCRIPTION_CANCEL": "/cancel"}
PERMANENT_PATHS = frozenset({"/change", "/assign"})
TRANSIENT = ("slow", "timeout", "reset", "cut", "error")
PERMANENT = ("huge", "refuse")
HUGE_BYTES = 10 * 1024 * 1024
CUT_MESSAGE = ("Response payload is not completed: <ContentLengthError: 400, message='Not enough "
               "data to satisfy content length header (received 14 of 1000 bytes).'>")
REFUSAL = "refused by the fault host"
ERRORS = {"timeout": "timed out", "reset": "Server disconnected", "cut": CUT_MESSAGE, "error": "HTTP 500"}


@dataclass(frozen=True)
class Mix:
    """Shares of events per fault (transient ones of all events; permanent ones of the
    changes' and assignments' events)."""

    slow: float = 0.06
    timeout: float = 0.01
    reset: float = 0.03
    cut: float = 0.02
    error: float = 0.03
    huge: float = 0.04
    refuse: float = 0.04


def _unit(seed: int, token: str, salt: str) -> float:
    digest = hashlib.sha256(f"{seed}:{salt}:{token}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def fault_of(seed: int, mix: Mix, path: str, token: str) -> str:
    """The event's fault: ``ok`` or one of TRANSIENT + PERMANENT."""
    chosen = _unit(seed, token, "fault")
    modes = TRANSIENT + (PERMANENT if path in PERMANENT_PATHS else ())
    for mode in modes:
        chosen -= getattr(mix, mode)
        if chosen < 0:
            return mode
    return "ok"


def action(fault: str, arrival: int) -> str:
    """What the host does on the ``arrival``-th receipt (0-based) of an event with ``fault``."""
    if fault in PERMANENT:
        return fault
    failing = 2 if fault == "reset" else 1
    return fault if arrival < failing else "ok"


def slow_delay_s(seed: int, token: str) -> float:
    return 0.2 + 0.8 * _unit(seed, token, "slow")


def result(path: str, token: str) -> dict:
    """The host's successful answer: an account for an order, a user for an assignment."""
    if path == "/create":
        return {"success": True, "accountIdentifier": account_of(token)}
    if path == "/assign":
        return {"success": True, "userIdentifier": user_of(token)}
    return {"success": True}


def account_of(order_token: str) -> str:
    return f"acct-{order_token[:12]}"


def user_of(assignment_token: str) -> str:
    return f"user-{assignment_token[:12]}"


def planned_attempts(fault: str) -> list[tuple[str, int | None, str | None]]:
    """The event's attempt rows (outcome, HTTP status, error) when no worker died holding it."""
    if fault == "huge":
        return [("INVALID_RESPONSE", 200, "the answer's body is larger than 262144 bytes")]
    if fault == "refuse":
        return [("FAILED", 200, None)]
    failed = [("TRANSPORT_ERROR", 500 if fault == "error" else None, ERRORS[fault])] if fault in ERRORS else []
    return failed + [("SUCCEEDED", 200, None)]


def receipts_of(error: str | None) -> int:
    """Receipts at the host that one recorded attempt accounts for."""
    return 2 if error == ERRORS["reset"] else 1

"""The subscription and assignment state machines (SPEC §3 step 6, docs/adr/0010).

Pure data and functions, shared by the commerce commands (which step is allowed now, what the
event says) and the delivery engine (what the host's answer does). A subscription's ``status``
is what the product host has confirmed; a mutation is checked against the status it *will*
have once the events already queued for it succeed (:func:`projected_status`), so a second
``cancelSubscription`` is refused while the first is still on its way.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

INITIALIZED = "INITIALIZED"
ACTIVE = "ACTIVE"
SUSPENDED = "SUSPENDED"
CANCELLED = "CANCELLED"
CLOSED = "CLOSED"
PENDING_REMOTE_CANCELLATION = "PENDING_REMOTE_CANCELLATION"
NOTICE = "SUBSCRIPTION_NOTICE"
# Statuses in which the host has an account that later events can name.
SETTLED = (ACTIVE, SUSPENDED, CANCELLED, CLOSED)


@dataclass(frozen=True)
class Step:
    """One lifecycle mutation: where it is allowed from and what it leads to."""

    action: str                  # for messages: "<action> only when ACTIVE"
    event_type: str
    notice: str | None           # payload.notice.type of a SUBSCRIPTION_NOTICE
    allowed_from: tuple[str, ...]
    account_status: str | None   # payload.account.status; None: the (projected) status
    on_success: str | None       # the status once the host accepts; None: unchanged
    on_pending: str | None = None  # the status while the host works on it (HTTP 202)


CHANGE = Step("it can be changed", "SUBSCRIPTION_CHANGE", None, (ACTIVE,), ACTIVE, None)
CANCEL = Step("it can be cancelled", "SUBSCRIPTION_CANCEL", None, (ACTIVE, SUSPENDED), None, CANCELLED,
              PENDING_REMOTE_CANCELLATION)
SUSPEND = Step("it can be suspended", NOTICE, "DEACTIVATED", (ACTIVE,), SUSPENDED, SUSPENDED)
REACTIVATE = Step("it can be reactivated", NOTICE, "REACTIVATED", (SUSPENDED,), ACTIVE, ACTIVE)
CLOSE = Step("it can be closed", NOTICE, "CLOSED", (SUSPENDED, CANCELLED), CANCELLED, CLOSED)
UPCOMING_INVOICE = Step("an upcoming invoice can be announced", NOTICE, "UPCOMING_INVOICE", (ACTIVE,), None, None)
STEPS = (CHANGE, CANCEL, SUSPEND, REACTIVATE, CLOSE, UPCOMING_INVOICE)
# Assignments need a live account: assigning an ACTIVE one; unassigning, and telling the host
# about a user's new details, a SUSPENDED one too.
ASSIGN_FROM = (ACTIVE,)
LIVE = (ACTIVE, SUSPENDED)


def step_of(document: Mapping[str, Any]) -> Step | None:
    """The lifecycle step an event document carries, or None (orders, assignments, ...)."""
    notice = (document.get("payload") or {}).get("notice") or {}
    for step in STEPS:
        if step.event_type == document.get("type") and step.notice == notice.get("type"):
            return step
    return None


def projected_status(status: str, queued: Iterable[Mapping[str, Any]]) -> str:
    """``status`` after every event document in ``queued`` (in order) has succeeded."""
    for document in queued:
        step = step_of(document)
        if step and step.on_success:
            status = step.on_success
    return status


def state_problem(status: str, projected: str, allowed: tuple[str, ...], action: str) -> str | None:
    """Why ``action`` is refused for a subscription in ``status`` (``projected`` once its queued
    events succeed), or None when it is allowed: both must be settled, ``projected`` allowed."""
    when = " or ".join(allowed)
    if status in SETTLED and projected in allowed:
        return None
    if status not in SETTLED or projected == status:
        return f"The subscription is {status}; {action} only when {when}."
    return (f"The subscription will be {projected} once its queued events are delivered; "
            f"{action} only when {when}.")


def subscription_outcome(
    document: Mapping[str, Any], was: str, new_status: str, account_identifier: str | None,
) -> dict[str, Any] | None:
    """The subscription's new columns when its event (``was`` DELIVERING or PENDING) becomes
    ``new_status`` (SUCCEEDED, FAILED, PENDING, QUEUED), or None for no change."""
    if document.get("type") == "SUBSCRIPTION_ORDER":
        return _order_outcome(new_status, account_identifier)
    step = step_of(document)
    if step is None:
        return None
    if new_status == "SUCCEEDED":
        return _success(step, document)
    if new_status == "PENDING" and step.on_pending:
        return {"status": step.on_pending}
    if new_status == "FAILED" and was == "PENDING" and step.on_pending:
        return {"status": document["payload"]["account"]["status"]}  # back to what it was
    return None


def _order_outcome(new_status: str, account_identifier: str | None) -> dict[str, Any] | None:
    if new_status == "SUCCEEDED":
        return {"status": ACTIVE, "account_identifier": account_identifier}
    return {"PENDING": {"status": "PENDING_REMOTE_CREATION"},
            "FAILED": {"status": "FAILED"}}.get(new_status)


def _success(step: Step, document: Mapping[str, Any]) -> dict[str, Any] | None:
    if step is CHANGE:
        order = document["payload"]["order"]
        return {"edition_code": order["editionCode"], "pricing_duration": order["pricingDuration"],
                "items": [dict(i) for i in order["items"]]}
    return {"status": step.on_success} if step.on_success else None


# --- Assignments: ASSIGNING -> ACTIVE | PENDING_USER_ACTIVATION | FAILED;
#     ACTIVE -> UNASSIGNING -> UNASSIGNED (or back to ACTIVE when the host refuses).
ASSIGNING = "ASSIGNING"
PENDING_USER_ACTIVATION = "PENDING_USER_ACTIVATION"
FAILED = "FAILED"
UNASSIGNING = "UNASSIGNING"
UNASSIGNED = "UNASSIGNED"
# An assignment in one of these may be assigned again (the same row starts over).
REASSIGNABLE = (FAILED, UNASSIGNED)


def assignment_outcome(event_type: str, new_status: str, user_identifier: str | None) -> dict[str, Any] | None:
    """The assignment's new columns when its event becomes ``new_status``, or None."""
    if event_type == "USER_ASSIGNMENT":
        if new_status == "SUCCEEDED":
            return {"status": ACTIVE, "user_identifier": user_identifier}
        return {"PENDING": {"status": PENDING_USER_ACTIVATION},
                "FAILED": {"status": FAILED}}.get(new_status)
    if event_type == "USER_UNASSIGNMENT":
        return {"SUCCEEDED": {"status": UNASSIGNED}, "FAILED": {"status": ACTIVE}}.get(new_status)
    return None

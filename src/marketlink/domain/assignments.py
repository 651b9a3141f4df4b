"""Assignments: a user of the subscribing company is given access to the product (SPEC §3).

``assignUser`` writes the assignment (ASSIGNING) and queues a USER_ASSIGNMENT; the host's
answer makes it ACTIVE with the host's ``userIdentifier``, PENDING_USER_ACTIVATION (202) or
FAILED. ``unassignUser`` makes an ACTIVE assignment UNASSIGNING and queues a
USER_UNASSIGNMENT; success makes it UNASSIGNED, a refusal ACTIVE again. ``updateUser`` tells
the host of every live subscription the user is actively assigned to (USER_UPDATED).

The host's ``userIdentifier`` travels back to it in ``payload.user.attributes.userIdentifier``
of the later events about that user (the fixtures' ``attributes`` is a free map of strings).
"""

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.domain import event_documents as docs
from marketlink.domain import lifecycle
from marketlink.domain.actors import Actor
from marketlink.domain.companies import admin_only, checked_person, company_managers_only, visible_user
from marketlink.domain.errors import Code, Outcome, UserError, error, not_found
from marketlink.domain.events import marketplace
from marketlink.domain.ids import new_id
from marketlink.domain.models import Assignment, User
from marketlink.domain.services import Services
from marketlink.domain.subscriptions import (
    projected_status,
    queue_subscription_event,
    subscription_for_step,
)
from marketlink.storage import commerce as store

INPUT = ("input",)
SUBSCRIPTION = INPUT + ("subscriptionId",)
USER = INPUT + ("userId",)
ASSIGN = lifecycle.Step("users can be assigned", "USER_ASSIGNMENT", None, lifecycle.ASSIGN_FROM, None, None)
UNASSIGN = lifecycle.Step("users can be unassigned", "USER_UNASSIGNMENT", None, lifecycle.LIVE, None, None)
Row = Mapping[str, Any]


async def assign_user(
    conn: AsyncConnection, actor: Actor, services: Services, changes: dict[str, Any]
) -> Outcome[Assignment]:
    """Assign a user of the subscription's company; DUPLICATE while an assignment of that user
    is in progress or ACTIVE (a FAILED or UNASSIGNED one starts over). Administrators, and a
    company administrator on its company's subscriptions."""
    if errors := company_managers_only(actor):
        return Outcome.failed(*errors)
    subscription, projected, user, existing, errors = await _parties(conn, actor, changes, ASSIGN)
    if existing and existing["status"] not in lifecycle.REASSIGNABLE:
        errors.append(error(USER, Code.DUPLICATE, f"This user is already assigned ({existing['status']})."))
    if errors:
        return Outcome.failed(*errors)
    assignment = await _begin(conn, services, subscription, user, existing)
    await _queue(conn, services, subscription, projected, assignment, user, "USER_ASSIGNMENT")
    return Outcome(Assignment.from_row(assignment))


async def unassign_user(
    conn: AsyncConnection, actor: Actor, services: Services, changes: dict[str, Any]
) -> Outcome[Assignment]:
    """Unassign an ACTIVE assignment; the event names the user with the host's userIdentifier.
    Administrators, and a company administrator on its company's subscriptions."""
    if errors := company_managers_only(actor):
        return Outcome.failed(*errors)
    subscription, projected, user, existing, errors = await _parties(conn, actor, changes, UNASSIGN)
    if user and existing is None:
        errors.append(error(USER, Code.NOT_FOUND, "This user is not assigned to the subscription."))
    elif existing and existing["status"] != lifecycle.ACTIVE:
        errors.append(error(USER, Code.INVALID_STATE, f"The assignment is {existing['status']}; "
                                                      "only an ACTIVE assignment can be unassigned."))
    if errors:
        return Outcome.failed(*errors)
    change = _stamped(services, status=lifecycle.UNASSIGNING)
    await store.update(conn, store.assignments, existing["id"], change)
    assignment = dict(existing) | change
    await _queue(conn, services, subscription, projected, assignment, user, "USER_UNASSIGNMENT")
    return Outcome(Assignment.from_row(assignment))


async def update_user(
    conn: AsyncConnection, actor: Actor, services: Services, changes: dict[str, Any]
) -> Outcome[User]:
    """Change the given fields of a user. When something changed, queue a USER_UPDATED for each
    subscription the user is ACTIVE-ly assigned to whose account is live (ACTIVE, SUSPENDED)."""
    if errors := admin_only(actor):
        return Outcome.failed(*errors)
    found = await visible_user(conn, actor, changes.get("id"))
    if found is None:
        return Outcome.failed(not_found(INPUT + ("id",), "User"))
    values, errors = checked_person(changes, required=False)
    errors += await _email_taken(conn, found, values.get("email"))
    if errors:
        return Outcome.failed(*errors)
    row = await store.by_id(conn, store.users, found.id)
    if changed := {k: v for k, v in values.items() if row[k] != v}:
        row = await _save_and_tell(conn, services, found.id, changed)
    return Outcome(User.from_row(row))


async def assignments_of(conn: AsyncConnection, subscription_id: str) -> list[Assignment]:
    """The subscription's assignments, oldest first (visibility is the subscription's)."""
    return [Assignment.from_row(r) for r in await store.assignments_of_subscription(conn, subscription_id)]


async def _parties(
    conn: AsyncConnection, actor: Actor, changes: dict[str, Any], step: lifecycle.Step,
) -> tuple[Row | None, str | None, Row | None, Row | None, list[UserError]]:
    """The locked subscription, its projected status, the user (of the subscription's company)
    and their assignment, and what is wrong with them."""
    subscription, projected, errors = await subscription_for_step(
        conn, actor, changes.get("subscriptionId"), step, SUBSCRIPTION)
    if subscription is None:
        return None, None, None, None, errors
    user = await visible_user(conn, actor, changes.get("userId"))
    if user is None or user.company_id != subscription["company_id"]:
        return subscription, projected, None, None, errors + [
            error(USER, Code.NOT_FOUND, "userId must be a user of the subscription's company.")]
    existing = await store.assignment_of(conn, subscription["id"], user.id)
    return subscription, projected, await store.by_id(conn, store.users, user.id), existing, errors


async def _begin(conn: AsyncConnection, services: Services, subscription: Row, user: Row,
                 existing: Row | None) -> dict[str, Any]:
    """The assignment row, ASSIGNING: new, or an earlier FAILED / UNASSIGNED one starting over."""
    if existing is not None:
        change = _stamped(services, status=lifecycle.ASSIGNING, user_identifier=None)
        await store.update(conn, store.assignments, existing["id"], change)
        return dict(existing) | change
    row = _stamped(services, id=new_id(), subscription_id=subscription["id"], user_id=user["id"],
                   status=lifecycle.ASSIGNING, user_identifier=None, created_on=services.clock.now_ms())
    await store.insert(conn, store.assignments, row)
    return row


async def _queue(conn: AsyncConnection, services: Services, subscription: Row, projected: str,
                 assignment: Row, user: Row, event_type: str) -> None:
    """USER_ASSIGNMENT / USER_UNASSIGNMENT / USER_UPDATED: ``payload.user`` and the account."""
    payload = {"user": _person(services, user, assignment["user_identifier"]),
               "account": docs.account(subscription["account_identifier"], projected)}
    await queue_subscription_event(conn, services, subscription, event_type, payload,
                                   with_creator=True, assignment_id=assignment["id"])


async def _save_and_tell(conn: AsyncConnection, services: Services, user_id: str,
                         changed: dict[str, Any]) -> Row:
    """Write the user's changed columns, queue the USER_UPDATED events; the user's row."""
    await store.update(conn, store.users, user_id, changed | {"last_modified": services.clock.now_ms()})
    user = await store.by_id(conn, store.users, user_id)
    await _tell_hosts(conn, services, user)
    return user


async def _tell_hosts(conn: AsyncConnection, services: Services, user: Row) -> None:
    for assignment in await store.assignments_of_user(conn, user["id"], lifecycle.ACTIVE):
        subscription = await store.by_id(conn, store.subscriptions, assignment["subscription_id"])
        projected = await projected_status(conn, subscription)
        if lifecycle.state_problem(subscription["status"], projected, lifecycle.LIVE, "") is None:
            await _queue(conn, services, subscription, projected, assignment, user, "USER_UPDATED")


def _person(services: Services, user: Row, user_identifier: str | None) -> dict[str, Any]:
    person = docs.person(user, marketplace(services))
    if user_identifier is not None:
        person["attributes"] = {"userIdentifier": user_identifier}
    return person


async def _email_taken(conn: AsyncConnection, user: User, email: str | None) -> list[UserError]:
    other = await store.user_by_email(conn, email) if email and email != user.email else None
    return [error(INPUT + ("email",), Code.DUPLICATE, "A user with this email exists.")] if other else []


def _stamped(services: Services, **values: Any) -> dict[str, Any]:
    return values | {"last_modified": services.clock.now_ms()}

"""assignUser: give a user of the subscribing company access (USER_ASSIGNMENT); the assignment
is ASSIGNING until the host answers."""

import strawberry

from marketlink.api.commands import run_command
from marketlink.api.commerce.types import Assignment
from marketlink.api.context import Info
from marketlink.api.errors import MutationErrors
from marketlink.domain.assignments import assign_user as assign
from marketlink.domain.errors import Code

ERRORS = MutationErrors("AssignUser", [
    Code.NOT_ALLOWED, Code.NOT_FOUND, Code.INVALID_STATE, Code.DUPLICATE])


@strawberry.input
class AssignUserInput:
    subscription_id: strawberry.ID
    user_id: strawberry.ID = strawberry.field(description="A user of the subscribing company.")


@strawberry.type
class AssignUserPayload:
    assignment: Assignment | None
    user_errors: list[ERRORS.type]  # type: ignore[valid-type]


async def assign_user(info: Info, input: AssignUserInput) -> AssignUserPayload:
    outcome = await run_command(info, assign, input)
    return AssignUserPayload(assignment=Assignment.of(outcome.value) if outcome.value else None,
                             user_errors=ERRORS.of(outcome.errors))

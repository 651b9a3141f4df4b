"""unassignUser: take an ACTIVE assignment away (USER_UNASSIGNMENT, naming the user with the
host's userIdentifier); the assignment is UNASSIGNING until the host answers."""

import strawberry

from marketlink.api.commands import run_command
from marketlink.api.commerce.types import Assignment
from marketlink.api.context import Info
from marketlink.api.errors import MutationErrors
from marketlink.domain.assignments import unassign_user as unassign
from marketlink.domain.errors import Code

ERRORS = MutationErrors("UnassignUser", [Code.NOT_ALLOWED, Code.NOT_FOUND, Code.INVALID_STATE])


@strawberry.input
class UnassignUserInput:
    subscription_id: strawberry.ID
    user_id: strawberry.ID


@strawberry.type
class UnassignUserPayload:
    assignment: Assignment | None
    user_errors: list[ERRORS.type]  # type: ignore[valid-type]


async def unassign_user(info: Info, input: UnassignUserInput) -> UnassignUserPayload:
    outcome = await run_command(info, unassign, input)
    return UnassignUserPayload(assignment=Assignment.of(outcome.value) if outcome.value else None,
                               user_errors=ERRORS.of(outcome.errors))

"""updateUser: change a user's details; each live subscription the user is actively assigned
to gets a USER_UPDATED event."""

import strawberry

from marketlink.api.commands import run_command
from marketlink.api.commerce.types import User
from marketlink.api.context import Info
from marketlink.api.errors import MutationErrors
from marketlink.domain.assignments import update_user as update
from marketlink.domain.errors import Code

ERRORS = MutationErrors("UpdateUser", [
    Code.NOT_ALLOWED, Code.NOT_FOUND, Code.REQUIRED, Code.TOO_LONG, Code.INVALID, Code.DUPLICATE])


@strawberry.input(description="A field left out keeps its value.")
class UpdateUserInput:
    id: strawberry.ID
    email: str | None = strawberry.UNSET
    first_name: str | None = strawberry.UNSET
    last_name: str | None = strawberry.UNSET
    language: str | None = strawberry.field(default=strawberry.UNSET, description="e.g. en")
    locale: str | None = strawberry.field(default=strawberry.UNSET, description="e.g. en-US")


@strawberry.type
class UpdateUserPayload:
    user: User | None
    user_errors: list[ERRORS.type]  # type: ignore[valid-type]


async def update_user(info: Info, input: UpdateUserInput) -> UpdateUserPayload:
    outcome = await run_command(info, update, input)
    return UpdateUserPayload(user=User.of(outcome.value) if outcome.value else None,
                             user_errors=ERRORS.of(outcome.errors))

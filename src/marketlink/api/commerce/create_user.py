"""createUser: a user of a buying company (administrators)."""

import strawberry

from marketlink.api.commands import run_command
from marketlink.api.commerce.types import User
from marketlink.api.context import Info
from marketlink.api.errors import MutationErrors
from marketlink.domain.companies import create_user as create
from marketlink.domain.errors import Code

ERRORS = MutationErrors("CreateUser", [
    Code.NOT_ALLOWED, Code.NOT_FOUND, Code.REQUIRED, Code.TOO_LONG, Code.INVALID, Code.DUPLICATE])


@strawberry.input
class CreateUserInput:
    company_id: strawberry.ID
    email: str | None = strawberry.UNSET
    first_name: str | None = strawberry.UNSET
    last_name: str | None = strawberry.UNSET
    language: str | None = strawberry.field(default=strawberry.UNSET, description="e.g. en")
    locale: str | None = strawberry.field(default=strawberry.UNSET,
                                          description="e.g. en-US; the language when left out.")


@strawberry.type
class CreateUserPayload:
    user: User | None
    user_errors: list[ERRORS.type]  # type: ignore[valid-type]


async def create_user(info: Info, input: CreateUserInput) -> CreateUserPayload:
    outcome = await run_command(info, create, input)
    return CreateUserPayload(user=User.of(outcome.value) if outcome.value else None,
                             user_errors=ERRORS.of(outcome.errors))

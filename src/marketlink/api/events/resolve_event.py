"""resolveEvent: an administrator settles a PENDING event as if the host had posted this result."""

import strawberry

from marketlink.api.commands import run_command
from marketlink.api.context import Info
from marketlink.api.errors import MutationErrors
from marketlink.api.events.types import Event
from marketlink.domain.errors import Code
from marketlink.domain.event_commands import resolve_event as resolve

ERRORS = MutationErrors("ResolveEvent", [Code.NOT_ALLOWED, Code.NOT_FOUND, Code.INVALID])


@strawberry.input
class ResolveEventInput:
    id: strawberry.ID
    success: bool
    account_identifier: str | None = strawberry.UNSET
    user_identifier: str | None = strawberry.UNSET
    error_code: str | None = strawberry.UNSET
    message: str | None = strawberry.UNSET


@strawberry.type
class ResolveEventPayload:
    event: Event | None
    user_errors: list[ERRORS.type]  # type: ignore[valid-type]


async def resolve_event(info: Info, input: ResolveEventInput) -> ResolveEventPayload:
    outcome = await run_command(info, resolve, input)
    return ResolveEventPayload(event=Event(model=outcome.value) if outcome.value else None,
                               user_errors=ERRORS.of(outcome.errors))

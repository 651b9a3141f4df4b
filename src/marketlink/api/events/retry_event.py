"""retryEvent: an administrator queues a FAILED event again."""

import strawberry

from marketlink.api.commands import run_command
from marketlink.api.context import Info
from marketlink.api.errors import MutationErrors
from marketlink.api.events.types import Event
from marketlink.domain.errors import Code
from marketlink.domain.event_commands import retry_event as retry

ERRORS = MutationErrors("RetryEvent", [Code.NOT_ALLOWED, Code.NOT_FOUND, Code.INVALID])


@strawberry.input
class RetryEventInput:
    id: strawberry.ID


@strawberry.type
class RetryEventPayload:
    event: Event | None
    user_errors: list[ERRORS.type]  # type: ignore[valid-type]


async def retry_event(info: Info, input: RetryEventInput) -> RetryEventPayload:
    outcome = await run_command(info, retry, input)
    return RetryEventPayload(event=Event(model=outcome.value) if outcome.value else None,
                             user_errors=ERRORS.of(outcome.errors))

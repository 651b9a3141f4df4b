"""reactivateSubscription: queue the notice REACTIVATED (SUSPENDED subscriptions); the host's
success makes it ACTIVE."""

import strawberry

from marketlink.api.commands import run_command
from marketlink.api.commerce.types import Subscription
from marketlink.api.context import Info
from marketlink.api.errors import MutationErrors
from marketlink.domain.errors import Code
from marketlink.domain.subscriptions import reactivate_subscription as command

ERRORS = MutationErrors("ReactivateSubscription", [Code.NOT_ALLOWED, Code.NOT_FOUND, Code.INVALID_STATE])


@strawberry.input
class ReactivateSubscriptionInput:
    id: strawberry.ID


@strawberry.type
class ReactivateSubscriptionPayload:
    subscription: Subscription | None = strawberry.field(
        description="The subscription as it is now: its status changes when the host answers.")
    user_errors: list[ERRORS.type]  # type: ignore[valid-type]


async def reactivate_subscription(info: Info, input: ReactivateSubscriptionInput) -> ReactivateSubscriptionPayload:
    outcome = await run_command(info, command, input)
    return ReactivateSubscriptionPayload(
        subscription=Subscription(model=outcome.value) if outcome.value else None,
        user_errors=ERRORS.of(outcome.errors))

"""suspendSubscription: queue the notice DEACTIVATED (ACTIVE subscriptions); the host's success
makes it SUSPENDED."""

import strawberry

from marketlink.api.commands import run_command
from marketlink.api.commerce.types import Subscription
from marketlink.api.context import Info
from marketlink.api.errors import MutationErrors
from marketlink.domain.errors import Code
from marketlink.domain.subscriptions import suspend_subscription as command

ERRORS = MutationErrors("SuspendSubscription", [Code.NOT_ALLOWED, Code.NOT_FOUND, Code.INVALID_STATE])


@strawberry.input
class SuspendSubscriptionInput:
    id: strawberry.ID


@strawberry.type
class SuspendSubscriptionPayload:
    subscription: Subscription | None = strawberry.field(
        description="The subscription as it is now: its status changes when the host answers.")
    user_errors: list[ERRORS.type]  # type: ignore[valid-type]


async def suspend_subscription(info: Info, input: SuspendSubscriptionInput) -> SuspendSubscriptionPayload:
    outcome = await run_command(info, command, input)
    return SuspendSubscriptionPayload(
        subscription=Subscription(model=outcome.value) if outcome.value else None,
        user_errors=ERRORS.of(outcome.errors))

"""cancelSubscription: queue a SUBSCRIPTION_CANCEL (ACTIVE or SUSPENDED subscriptions); the host's
answer makes it CANCELLED, PENDING_REMOTE_CANCELLATION (202) or leaves it as it was."""

import strawberry

from marketlink.api.commands import run_command
from marketlink.api.commerce.types import Subscription
from marketlink.api.context import Info
from marketlink.api.errors import MutationErrors
from marketlink.domain.errors import Code
from marketlink.domain.subscriptions import cancel_subscription as command

ERRORS = MutationErrors("CancelSubscription", [Code.NOT_ALLOWED, Code.NOT_FOUND, Code.INVALID_STATE])


@strawberry.input
class CancelSubscriptionInput:
    id: strawberry.ID


@strawberry.type
class CancelSubscriptionPayload:
    subscription: Subscription | None = strawberry.field(
        description="The subscription as it is now: its status changes when the host answers.")
    user_errors: list[ERRORS.type]  # type: ignore[valid-type]


async def cancel_subscription(info: Info, input: CancelSubscriptionInput) -> CancelSubscriptionPayload:
    outcome = await run_command(info, command, input)
    return CancelSubscriptionPayload(
        subscription=Subscription(model=outcome.value) if outcome.value else None,
        user_errors=ERRORS.of(outcome.errors))

"""changeSubscription: queue a SUBSCRIPTION_CHANGE with the new order (ACTIVE subscriptions);
the subscription takes the new edition, duration and items when the host accepts."""

import strawberry

from marketlink.api.commands import run_command
from marketlink.api.commerce.types import OrderItemInput, PricingDuration, Subscription
from marketlink.api.context import Info
from marketlink.api.errors import MutationErrors
from marketlink.domain.errors import Code
from marketlink.domain.subscriptions import change_subscription as change

ERRORS = MutationErrors("ChangeSubscription", [
    Code.NOT_ALLOWED, Code.NOT_FOUND, Code.INVALID_STATE, Code.INVALID, Code.TOO_MANY])


@strawberry.input(description="The new order; a field left out keeps its current value.")
class ChangeSubscriptionInput:
    id: strawberry.ID
    edition_code: str | None = strawberry.UNSET
    pricing_duration: PricingDuration | None = strawberry.UNSET  # type: ignore[valid-type]
    items: list[OrderItemInput] | None = strawberry.UNSET


@strawberry.type
class ChangeSubscriptionPayload:
    subscription: Subscription | None = strawberry.field(
        description="The subscription as it is now: the order changes when the host accepts.")
    user_errors: list[ERRORS.type]  # type: ignore[valid-type]


async def change_subscription(info: Info, input: ChangeSubscriptionInput) -> ChangeSubscriptionPayload:
    outcome = await run_command(info, change, input)
    return ChangeSubscriptionPayload(
        subscription=Subscription(model=outcome.value) if outcome.value else None,
        user_errors=ERRORS.of(outcome.errors))

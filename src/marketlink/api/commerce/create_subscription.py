"""createSubscription: a company buys an edition; a SUBSCRIPTION_ORDER event is queued in the
same transaction."""

import strawberry
from strawberry.scalars import JSON

from marketlink.api.commands import run_command
from marketlink.api.commerce.types import OrderItemInput, PricingDuration, Subscription
from marketlink.api.context import Info
from marketlink.api.errors import MutationErrors
from marketlink.domain.errors import Code
from marketlink.domain.subscriptions import create_subscription as create

ERRORS = MutationErrors("CreateSubscription", [
    Code.NOT_ALLOWED, Code.NOT_FOUND, Code.NOT_PUBLISHED, Code.INVALID, Code.TOO_MANY])


@strawberry.input
class CreateSubscriptionInput:
    product_id: strawberry.ID
    company_id: strawberry.ID
    creator_id: strawberry.ID = strawberry.field(description="A user of the buying company.")
    edition_code: str
    pricing_duration: PricingDuration  # type: ignore[valid-type]
    items: list[OrderItemInput] | None = strawberry.UNSET
    configuration: JSON | None = strawberry.field(
        default=strawberry.UNSET, description="Checkout fields: a JSON object of strings.")


@strawberry.type
class CreateSubscriptionPayload:
    subscription: Subscription | None
    user_errors: list[ERRORS.type]  # type: ignore[valid-type]


async def create_subscription(info: Info, input: CreateSubscriptionInput) -> CreateSubscriptionPayload:
    outcome = await run_command(info, create, input)
    return CreateSubscriptionPayload(
        subscription=Subscription(model=outcome.value) if outcome.value else None,
        user_errors=ERRORS.of(outcome.errors))

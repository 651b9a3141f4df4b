"""notifyUpcomingInvoice: queue the notice UPCOMING_INVOICE (ACTIVE subscriptions); the status
does not change."""

import strawberry

from marketlink.api.commands import run_command
from marketlink.api.commerce.types import Subscription
from marketlink.api.context import Info
from marketlink.api.errors import MutationErrors
from marketlink.domain.errors import Code
from marketlink.domain.subscriptions import notify_upcoming_invoice as command

ERRORS = MutationErrors("NotifyUpcomingInvoice", [Code.NOT_ALLOWED, Code.NOT_FOUND, Code.INVALID_STATE])


@strawberry.input
class NotifyUpcomingInvoiceInput:
    id: strawberry.ID


@strawberry.type
class NotifyUpcomingInvoicePayload:
    subscription: Subscription | None = strawberry.field(
        description="The subscription as it is now: its status changes when the host answers.")
    user_errors: list[ERRORS.type]  # type: ignore[valid-type]


async def notify_upcoming_invoice(info: Info, input: NotifyUpcomingInvoiceInput) -> NotifyUpcomingInvoicePayload:
    outcome = await run_command(info, command, input)
    return NotifyUpcomingInvoicePayload(
        subscription=Subscription(model=outcome.value) if outcome.value else None,
        user_errors=ERRORS.of(outcome.errors))

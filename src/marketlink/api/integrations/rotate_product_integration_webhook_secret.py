"""rotateProductIntegrationWebhookSecret: a new signing secret for DIRECT delivery, shown this
once; the previous ones keep signing for ``previousValidForSeconds`` (default a day)."""

import strawberry

from marketlink.api.commands import run_command
from marketlink.api.context import Info
from marketlink.api.errors import MutationErrors
from marketlink.api.scalars import EpochMillis
from marketlink.domain.errors import Code
from marketlink.domain.webhook_secrets import rotate_secret

ERRORS = MutationErrors("RotateProductIntegrationWebhookSecret", [
    Code.NOT_FOUND, Code.PUBLISHED_SNAPSHOT, Code.INVALID])


@strawberry.input
class RotateProductIntegrationWebhookSecretInput:
    id: strawberry.ID
    previous_valid_for_seconds: int | None = strawberry.UNSET


@strawberry.type(description="A Standard Webhooks signing secret (whsec_...), shown this once.")
class WebhookSecret:
    secret: str
    created_on: EpochMillis


@strawberry.type
class RotateProductIntegrationWebhookSecretPayload:
    webhook_secret: WebhookSecret | None
    user_errors: list[ERRORS.type]  # type: ignore[valid-type]


async def rotate_product_integration_webhook_secret(
    info: Info, input: RotateProductIntegrationWebhookSecretInput
) -> RotateProductIntegrationWebhookSecretPayload:
    outcome = await run_command(info, rotate_secret, input)
    issued = outcome.value
    return RotateProductIntegrationWebhookSecretPayload(
        webhook_secret=WebhookSecret(secret=issued.secret, created_on=issued.created_on) if issued else None,
        user_errors=ERRORS.of(outcome.errors))

"""triggerProductIntegrationPingTest: start a ping test of one version; returns at once with
``lastTest.status = RUNNING``."""

import strawberry

from marketlink.api.commands import run_command
from marketlink.api.context import Info
from marketlink.api.errors import MutationErrors
from marketlink.api.integrations.types import EventType, IntegrationVersionName, ProductIntegration
from marketlink.domain.errors import Code
from marketlink.domain.ping_tests import trigger_test

ERRORS = MutationErrors("TriggerProductIntegrationPingTest", [
    Code.NOT_FOUND, Code.NOT_PUBLISHED, Code.NO_URL_CONFIGURED,
])


@strawberry.input
class TriggerProductIntegrationPingTestInput:
    id: strawberry.ID
    version: IntegrationVersionName | None = strawberry.field(
        default=None, description="Left out: the version the id names.")
    event_types: list[EventType] | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET, description="Left out or empty: every type with a URL.")


@strawberry.type
class TriggerProductIntegrationPingTestPayload:
    product_integration: ProductIntegration | None
    user_errors: list[ERRORS.type]  # type: ignore[valid-type]


async def trigger_product_integration_ping_test(
    info: Info, input: TriggerProductIntegrationPingTestInput
) -> TriggerProductIntegrationPingTestPayload:
    outcome = await run_command(info, trigger_test, input)
    return TriggerProductIntegrationPingTestPayload(
        product_integration=ProductIntegration(model=outcome.value) if outcome.value else None,
        user_errors=ERRORS.of(outcome.errors),
    )

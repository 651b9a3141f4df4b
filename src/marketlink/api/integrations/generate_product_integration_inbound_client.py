"""generateProductIntegrationInboundClient: new credentials for the product host. The secret
is in this answer and nowhere else, ever."""

import strawberry

from marketlink.api.commands import run_command
from marketlink.api.context import Info
from marketlink.api.errors import MutationErrors
from marketlink.api.scalars import EpochMillis
from marketlink.domain.errors import Code
from marketlink.domain.inbound_clients import generate_client

ERRORS = MutationErrors("GenerateProductIntegrationInboundClient", [
    Code.NOT_FOUND, Code.LIMIT_REACHED,
])


@strawberry.input
class GenerateProductIntegrationInboundClientInput:
    id: strawberry.ID = strawberry.field(description="The integration (any of its versions).")


@strawberry.type(description="A new inbound client with its secret, shown this once.")
class ProductIntegrationInboundClient:
    client_id: str
    client_secret: str
    created_on: EpochMillis


@strawberry.type
class GenerateProductIntegrationInboundClientPayload:
    product_integration_inbound_client: ProductIntegrationInboundClient | None
    user_errors: list[ERRORS.type]  # type: ignore[valid-type]


async def generate_product_integration_inbound_client(
    info: Info, input: GenerateProductIntegrationInboundClientInput
) -> GenerateProductIntegrationInboundClientPayload:
    outcome = await run_command(info, generate_client, input)
    issued = outcome.value
    return GenerateProductIntegrationInboundClientPayload(
        product_integration_inbound_client=ProductIntegrationInboundClient(
            client_id=issued.client_id, client_secret=issued.client_secret,
            created_on=issued.created_on) if issued else None,
        user_errors=ERRORS.of(outcome.errors),
    )

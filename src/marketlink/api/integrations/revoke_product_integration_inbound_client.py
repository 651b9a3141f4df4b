"""revokeProductIntegrationInboundClient: the client's tokens stop working; it stays listed."""

import strawberry

from marketlink.api.commands import run_command
from marketlink.api.context import Info
from marketlink.api.errors import MutationErrors
from marketlink.api.integrations.types import InboundClient
from marketlink.domain.errors import Code
from marketlink.domain.inbound_clients import revoke_client

ERRORS = MutationErrors("RevokeProductIntegrationInboundClient", [
    Code.NOT_FOUND, Code.ALREADY_REVOKED,
])


@strawberry.input
class RevokeProductIntegrationInboundClientInput:
    id: strawberry.ID = strawberry.field(description="The integration (any of its versions).")
    client_id: str


@strawberry.type
class RevokeProductIntegrationInboundClientPayload:
    inbound_client: InboundClient | None
    user_errors: list[ERRORS.type]  # type: ignore[valid-type]


async def revoke_product_integration_inbound_client(
    info: Info, input: RevokeProductIntegrationInboundClientInput
) -> RevokeProductIntegrationInboundClientPayload:
    outcome = await run_command(info, revoke_client, input)
    client = outcome.value
    return RevokeProductIntegrationInboundClientPayload(
        inbound_client=InboundClient(client_id=client.client_id, created_on=client.created_on,
                                     revoked_on=client.revoked_on) if client else None,
        user_errors=ERRORS.of(outcome.errors),
    )

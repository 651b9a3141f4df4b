"""Input types shared by the integration mutations."""

import strawberry

from marketlink.api.integrations.types import DeliveryMode, GrantType, OutboundCredentialsType


@strawberry.input(description="Credentials MarketLink presents to the product host. Secrets "
                              "left out on update keep their stored value.")
class OutboundCredentialsInput:
    type: OutboundCredentialsType
    client_id: str | None = strawberry.UNSET
    client_secret: str | None = strawberry.UNSET
    token_uri: str | None = strawberry.UNSET
    grant_type: GrantType | None = strawberry.UNSET
    scope: str | None = strawberry.UNSET
    username: str | None = strawberry.UNSET
    password: str | None = strawberry.UNSET
    consumer_key: str | None = strawberry.UNSET
    consumer_secret: str | None = strawberry.UNSET


@strawberry.input(description="The fields of an integration configuration; left out: unchanged.")
class IntegrationFieldsInput:
    name: str | None = strawberry.UNSET
    create_url: str | None = strawberry.UNSET
    upgrade_url: str | None = strawberry.UNSET
    cancel_url: str | None = strawberry.UNSET
    notify_url: str | None = strawberry.UNSET
    event_status_url: str | None = strawberry.UNSET
    assign_url: str | None = strawberry.UNSET
    unassign_url: str | None = strawberry.UNSET
    addon_notification_url: str | None = strawberry.UNSET
    user_updated_url: str | None = strawberry.UNSET
    create_url_interactive: bool | None = strawberry.UNSET
    upgrade_url_interactive: bool | None = strawberry.UNSET
    cancel_url_interactive: bool | None = strawberry.UNSET
    outbound_credentials: OutboundCredentialsInput | None = strawberry.UNSET
    delivery_mode: DeliveryMode | None = strawberry.UNSET

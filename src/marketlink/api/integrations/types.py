"""GraphQL types of integration configurations."""

from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from marketlink.api.context import Info
from marketlink.api.errors import ValidationError
from marketlink.api.pagination import page_size
from marketlink.api.scalars import EpochMillis
from marketlink.api.sso.types import SsoConfiguration, sso_type
from marketlink.domain import inbound_clients, integrations, ping_tests, products
from marketlink.domain.events import EVENT_TYPES
from marketlink.domain.models import IntegrationVersion, PingTest
from marketlink.domain.sso import validation_errors

if TYPE_CHECKING:
    from marketlink.api.products.types import Product

MASK = "********"
MAX_LINKED_PRODUCTS = 100


@strawberry.enum(description="WORKING is the editable copy; PUBLISHED a frozen snapshot.")
class IntegrationVersionName(Enum):
    WORKING = "WORKING"
    PUBLISHED = "PUBLISHED"


@strawberry.enum
class IntegrationType(Enum):
    FULL_INTEGRATION = "FULL_INTEGRATION"


@strawberry.enum(description="NOTIFY_THEN_FETCH: GET the URL, the host fetches the event. "
                             "DIRECT: POST the event document, signed per Standard Webhooks.")
class DeliveryMode(Enum):
    NOTIFY_THEN_FETCH = "NOTIFY_THEN_FETCH"
    DIRECT = "DIRECT"


@strawberry.enum
class OutboundCredentialsType(Enum):
    OAUTH2 = "OAUTH2"
    BASIC = "BASIC"
    OAUTH1 = "OAUTH1"


@strawberry.enum
class GrantType(Enum):
    client_credentials = "client_credentials"


EventType = strawberry.enum(Enum("EventType", {name: name for name in EVENT_TYPES}),
                            description="Marketplace event types (SPEC §3).")


@strawberry.enum
class PingTestStatus(Enum):
    RUNNING = "RUNNING"
    PASSED = "PASSED"
    FAILED = "FAILED"


@strawberry.type(description="Outbound credentials with every secret masked.")
class OutboundCredentials:
    type: OutboundCredentialsType
    client_id: str | None = None
    client_secret: str | None = None
    token_uri: str | None = None
    grant_type: GrantType | None = None
    scope: str | None = None
    username: str | None = None
    password: str | None = None
    consumer_key: str | None = None
    consumer_secret: str | None = None


_SECRET_FIELD = {"OAUTH2": "client_secret", "BASIC": "password", "OAUTH1": "consumer_secret"}


def masked_credentials(version: IntegrationVersion) -> OutboundCredentials | None:
    credentials = version.credentials
    if credentials is None:
        return None
    public = credentials.public
    masked = OutboundCredentials(
        type=OutboundCredentialsType(credentials.kind),
        client_id=public.get("clientId"),
        token_uri=public.get("tokenUri"),
        grant_type=GrantType(public["grantType"]) if public.get("grantType") else None,
        scope=public.get("scope"),
        username=public.get("username"),
        consumer_key=public.get("consumerKey"),
    )
    if credentials.has_secret:
        setattr(masked, _SECRET_FIELD[credentials.kind], MASK)
    return masked


@strawberry.type(description="An inbound client as listed: never its secret.")
class InboundClient:
    client_id: str
    created_on: EpochMillis
    revoked_on: EpochMillis | None


@strawberry.type
class ProductIntegrationTestResult:
    event_type: EventType
    url: str
    success: bool | None = strawberry.field(description="null while the answer is awaited.")
    http_status: int | None
    duration_ms: int | None
    error_code: str | None
    message: str | None


@strawberry.type
class ProductIntegrationTest:
    id: strawberry.ID
    version: IntegrationVersionName
    status: PingTestStatus
    triggered_on: EpochMillis
    completed_on: EpochMillis | None
    results: list[ProductIntegrationTestResult]

    @classmethod
    def of(cls, test: PingTest) -> "ProductIntegrationTest":
        return cls(
            id=strawberry.ID(test.id), version=IntegrationVersionName(test.version),
            status=PingTestStatus(test.status), triggered_on=test.triggered_on,
            completed_on=test.completed_on,
            results=[ProductIntegrationTestResult(
                event_type=EventType[r.event_type], url=r.url, success=r.success,
                http_status=r.http_status, duration_ms=r.duration_ms, error_code=r.error_code,
                message=r.message) for r in test.results],
        )


@strawberry.type(description="One version of an integration configuration.")
class ProductIntegration:
    model: strawberry.Private[IntegrationVersion]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.model.id)

    @strawberry.field(description="The id of the WORKING version this version belongs to.")
    def integration_id(self) -> strawberry.ID:
        return strawberry.ID(self.model.integration_id)

    @strawberry.field
    def vendor_id(self) -> strawberry.ID:
        return strawberry.ID(self.model.vendor_id)

    @strawberry.field
    def version(self) -> IntegrationVersionName:
        return IntegrationVersionName(self.model.version)

    @strawberry.field(description="0 for WORKING; snapshots count 1, 2, ... in publish order.")
    def revision(self) -> int:
        return self.model.revision

    @strawberry.field
    def type(self) -> IntegrationType:
        return IntegrationType.FULL_INTEGRATION

    @strawberry.field
    def name(self) -> str:
        return self.model.name

    @strawberry.field
    def create_url(self) -> str | None:
        return self.model.urls["createUrl"]

    @strawberry.field
    def upgrade_url(self) -> str | None:
        return self.model.urls["upgradeUrl"]

    @strawberry.field
    def cancel_url(self) -> str | None:
        return self.model.urls["cancelUrl"]

    @strawberry.field
    def notify_url(self) -> str | None:
        return self.model.urls["notifyUrl"]

    @strawberry.field
    def event_status_url(self) -> str | None:
        return self.model.urls["eventStatusUrl"]

    @strawberry.field
    def assign_url(self) -> str | None:
        return self.model.urls["assignUrl"]

    @strawberry.field
    def unassign_url(self) -> str | None:
        return self.model.urls["unassignUrl"]

    @strawberry.field
    def addon_notification_url(self) -> str | None:
        return self.model.urls["addonNotificationUrl"]

    @strawberry.field
    def user_updated_url(self) -> str | None:
        return self.model.urls["userUpdatedUrl"]

    @strawberry.field
    def create_url_interactive(self) -> bool:
        return self.model.interactive["createUrlInteractive"]

    @strawberry.field
    def upgrade_url_interactive(self) -> bool:
        return self.model.interactive["upgradeUrlInteractive"]

    @strawberry.field
    def cancel_url_interactive(self) -> bool:
        return self.model.interactive["cancelUrlInteractive"]

    @strawberry.field
    def delivery_mode(self) -> DeliveryMode:
        return DeliveryMode(self.model.delivery_mode)

    @strawberry.field
    def outbound_credentials(self) -> OutboundCredentials | None:
        return masked_credentials(self.model)

    @strawberry.field
    def sso_configuration(self) -> SsoConfiguration | None:
        return sso_type(self.model.sso)

    @strawberry.field(description="Stored values that will not work as they are (SPEC §2).")
    def validation_errors(self) -> list[ValidationError]:
        return [ValidationError(path=list(p.path), code=p.code, message=p.message)
                for p in validation_errors(self.model.sso)]

    @strawberry.field
    def created_on(self) -> EpochMillis:
        return self.model.created_on

    @strawberry.field
    def last_modified(self) -> EpochMillis:
        return self.model.last_modified

    @strawberry.field(description="When a product host last answered 410 Gone to a notification "
                                  "(null: never, or since the last update).")
    def host_gone_on(self) -> EpochMillis | None:
        return self.model.host_gone_on

    @strawberry.field(description="Inbound clients of the integration (ids and dates only).")
    async def inbound_clients(self, info: Info) -> list[InboundClient]:
        async with info.context.db.read() as conn:
            clients = await inbound_clients.clients_of(conn, self.model.integration_id)
        return [InboundClient(client_id=c.client_id, created_on=c.created_on,
                              revoked_on=c.revoked_on) for c in clients]

    @strawberry.field(description="The last ping test of this version.")
    async def last_test(self, info: Info) -> ProductIntegrationTest | None:
        async with info.context.db.read() as conn:
            test = await ping_tests.last_test(conn, self.model)
        return ProductIntegrationTest.of(test) if test else None

    @strawberry.field(description=f"Products linked to the integration (first {MAX_LINKED_PRODUCTS}).")
    async def linked_products(
        self, info: Info
    ) -> list[Annotated["Product", strawberry.lazy("marketlink.api.products.types")]]:
        from marketlink.api.products.types import Product

        async with info.context.db.read() as conn:
            linked = await products.products_linked_to(
                conn, self.model.integration_id, MAX_LINKED_PRODUCTS)
        return [Product(model=p) for p in linked]

    @strawberry.field(description="True when linked to two or more products: the console then "
                                  "shows it read-only and changes go through this API.")
    async def read_only_in_console(self, info: Info) -> bool:
        async with info.context.db.read() as conn:
            return await integrations.read_only_in_console(conn, self.model.integration_id)

    @strawberry.field(description="Published snapshots of the integration, newest first.")
    async def published_versions(self, info: Info, first: int = 10) -> list["ProductIntegration"]:
        limit = page_size(first, info.context.services.settings.max_page_size)
        async with info.context.db.read() as conn:
            snapshots = await integrations.published_snapshots(conn, self.model.integration_id, limit)
        return [ProductIntegration(model=s) for s in snapshots]

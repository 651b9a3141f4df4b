"""GraphQL types of products."""

from enum import Enum

import strawberry

from marketlink.api.context import Info
from marketlink.api.integrations.types import IntegrationVersionName, ProductIntegration
from marketlink.api.scalars import EpochMillis
from marketlink.domain import integrations
from marketlink.domain.models import Product as ProductModel


@strawberry.enum
class UsageType(Enum):
    SINGLE_USER = "SINGLE_USER"
    MULTI_USER = "MULTI_USER"


@strawberry.type
class Edition:
    code: str
    name: str


@strawberry.input
class EditionInput:
    code: str
    name: str


@strawberry.type(description="A product a vendor sells, linked to at most one integration.")
class Product:
    model: strawberry.Private[ProductModel]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.model.id)

    @strawberry.field(description="Products are edited in place: always WORKING.")
    def version(self) -> IntegrationVersionName:
        return IntegrationVersionName.WORKING

    @strawberry.field
    def vendor_id(self) -> strawberry.ID:
        return strawberry.ID(self.model.vendor_id)

    @strawberry.field
    def name(self) -> str:
        return self.model.name

    @strawberry.field
    def usage_type(self) -> UsageType:
        return UsageType(self.model.usage_type)

    @strawberry.field
    def editions(self) -> list[Edition]:
        return [Edition(code=e.code, name=e.name) for e in self.model.editions]

    @strawberry.field
    def created_on(self) -> EpochMillis:
        return self.model.created_on

    @strawberry.field
    def last_modified(self) -> EpochMillis:
        return self.model.last_modified

    @strawberry.field(description="The linked integration's WORKING version.")
    async def integration(self, info: Info) -> ProductIntegration | None:
        if self.model.integration_id is None:
            return None
        async with info.context.db.read() as conn:
            found = await integrations.visible_version(
                conn, info.context.actor, self.model.integration_id)
        return ProductIntegration(model=found) if found else None

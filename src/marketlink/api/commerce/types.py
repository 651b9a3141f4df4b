"""GraphQL types of companies, users and subscriptions."""

from enum import Enum

import strawberry
from strawberry.scalars import JSON

from marketlink.api.context import Info
from marketlink.api.events.types import Event
from marketlink.api.scalars import EpochMillis
from marketlink.domain import events as event_log
from marketlink.domain.assignments import assignments_of
from marketlink.domain.models import Assignment as AssignmentModel
from marketlink.domain.models import Company as CompanyModel
from marketlink.domain.models import Subscription as SubscriptionModel
from marketlink.domain.models import User as UserModel
from marketlink.domain.subscriptions import PRICING_DURATIONS

PricingDuration = strawberry.enum(Enum("PricingDuration", {d: d for d in PRICING_DURATIONS}))
MAX_SUBSCRIPTION_EVENTS = 100


@strawberry.type
class Company:
    id: strawberry.ID
    name: str
    country: str
    email: str | None
    website: str | None
    created_on: EpochMillis

    @classmethod
    def of(cls, m: CompanyModel) -> "Company":
        return cls(id=strawberry.ID(m.id), name=m.name, country=m.country, email=m.email,
                   website=m.website, created_on=m.created_on)


@strawberry.type
class User:
    id: strawberry.ID
    company_id: strawberry.ID
    email: str
    first_name: str
    last_name: str
    language: str
    locale: str
    created_on: EpochMillis
    last_modified: EpochMillis

    @classmethod
    def of(cls, m: UserModel) -> "User":
        return cls(id=strawberry.ID(m.id), company_id=strawberry.ID(m.company_id), email=m.email,
                   first_name=m.first_name, last_name=m.last_name, language=m.language,
                   locale=m.locale, created_on=m.created_on, last_modified=m.last_modified)


@strawberry.type
class OrderItem:
    unit: str
    quantity: int


@strawberry.input
class OrderItemInput:
    unit: str
    quantity: int


@strawberry.type
class Assignment:
    id: strawberry.ID
    subscription_id: strawberry.ID
    user_id: strawberry.ID
    status: str = strawberry.field(description="ASSIGNING until the product host answers; then "
                                               "ACTIVE, PENDING_USER_ACTIVATION or FAILED; "
                                               "UNASSIGNING, UNASSIGNED.")
    user_identifier: str | None = strawberry.field(
        description="The product host's id for the user, once it answered.")
    created_on: EpochMillis
    last_modified: EpochMillis

    @classmethod
    def of(cls, m: AssignmentModel) -> "Assignment":
        return cls(id=strawberry.ID(m.id), subscription_id=strawberry.ID(m.subscription_id),
                   user_id=strawberry.ID(m.user_id), status=m.status,
                   user_identifier=m.user_identifier, created_on=m.created_on,
                   last_modified=m.last_modified)


@strawberry.type
class Subscription:
    model: strawberry.Private[SubscriptionModel]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.model.id)

    @strawberry.field(description="INITIALIZED until the product host answers the order; then "
                                  "ACTIVE, FAILED, PENDING_REMOTE_CREATION, ...")
    def status(self) -> str:
        return self.model.status

    @strawberry.field(description="The product host's id for the account, once it answered.")
    def account_identifier(self) -> str | None:
        return self.model.account_identifier

    @strawberry.field
    def product_id(self) -> strawberry.ID:
        return strawberry.ID(self.model.product_id)

    @strawberry.field
    def company_id(self) -> strawberry.ID:
        return strawberry.ID(self.model.company_id)

    @strawberry.field
    def creator_id(self) -> strawberry.ID:
        return strawberry.ID(self.model.creator_id)

    @strawberry.field
    def edition_code(self) -> str:
        return self.model.edition_code

    @strawberry.field
    def pricing_duration(self) -> PricingDuration:  # type: ignore[valid-type]
        return PricingDuration[self.model.pricing_duration]

    @strawberry.field
    def items(self) -> list[OrderItem]:
        return [OrderItem(unit=i["unit"], quantity=i["quantity"]) for i in self.model.items]

    @strawberry.field
    def configuration(self) -> JSON:
        return dict(self.model.configuration)

    @strawberry.field
    def created_on(self) -> EpochMillis:
        return self.model.created_on

    @strawberry.field
    def last_modified(self) -> EpochMillis:
        return self.model.last_modified

    @strawberry.field(description=f"The subscription's events, newest first (at most {MAX_SUBSCRIPTION_EVENTS}).")
    async def events(
        self, info: Info
    ) -> list[Event]:
        async with info.context.db.read() as conn:
            found = await event_log.events_page(
                conn, info.context.actor, {"subscription_id": self.model.id}, None,
                MAX_SUBSCRIPTION_EVENTS)
        return [Event(model=e) for e in found]

    @strawberry.field(description="Users assigned to the subscription, oldest first.")
    async def assignments(self, info: Info) -> list[Assignment]:
        async with info.context.db.read() as conn:
            found = await assignments_of(conn, self.model.id)
        return [Assignment.of(a) for a in found]

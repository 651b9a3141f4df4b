"""GraphQL types of the event log."""

import strawberry
from strawberry.scalars import JSON

from marketlink.api.context import Info
from marketlink.api.scalars import EpochMillis
from marketlink.delivery.url_templates import event_url
from marketlink.domain import events as event_log
from marketlink.domain.models import Event as EventModel


@strawberry.type(description="One delivery attempt to the product host.")
class EventAttempt:
    number: int
    started_on: EpochMillis
    duration_ms: int | None
    url: str
    auth_kind: str | None
    http_status: int | None
    outcome: str
    error: str | None
    answer_excerpt: str | None = strawberry.field(description="At most 16 KiB of the answer.")


@strawberry.type(description="A marketplace event and its delivery to the product host.")
class Event:
    model: strawberry.Private[EventModel]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.model.id)

    @strawberry.field(description="Where the product host fetches the event (with its inbound "
                                  "credentials).")
    def url(self, info: Info) -> str:
        return event_url(info.context.services.settings.base_url, self.model.token)

    @strawberry.field
    def type(self) -> str:
        return self.model.type

    @strawberry.field
    def flag(self) -> str | None:
        return self.model.flag

    @strawberry.field(description="QUEUED, DELIVERING, PENDING (the host answered 202), "
                                  "SUCCEEDED or FAILED.")
    def status(self) -> str:
        return self.model.status

    @strawberry.field
    def integration_id(self) -> strawberry.ID:
        return strawberry.ID(self.model.integration_id)

    @strawberry.field(description="The published snapshot the event was made with.")
    def integration_version_id(self) -> strawberry.ID:
        return strawberry.ID(self.model.integration_version_id)

    @strawberry.field
    def product_id(self) -> strawberry.ID | None:
        return strawberry.ID(self.model.product_id) if self.model.product_id else None

    @strawberry.field
    def subscription_id(self) -> strawberry.ID | None:
        return strawberry.ID(self.model.subscription_id) if self.model.subscription_id else None

    @strawberry.field(description="The event document as the product host fetches it (JSON).")
    def document(self) -> JSON:
        return dict(self.model.document)

    @strawberry.field
    def attempt_count(self) -> int:
        return self.model.attempts

    @strawberry.field
    def next_attempt_on(self) -> EpochMillis | None:
        return self.model.next_attempt_on

    @strawberry.field
    def result_success(self) -> bool | None:
        return self.model.result_success

    @strawberry.field
    def result_error_code(self) -> str | None:
        return self.model.result_error_code

    @strawberry.field
    def result_message(self) -> str | None:
        return self.model.result_message

    @strawberry.field
    def created_on(self) -> EpochMillis:
        return self.model.created_on

    @strawberry.field
    def resolved_on(self) -> EpochMillis | None:
        return self.model.resolved_on

    @strawberry.field(description="Every delivery attempt, oldest first.")
    async def attempts(self, info: Info) -> list[EventAttempt]:
        async with info.context.db.read() as conn:
            found = await event_log.attempts_of(conn, self.model.id)
        return [EventAttempt(number=a.number, started_on=a.started_on, duration_ms=a.duration_ms,
                             url=a.url, auth_kind=a.auth_kind, http_status=a.http_status,
                             outcome=a.outcome, error=a.error, answer_excerpt=a.answer_excerpt)
                for a in found]

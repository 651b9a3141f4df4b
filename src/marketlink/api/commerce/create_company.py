"""createCompany: a buying company (administrators)."""

import strawberry

from marketlink.api.commands import run_command
from marketlink.api.commerce.types import Company
from marketlink.api.context import Info
from marketlink.api.errors import MutationErrors
from marketlink.domain.companies import create_company as create
from marketlink.domain.errors import Code

ERRORS = MutationErrors("CreateCompany", [
    Code.NOT_ALLOWED, Code.REQUIRED, Code.TOO_LONG, Code.INVALID, Code.INVALID_URL])


@strawberry.input
class CreateCompanyInput:
    name: str | None = strawberry.UNSET
    country: str | None = strawberry.field(default=strawberry.UNSET,
                                           description="ISO 3166 two-letter code.")
    email: str | None = strawberry.UNSET
    website: str | None = strawberry.UNSET


@strawberry.type
class CreateCompanyPayload:
    company: Company | None
    user_errors: list[ERRORS.type]  # type: ignore[valid-type]


async def create_company(info: Info, input: CreateCompanyInput) -> CreateCompanyPayload:
    outcome = await run_command(info, create, input)
    return CreateCompanyPayload(company=Company.of(outcome.value) if outcome.value else None,
                                user_errors=ERRORS.of(outcome.errors))

"""Companies and their users: the buyers of the marketplace (SPEC §3).

Marketplace administrators create and manage them (through the API and the CLI). A company
administrator (console only, ADR 0014) reads its own company and its users; another company,
or one of its users, reads as not found, exactly like a missing one."""

import re
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.domain.actors import Actor
from marketlink.domain.errors import Code, Outcome, UserError, error, not_found
from marketlink.domain.ids import new_id, normalized_id
from marketlink.domain.models import Company, User
from marketlink.domain.names import checked_name
from marketlink.domain.services import Services
from marketlink.domain.urls import url_problem
from marketlink.storage import commerce as store

INPUT = ("input",)
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
MAX_PERSON_NAME = 100


def admin_only(actor: Actor) -> list[UserError]:
    if actor.is_admin:
        return []
    return [error(INPUT, Code.NOT_ALLOWED, "Only marketplace administrators can do this.")]


def company_managers_only(actor: Actor) -> list[UserError]:
    """Administrators and company administrators pass (the command then finds only the
    objects of companies the actor manages); everyone else gets ``admin_only``'s refusal."""
    return [] if actor.is_company_admin else admin_only(actor)


async def create_company(
    conn: AsyncConnection, actor: Actor, services: Services, changes: dict[str, Any]
) -> Outcome[Company]:
    if errors := admin_only(actor):
        return Outcome.failed(*errors)
    values, errors = checked_name(changes | {"name": changes.get("name")}, INPUT)
    country = (changes.get("country") or "").strip().upper()
    if not _COUNTRY.match(country):
        errors.append(error(INPUT + ("country",), Code.INVALID, "country is an ISO 3166 two-letter code."))
    errors += _email_problems(changes.get("email"), required=False)
    website = changes.get("website") or None
    if website and (problem := url_problem(website)):
        errors.append(error(INPUT + ("website",), Code.INVALID_URL, f"website {problem}."))
    if errors:
        return Outcome.failed(*errors)
    row = values | {"id": new_id(), "country": country, "email": changes.get("email") or None,
                    "website": website, "created_on": services.clock.now_ms()}
    await store.insert(conn, store.companies, row)
    return Outcome(Company.from_row(row))


async def visible_company(conn: AsyncConnection, actor: Actor, company_id: object) -> Company | None:
    """The company, when the actor manages it (``Actor.can_manage_company``)."""
    canonical = normalized_id(company_id)
    visible = canonical and actor.can_manage_company(canonical)
    row = await store.by_id(conn, store.companies, canonical) if visible else None
    return Company.from_row(row) if row else None


async def company_by_id_or_name(
    conn: AsyncConnection, actor: Actor, id_or_name: str
) -> Outcome[Company]:
    """The company with this id, else the one company with this exact name (for operators,
    who know companies by name)."""
    if company := await visible_company(conn, actor, id_or_name):
        return Outcome(company)
    rows = await store.companies_named(conn, id_or_name.strip(), limit=2) if actor.is_admin else []
    if len(rows) > 1:
        return Outcome.failed(error(("company",), Code.DUPLICATE,
                                    f"more than one company is named {id_or_name!r}: give its id"))
    return Outcome(Company.from_row(rows[0])) if rows else Outcome.failed(
        error(("company",), Code.NOT_FOUND, f"no company has the id or name {id_or_name!r}"))


async def create_user(
    conn: AsyncConnection, actor: Actor, services: Services, changes: dict[str, Any]
) -> Outcome[User]:
    if errors := admin_only(actor):
        return Outcome.failed(*errors)
    company = await visible_company(conn, actor, changes.get("companyId"))
    errors = [] if company else [not_found(INPUT + ("companyId",), "Company")]
    values, field_errors = checked_person(changes, required=True)
    errors += field_errors
    if "email" in values and await store.user_by_email(conn, values["email"]):
        errors.append(error(INPUT + ("email",), Code.DUPLICATE, "A user with this email exists."))
    if errors:
        return Outcome.failed(*errors)
    now = services.clock.now_ms()
    row = values | {"id": new_id(), "company_id": company.id, "created_on": now, "last_modified": now}
    row.setdefault("locale", row["language"])
    await store.insert(conn, store.users, row)
    return Outcome(User.from_row(row))


async def visible_user(conn: AsyncConnection, actor: Actor, user_id: object) -> User | None:
    """The user, when the actor manages the user's company."""
    canonical = normalized_id(user_id)
    row = await store.by_id(conn, store.users, canonical) if canonical else None
    return User.from_row(row) if row and actor.can_manage_company(row["company_id"]) else None


def checked_person(changes: dict[str, Any], *, required: bool) -> tuple[dict[str, Any], list[UserError]]:
    """The person fields of ``changes`` as columns, and their mistakes. With ``required``
    (a new user) email, names and language must be given; else only the given ones are checked."""
    values: dict[str, Any] = {}
    errors = _email_problems(changes.get("email"), required=required) if (
        required or "email" in changes) else []
    if changes.get("email"):
        values["email"] = changes["email"].strip().lower()
    for api, column in (("firstName", "first_name"), ("lastName", "last_name")):
        if required or api in changes:
            text = (changes.get(api) or "").strip()
            if not text or len(text) > MAX_PERSON_NAME:
                errors.append(error(INPUT + (api,), Code.REQUIRED if not text else Code.TOO_LONG,
                                    f"{api} is 1 to {MAX_PERSON_NAME} characters."))
            values[column] = text
    for api in ("language", "locale"):
        if changes.get(api) is not None or (required and api == "language"):
            given = (changes.get(api) or "").strip()
            if not _LANGUAGE.match(given):
                errors.append(error(INPUT + (api,), Code.INVALID, f"{api} is a code such as en or en-US."))
            values[api] = given
    return values, errors


def _email_problems(email: str | None, *, required: bool) -> list[UserError]:
    if not email:
        return [error(INPUT + ("email",), Code.REQUIRED, "email is required.")] if required else []
    if len(email) > 320 or not _EMAIL.match(email.strip()):
        return [error(INPUT + ("email",), Code.INVALID, "email is not an email address.")]
    return []

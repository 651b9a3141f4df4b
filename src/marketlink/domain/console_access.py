"""Who may use the console, and as whom they act there.

A console user acts with the same ``Actor`` an API token gives (ADR 0001's one tenancy rule):
ADMIN sees everything, a DEVELOPER only its vendor, and every console page calls the same
domain functions the GraphQL resolvers call. A COMPANY_ADMIN (console only, no API token)
manages the subscriptions of one buying company. A user without a role has My Apps only.
"""

from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.domain.actors import Actor, Role
from marketlink.domain.errors import Code, Outcome, UserError, error, not_found
from marketlink.domain.ids import normalized_id
from marketlink.domain.logins import normalized_email
from marketlink.domain.services import Services
from marketlink.domain.vendors import vendor_exists
from marketlink.storage import commerce
from marketlink.storage import console_roles as store
from marketlink.storage import logins as login_store


async def console_actor(conn: AsyncConnection, user_id: str) -> Actor | None:
    """The actor the user is in the console, or None when the user has no console role."""
    row = await store.role_of(conn, user_id)
    if row is None:
        return None
    return Actor(Role(row["role"]), row["vendor_id"], company_id=row["company_id"])


async def grant_console_role(conn: AsyncConnection, services: Services, email: str,
                             role: Role | None, vendor_id: str | None,
                             company_id: str | None = None) -> Outcome[str]:
    """Give the user with this email the console role (None takes it away). A DEVELOPER needs
    an existing vendor, a COMPANY_ADMIN an existing company; an ADMIN has neither. The value
    is the user's id."""
    user = await login_store.user_for_update(conn, normalized_email(email))
    if user is None:
        return Outcome.failed(not_found(("email",), "User"))
    errors = await _binding_problems(conn, role, vendor_id, company_id)
    if errors:
        return Outcome.failed(*errors)
    vendor = normalized_id(vendor_id) if role is Role.DEVELOPER else None
    company = normalized_id(company_id) if role is Role.COMPANY_ADMIN else None
    await store.replace_role(conn, user["id"], role.value if role else None, vendor,
                             services.clock.now_ms(), company)
    return Outcome(user["id"])


async def _binding_problems(conn: AsyncConnection, role: Role | None, vendor_id: str | None,
                            company_id: str | None) -> list[UserError]:
    """A DEVELOPER is bound to an existing vendor, a COMPANY_ADMIN to an existing company,
    and nobody else to either."""
    if role is Role.DEVELOPER and not (vendor_id and await vendor_exists(conn, vendor_id)):
        return [error(("vendor",), Code.NOT_FOUND, "A DEVELOPER needs the id of an existing vendor.")]
    if role is not Role.DEVELOPER and vendor_id:
        return [error(("vendor",), Code.INVALID, "Only a DEVELOPER is bound to a vendor.")]
    if role is Role.COMPANY_ADMIN and not await _company_exists(conn, company_id):
        return [error(("company",), Code.NOT_FOUND,
                      "A COMPANY_ADMIN needs the id of an existing company.")]
    if role is not Role.COMPANY_ADMIN and company_id:
        return [error(("company",), Code.INVALID, "Only a COMPANY_ADMIN is bound to a company.")]
    return []


async def _company_exists(conn: AsyncConnection, company_id: str | None) -> bool:
    canonical = normalized_id(company_id)
    return canonical is not None and await commerce.by_id(conn, commerce.companies, canonical) is not None

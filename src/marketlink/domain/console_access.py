"""Who may use the console, and as whom they act there.

A console user acts with the same ``Actor`` an API token gives (ADR 0001's one tenancy rule):
ADMIN sees everything, a DEVELOPER only its vendor, and every console page calls the same
domain functions the GraphQL resolvers call. A user without a role has My Apps only.
"""

from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.domain.actors import Actor, Role
from marketlink.domain.errors import Code, Outcome, error, not_found
from marketlink.domain.ids import normalized_id
from marketlink.domain.logins import normalized_email
from marketlink.domain.services import Services
from marketlink.domain.vendors import vendor_exists
from marketlink.storage import console_roles as store
from marketlink.storage import logins as login_store


async def console_actor(conn: AsyncConnection, user_id: str) -> Actor | None:
    """The actor the user is in the console, or None when the user has no console role."""
    row = await store.role_of(conn, user_id)
    if row is None:
        return None
    return Actor(Role(row["role"]), row["vendor_id"])


async def grant_console_role(conn: AsyncConnection, services: Services, email: str,
                             role: Role | None, vendor_id: str | None) -> Outcome[str]:
    """Give the user with this email the console role (None takes it away). A DEVELOPER needs
    an existing vendor; an ADMIN has none. The value is the user's id."""
    user = await login_store.user_for_update(conn, normalized_email(email))
    if user is None:
        return Outcome.failed(not_found(("email",), "User"))
    if role is Role.DEVELOPER and not (vendor_id and await vendor_exists(conn, vendor_id)):
        return Outcome.failed(error(("vendor",), Code.NOT_FOUND,
                                    "A DEVELOPER needs the id of an existing vendor."))
    if role is not Role.DEVELOPER and vendor_id:
        return Outcome.failed(error(("vendor",), Code.INVALID,
                                    "Only a DEVELOPER is bound to a vendor."))
    bound = normalized_id(vendor_id) if role is Role.DEVELOPER else None
    await store.replace_role(conn, user["id"], role.value if role else None, bound,
                             services.clock.now_ms())
    return Outcome(user["id"])

"""``viewer``: who the token belongs to."""

import strawberry

from marketlink.api.context import Info


@strawberry.type(description="The caller, as its API token says.")
class Viewer:
    role: str
    vendor_id: strawberry.ID | None


def viewer(info: Info) -> Viewer:
    actor = info.context.actor
    return Viewer(role=actor.role.value,
                  vendor_id=strawberry.ID(actor.vendor_id) if actor.vendor_id else None)

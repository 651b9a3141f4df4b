"""``/console/integrations/{id}/publish``: what publishing would change, and publishing it.

The GET is the confirmation (the WORKING version against the latest PUBLISHED snapshot, field
by field); the POST publishes, unless the integration is read-only in the console (409),
nothing changed since the last snapshot (409), or the WORKING version changed since the page
was shown (409: the user confirmed other changes). It answers 303 to the page, which then
names the new snapshot.
"""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from marketlink.domain.actors import Actor
from marketlink.domain.errors import Code, Outcome, error
from marketlink.domain.integrations import (
    find_version,
    published_snapshots,
    read_only_in_console,
    visible_version,
)
from marketlink.domain.models import PUBLISHED, IntegrationVersion
from marketlink.domain.publishing import publish_integration
from marketlink.domain.version_diff import FieldChange, changes_since
from marketlink.web.console.access import ConsoleUser, console_page, not_found, render
from marketlink.web.console.commands import run_in_transaction
from marketlink.web.console.integration_views import working_of_path
from marketlink.web.console.read_only import (
    READ_ONLY,
    READ_ONLY_REASON,
    READ_ONLY_STATUS,
    when,
    working_version,
)

SNAPSHOTS_SHOWN = 10
SEEN = "lastModified"  # the WORKING version's lastModified the confirmation showed
NOTHING_TO_PUBLISH = error(("integrationId",), Code.INVALID,
                           "Nothing to publish: the WORKING version is the same as the latest "
                           "published snapshot.")
CHANGED_MEANWHILE = error(("integrationId",), Code.INVALID,
                          "The WORKING version changed since this page was shown; review the "
                          "changes below and publish again.")
CONFLICTS = (READ_ONLY, NOTHING_TO_PUBLISH, CHANGED_MEANWHILE)


@dataclass(frozen=True)
class PublishView:
    working: IntegrationVersion
    published: IntegrationVersion | None
    changes: list[FieldChange]
    snapshots: list[IntegrationVersion]
    read_only: bool


async def publish_view(conn: AsyncConnection, actor: Actor, working: IntegrationVersion) -> PublishView:
    published = await find_version(conn, actor, working.id, PUBLISHED)
    return PublishView(
        working, published, changes_since(published, working),
        await published_snapshots(conn, working.integration_id, SNAPSHOTS_SHOWN),
        await read_only_in_console(conn, working.integration_id),
    )


async def _page(request: Request, user: ConsoleUser, working: IntegrationVersion,
                errors: list[str] | None = None, status_code: int = 200) -> Response:
    async with request.app.state.db.read() as conn:
        working = await working_version(conn, user.actor, working.id) or working
        view = await publish_view(conn, user.actor, working)
        new_snapshot = await _new_snapshot(conn, user.actor, working, request.query_params.get("published"))
    return render(request, user, "console/publish.html", status_code=status_code, view=view,
                  errors=errors or [], new_snapshot=new_snapshot, read_only_reason=READ_ONLY_REASON,
                  seen_field=SEEN, when=when)


async def _new_snapshot(conn: AsyncConnection, actor: Actor, working: IntegrationVersion,
                        snapshot_id: str | None) -> IntegrationVersion | None:
    """The snapshot the last POST made (named in the redirect), if it is one of this integration."""
    if not snapshot_id:
        return None
    found = await visible_version(conn, actor, snapshot_id)
    if found is None or found.is_working or found.integration_id != working.integration_id:
        return None
    return found


@console_page
async def publish_page(request: Request, user: ConsoleUser) -> Response:
    working = await working_of_path(request, user.actor)
    if working is None:
        return not_found(request, user)
    return await _page(request, user, working)


@console_page
async def publish(request: Request, user: ConsoleUser) -> Response:
    working = await working_of_path(request, user.actor)
    if working is None:
        return not_found(request, user)
    db = request.app.state.db
    services = request.app.state.services

    async def run(conn: AsyncConnection) -> Outcome[IntegrationVersion]:
        current = await working_version(conn, user.actor, working.id)
        if current is None or str(current.last_modified) != user.form.get(SEEN):
            return Outcome.failed(CHANGED_MEANWHILE)
        published = await find_version(conn, user.actor, working.id, PUBLISHED)
        if not changes_since(published, current):
            return Outcome.failed(NOTHING_TO_PUBLISH)
        return await publish_integration(conn, user.actor, services, {"integrationId": working.id})

    outcome = await run_in_transaction(db, user.form, run, working.integration_id)
    if outcome.errors:
        conflict = any(e in CONFLICTS for e in outcome.errors)
        return await _page(request, user, working, [e.message for e in outcome.errors],
                           READ_ONLY_STATUS if conflict else 400)
    return RedirectResponse(
        f"/console/integrations/{working.id}/publish?published={outcome.value.id}", 303)


ROUTES = [
    Route("/console/integrations/{id}/publish", publish_page, methods=["GET"]),
    Route("/console/integrations/{id}/publish", publish, methods=["POST"]),
]

"""``/console/integrations/{id}/ping-tests``: run ping tests of the WORKING version and of the
latest PUBLISHED snapshot, and watch the results per event type and URL fill in (SPEC §4).

The page works without script (a reload shows the current state); with it, each version's
results are a fragment that ``console.js`` fetches again until the run is over.
"""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from marketlink.domain.actors import Actor
from marketlink.domain.events import EVENT_TYPES
from marketlink.domain.integrations import find_version
from marketlink.domain.models import PUBLISHED, WORKING, IntegrationVersion, PingResult, PingTest
from marketlink.domain.ping_tests import RUNNING, last_test, trigger_test, urls_to_test
from marketlink.web.console.access import ConsoleUser, console_page, fragment, not_found, render
from marketlink.web.console.integration_views import working_of_path
from marketlink.web.console.read_only import when, working_version

VERSIONS = (WORKING, PUBLISHED)
REFRESH_MS = 500
CHECKBOX = "eventType."  # one checkbox per event type: the posted form keeps one value a name


@dataclass(frozen=True)
class ResultRow:
    """One (event type, URL) of a version as the results table shows it."""

    event_type: str
    url: str
    state: str  # PASSED | FAILED | WAITING | NOT RUN
    css: str  # pass | fail | idle
    result: PingResult | None


@dataclass(frozen=True)
class VersionSection:
    name: str  # WORKING | PUBLISHED
    version: IntegrationVersion | None  # None: never published
    test: PingTest | None
    rows: list[ResultRow]
    results_url: str

    @property
    def final(self) -> bool:
        return self.test is None or self.test.status != RUNNING


def result_rows(version: IntegrationVersion, test: PingTest | None) -> list[ResultRow]:
    """Every configured (event type, URL), with the last run's result where it has one; then
    the URLs that run tested which the version no longer has."""
    results = {(r.event_type, r.url): r for r in test.results} if test else {}
    rows = [_row(event_type, url, results.pop((event_type, url), None))
            for event_type, url in urls_to_test(version, None)]
    return rows + [_row(r.event_type, r.url, r) for r in results.values()]


def _row(event_type: str, url: str, result: PingResult | None) -> ResultRow:
    if result is None:
        return ResultRow(event_type, url, "NOT RUN", "idle", None)
    if result.success is None:
        return ResultRow(event_type, url, "WAITING", "idle", result)
    if result.success:
        return ResultRow(event_type, url, "PASSED", "pass", result)
    return ResultRow(event_type, url, "FAILED", "fail", result)


async def version_section(
    conn: AsyncConnection, actor: Actor, working: IntegrationVersion, name: str
) -> VersionSection:
    version = working if name == WORKING else await find_version(conn, actor, working.id, PUBLISHED)
    test = await last_test(conn, version) if version else None
    rows = result_rows(version, test) if version else []
    return VersionSection(name, version, test, rows,
                          f"/console/integrations/{working.id}/ping-tests/{name}/results")


async def _page(request: Request, user: ConsoleUser, working: IntegrationVersion,
                errors: dict[str, list[str]] | None = None, status_code: int = 200) -> Response:
    async with request.app.state.db.read() as conn:
        sections = [await version_section(conn, user.actor, working, name) for name in VERSIONS]
    return render(request, user, "console/ping_tests.html", status_code=status_code,
                  integration=working, sections=sections, errors=errors or {},
                  urls_to_test=urls_to_test, when=when, refresh_ms=REFRESH_MS)


@console_page
async def ping_tests_page(request: Request, user: ConsoleUser) -> Response:
    working = await working_of_path(request, user.actor)
    if working is None:
        return not_found(request, user)
    return await _page(request, user, working)


@console_page
async def run_ping_test(request: Request, user: ConsoleUser) -> Response:
    working = await working_of_path(request, user.actor)
    if working is None:
        return not_found(request, user)
    db = request.app.state.db
    name = user.form.get("version", "")
    if name not in VERSIONS:
        return await _page(request, user, working, {WORKING: ["Choose WORKING or PUBLISHED."]}, 400)
    event_types = [t for t in EVENT_TYPES if user.form.get(CHECKBOX + t)]
    if not event_types:
        return await _page(request, user, working, {name: ["Choose at least one event type."]}, 400)
    changes = {"id": working.id, "version": name, "eventTypes": event_types}
    services = request.app.state.services
    outcome = await db.command(lambda conn: trigger_test(conn, user.actor, services, changes))
    if outcome.errors:
        return await _page(request, user, working, {name: [e.message for e in outcome.errors]}, 400)
    return RedirectResponse(f"/console/integrations/{working.id}/ping-tests#ping-{name}", 303)


@console_page
async def ping_results(request: Request, user: ConsoleUser) -> Response:
    """The live fragment: one version's last run."""
    name = request.path_params["version"]
    async with request.app.state.db.read() as conn:
        working = await working_version(conn, user.actor, request.path_params["id"])
        section = (await version_section(conn, user.actor, working, name)
                   if working is not None and name in VERSIONS else None)
    if section is None:
        return not_found(request, user)
    return fragment("console/ping_tests_results.html", section=section, when=when,
                    refresh_ms=REFRESH_MS)


ROUTES = [
    Route("/console/integrations/{id}/ping-tests", ping_tests_page, methods=["GET"]),
    Route("/console/integrations/{id}/ping-tests", run_ping_test, methods=["POST"]),
    Route("/console/integrations/{id}/ping-tests/{version}/results", ping_results, methods=["GET"]),
]

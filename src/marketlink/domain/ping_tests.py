"""Ping tests (SPEC §4): which URLs of a version to test, and the stored last run.

Triggering records the run as RUNNING with one pending result per (event type, URL); the
delivery engine sends the stateless test events and fills the results in.
"""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.domain.actors import Actor
from marketlink.domain.errors import Code, Outcome, error, not_found
from marketlink.domain.event_documents import stateless_test_document
from marketlink.domain.events import EVENT_TYPE_URL_FIELD, EVENT_TYPES, marketplace, record_event
from marketlink.domain.ids import new_id
from marketlink.domain.integrations import find_version, visible_version
from marketlink.domain.models import IntegrationVersion, PingResult, PingTest
from marketlink.domain.services import Services
from marketlink.storage import ping_tests as store

INPUT = ("input",)
RUNNING = "RUNNING"
# A URL passes when it answers 200 (whatever the result says) or 202 (SPEC §4).
PASSING = frozenset({"SUCCEEDED", "FAILED", "PENDING"})


def urls_to_test(version: IntegrationVersion, event_types: list[str] | None) -> list[tuple[str, str]]:
    """(event type, URL) pairs for the requested types (all when none) that have a URL."""
    wanted = list(dict.fromkeys(event_types)) if event_types else list(EVENT_TYPES)
    return [(t, version.urls[EVENT_TYPE_URL_FIELD[t]]) for t in wanted
            if version.urls[EVENT_TYPE_URL_FIELD[t]]]


async def trigger_test(
    conn: AsyncConnection, actor: Actor, services: Services, changes: dict[str, Any]
) -> Outcome[IntegrationVersion]:
    if await visible_version(conn, actor, changes.get("id")) is None:
        return Outcome.failed(not_found(INPUT + ("id",), "Integration"))
    version = await find_version(conn, actor, changes.get("id"), changes.get("version"))
    if version is None:
        return Outcome.failed(error(INPUT + ("version",), Code.NOT_PUBLISHED,
                                    "This integration has no published version yet."))
    targets = urls_to_test(version, changes.get("eventTypes"))
    if not targets:
        return Outcome.failed(error(INPUT + ("eventTypes",), Code.NO_URL_CONFIGURED,
                                    "None of the requested event types has a URL in this version."))
    test_id = new_id()
    results = [{"id": new_id(), "test_id": test_id, "position": i, "event_type": t, "url": url}
               for i, (t, url) in enumerate(targets)]
    await store.replace_test(
        conn,
        {"id": test_id, "integration_version_id": version.id, "status": RUNNING,
         "triggered_on": services.clock.now_ms(), "completed_on": None},
        results,
    )
    market = marketplace(services)
    for result in results:
        await record_event(conn, services, version,
                           stateless_test_document(result["event_type"], market),
                           product_id=None, ping_result_id=result["id"])
    return Outcome(version)


async def record_answer(conn: AsyncConnection, result_id: str, answer: dict[str, Any], now: int) -> None:
    """Store a test URL's answer (200 or 202 passes) and close the run when it was the last."""
    passed = answer["outcome"] in PASSING
    await store.record_result(conn, result_id, {
        "success": passed, "http_status": answer["http_status"], "duration_ms": answer["duration_ms"],
        "error_code": None if passed else answer["outcome"],
        "message": None if passed else (answer["error"] or "")[:1024] or None,
    }, now)


async def last_test(conn: AsyncConnection, version: IntegrationVersion) -> PingTest | None:
    found = await store.last_test(conn, version.id)
    if found is None:
        return None
    test, results = found
    return PingTest(
        test["id"], version.id, version.version, test["status"], test["triggered_on"],
        test["completed_on"],
        tuple(PingResult(r["event_type"], r["url"], r["success"], r["http_status"],
                         r["duration_ms"], r["error_code"], r["message"]) for r in results),
    )

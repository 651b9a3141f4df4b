"""What the integration pages show, read through the domain as the console user, and the
small pure functions that turn it into text."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.domain import integrations, ping_tests, products
from marketlink.domain.credentials import KINDS
from marketlink.domain.models import IntegrationVersion, PingTest, Product
from marketlink.domain.actors import Actor
from marketlink.web.console.integration_forms import CREDENTIAL_LABELS, KIND_LABELS

MAX_LINKED_SHOWN = 20
MASK = "********"


@dataclass(frozen=True)
class IntegrationStatus:
    """An integration as the list and the detail page show it."""

    working: IntegrationVersion
    published: IntegrationVersion | None  # the latest snapshot
    linked: list[Product]  # the first MAX_LINKED_SHOWN
    linked_count: int
    read_only: bool
    last_test: PingTest | None  # the newest of the WORKING's and the latest snapshot's


async def working_version(conn: AsyncConnection, actor: Actor, version_id: str) -> IntegrationVersion | None:
    """The WORKING version with this id, if the actor may see it; snapshots, unknown ids and
    other vendors' integrations are all None (the page answers 404)."""
    found = await integrations.visible_version(conn, actor, version_id)
    return found if found is not None and found.is_working else None


async def working_of_path(request: Any, actor: Actor) -> IntegrationVersion | None:
    """The WORKING version the path's ``{id}`` names, if the actor may see it (None: 404)."""
    async with request.app.state.db.read() as conn:
        return await working_version(conn, actor, request.path_params["id"])


async def integration_status(conn: AsyncConnection, working: IntegrationVersion) -> IntegrationStatus:
    integration_id = working.integration_id
    snapshots = await integrations.published_snapshots(conn, integration_id, 1)
    published = snapshots[0] if snapshots else None
    tests = [await ping_tests.last_test(conn, v) for v in (working, published) if v is not None]
    return IntegrationStatus(
        working=working, published=published,
        linked=await products.products_linked_to(conn, integration_id, MAX_LINKED_SHOWN),
        linked_count=await integrations.linked_product_count(conn, integration_id),
        read_only=await integrations.read_only_in_console(conn, integration_id),
        last_test=newest_test(tests),
    )


def newest_test(tests: Iterable[PingTest | None]) -> PingTest | None:
    runs = [t for t in tests if t is not None]
    return max(runs, key=lambda t: t.triggered_on) if runs else None


def utc_time(epoch_ms: int | None) -> str:
    if epoch_ms is None:
        return ""
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def credential_rows(version: IntegrationVersion) -> list[tuple[str, str]]:
    """(label, shown value) of the outbound credentials: the secret only as a mask."""
    credentials = version.credentials
    if credentials is None:
        return []
    rows = [("Type", KIND_LABELS.get(credentials.kind, credentials.kind))]
    rows += [(CREDENTIAL_LABELS.get(name, name), value)
             for name, value in credentials.public.items()]
    secret_field = KINDS[credentials.kind][1]
    rows.append((CREDENTIAL_LABELS[secret_field], MASK if credentials.has_secret else "not set"))
    return rows


def ping_badge(test: PingTest | None) -> tuple[str, str]:
    """(text, CSS class) of a ping test's status."""
    if test is None:
        return "Never run", "idle"
    return {"PASSED": ("Passed", "pass"), "FAILED": ("Failed", "fail")}.get(
        test.status, ("Running", "idle"))

"""The GraphQL fuzz run's live server (``graphql_server``) and its summary line.

Nothing here is autouse: tests in this folder that do not ask for ``graphql_server`` are not
touched. The summary is printed only when a fuzz run recorded requests.
"""

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.clock import FrozenClock
from marketlink.demo import (
    ADMIN,
    DEMO_COMPANY_ID,
    DEMO_USER_ID,
    DEMO_VENDOR_ID,
    load_demo,
)
from marketlink.domain import deliveries, integrations, subscriptions, vendors
from marketlink.domain.actors import Role
from marketlink.domain.services import Services
from marketlink.storage import outbox, tables
from marketlink.storage.database import Database, is_sqlite
from tests.conftest import BACKENDS
from tests.helpers import START_MS, dump_tables
from tests.threaded_server import ThreadedServer, database_for

# Requests sent per "backend/actor", the mutations among them the server carried out, and the
# root fields covered: filled by the fuzz test, printed at the end of the session (so ``-q``
# runs show them too).
REQUESTS: Counter[str] = Counter()
CARRIED_OUT: Counter[str] = Counter()
COVERED: dict[str, set[str]] = {}
NOTES: list[str] = []


class GraphQLServer(ThreadedServer):
    """MarketLink served by uvicorn on a loopback port, on its own thread and event loop (the
    fuzzer's HTTP client blocks), with the delivery worker off and a frozen clock, so nothing
    but the requests the test sends ever writes to the database."""

    def __init__(self, database_url: str, search_path: str | None, data_dir: Path) -> None:
        super().__init__(database_url, search_path, FrozenClock(START_MS), data_dir=data_dir,
                         run_worker=False, password_hash_memory_kib=19_456, password_hash_time_cost=2)
        self.backend = "sqlite" if is_sqlite(database_url) else "postgresql"
        self.seeded: Seeded | None = None

    def tables(self) -> dict[str, list[tuple]]:
        """Every row of every table (``tests.helpers.dump_tables``)."""
        return self.call(lambda db, _: dump_tables(db))


@dataclass
class Seeded:
    """What the fuzzer acts on: the demo data (a vendor with a published integration linked to a
    product, a buying company and its user), three orders of that product whose events the host
    answered as the worker would record it (one ACTIVE subscription, one failed order, one
    pending), a second vendor's integration (another tenant's object); the API tokens of the
    demo vendor's developer and of an admin; the ids of it all, by kind."""

    tokens: dict[str, str]
    ids: dict[str, list[str]]


ORDER = {"companyId": DEMO_COMPANY_ID, "creatorId": DEMO_USER_ID, "editionCode": "BASIC",
         "pricingDuration": "MONTHLY", "items": [{"unit": "USER", "quantity": 5}]}
ANSWERS = [deliveries.AttemptOutcome("SUCCEEDED", success=True, account_identifier="acct-1"),
           deliveries.AttemptOutcome("FAILED", success=False, error_code="UNKNOWN_ERROR"),
           deliveries.AttemptOutcome("PENDING")]


async def seed(db: Database, services: Services) -> Seeded:
    await load_demo(db, services)
    async with db.write() as conn:
        tokens = {
            "developer": await vendors.create_token(conn, services, Role.DEVELOPER, DEMO_VENDOR_ID,
                                                    "fuzz developer"),
            "admin": await vendors.create_token(conn, services, Role.ADMIN, None, "fuzz admin"),
        }
        other = await vendors.create_vendor(conn, services, "Other Vendor")
        made = await integrations.create_integration(conn, ADMIN, services, {
            "vendorId": other, "name": "Other Integration",
            "createUrl": "https://other.example/create?url={eventUrl}"})
        assert made.errors == []
        product = (await conn.execute(select(tables.products.c.id))).scalar_one()
        for answer in ANSWERS:
            await answered_order(conn, services, product, answer)
        return Seeded(tokens, await api_ids(conn))


async def answered_order(conn: AsyncConnection, services: Services, product: str,
                         answer: deliveries.AttemptOutcome) -> None:
    """An order of ``product`` whose event got ``answer``, settled as the worker settles it."""
    order = await subscriptions.create_subscription(conn, ADMIN, services, ORDER | {"productId": product})
    assert order.errors == []
    now = services.clock.now_ms()
    [event] = await outbox.claim_due(conn, "fuzz-seed", now, 60_000, 1)
    attempt = {"started_on": now, "url": "https://host.example/create", "outcome": answer.kind}
    assert await deliveries.settle(conn, services.settings, dict(event), "fuzz-seed", answer, attempt, now)


async def api_ids(conn: AsyncConnection) -> dict[str, list[str]]:
    """The ids the API takes, by kind: those of every integration version, product, company,
    user, subscription, event and vendor, and the inbound clients' client ids. Each list is in
    an order that does not depend on the random ids (names, event order), so a seed draws the
    same objects on every run and backend."""
    versions, events, clients = tables.integration_versions, tables.events, tables.inbound_clients
    queries = {
        "integrations": select(versions.c.id, versions.c.integration_id)
        .order_by(versions.c.name, versions.c.revision),
        "products": select(tables.products.c.id).order_by(tables.products.c.name),
        "companies": select(tables.companies.c.id).order_by(tables.companies.c.name),
        "users": select(tables.users.c.id).order_by(tables.users.c.email),
        "subscriptions": select(events.c.subscription_id)
        .where(events.c.subscription_id.is_not(None)).order_by(events.c.seq),
        "events": select(events.c.id).order_by(events.c.seq),
        "vendors": select(tables.vendors.c.id).order_by(tables.vendors.c.name),
        "inbound-clients": select(clients.c.client_id).order_by(clients.c.created_on),
    }
    ids = {}
    for kind, query in queries.items():
        rows = (await conn.execute(query)).all()
        ids[kind] = list(dict.fromkeys(str(value) for row in rows for value in row))
    return ids


@pytest.fixture(params=BACKENDS)
def graphql_server(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path,
                   pg_schema: str | None) -> Iterator[GraphQLServer]:
    """A started, seeded server of the parametrised backend; ``.backend`` and ``.seeded``."""
    server = GraphQLServer(*database_for(request.param, tmp_path, sqlite_template, pg_schema), tmp_path)
    server.start()
    try:
        server.seeded = server.call(seed)
        yield server
    finally:
        server.stop()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for key in sorted(REQUESTS):
        terminalreporter.write_line(f"graphql fuzz {key}: {REQUESTS[key]} requests "
                                    f"({CARRIED_OUT[key]} mutations carried out), "
                                    f"{len(COVERED[key])} operations covered")
    for note in NOTES:
        terminalreporter.write_line(f"graphql fuzz: {note}")

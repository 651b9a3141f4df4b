"""``/healthz`` (alive) and ``/readyz`` (database reachable, schema current)."""

import httpx
from sqlalchemy import text

from marketlink.app import create_app
from marketlink.storage.database import Database
from marketlink.storage.migrate import head_revision
from tests.e2e.server import free_port
from tests.helpers import settings_for


async def test_a_migrated_database_is_ready(world):
    alive = await world.api.client.get("/healthz")
    ready = await world.api.client.get("/readyz")

    assert (alive.status_code, alive.json()) == (200, {"status": "ok"})
    assert (ready.status_code, ready.json()) == (200, {"status": "ok", "schema": head_revision()})
    assert ready.headers["cache-control"] == "no-store"


async def test_an_older_schema_is_not_ready(world):
    async with world.db.write() as conn:
        await conn.execute(text("UPDATE alembic_version SET version_num = '0006'"))

    ready = await world.api.client.get("/readyz")

    assert (ready.status_code, ready.json()) == (503, {
        "status": "unavailable", "database": "schema is not current", "schema": "0006",
        "expected": head_revision()})


async def test_an_unreachable_database_is_not_ready_but_alive():
    closed_port = free_port()  # nothing listens there: connections are refused
    db = Database(f"postgresql://postgres@127.0.0.1:{closed_port}/test")
    app = create_app(settings_for(db.url, run_worker=False), db=db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        ready = await client.get("/readyz")
        alive = await client.get("/healthz")
    await db.dispose()

    assert (ready.status_code, ready.json()) == (503, {"status": "unavailable", "database": "unreachable"})
    assert alive.status_code == 200


async def test_metrics_can_be_turned_off(db):
    from tests.helpers import make_world

    world, client = await make_world(db, metrics_enabled=False)
    async with client:
        answer = await client.get("/metrics")

    assert answer.status_code == 404

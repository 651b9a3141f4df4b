"""A worker process killed with SIGKILL in the middle of a batch loses nothing: its leases
expire and a second worker process delivers every event (some twice: at least once)."""

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp import web
from sqlalchemy import select

from marketlink.storage.database import Database
from marketlink.storage.migrate import migrate
from marketlink.storage.tables import events, subscriptions
from tests.api.test_commerce import CREATE_SUBSCRIPTION, buyer, order_input, sellable_product
from tests.conftest import PG_URL
from tests.e2e.test_seed import _fresh_pg_database
from tests.helpers import TEST_SECRET_KEY, make_world

BIN = Path(sys.executable).parent
ORDERS = 30


@pytest.fixture(params=["sqlite"] + (["postgresql"] if PG_URL else []))
async def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'crash.db'}"
        return
    url, drop = await asyncio.to_thread(_fresh_pg_database)
    yield url
    await asyncio.to_thread(drop)


def start_worker(database_url: str, data_dir: Path) -> subprocess.Popen:
    env = os.environ | {"MARKETLINK_DATABASE_URL": database_url, "MARKETLINK_SECRET_KEY": TEST_SECRET_KEY,
                        "MARKETLINK_DATA_DIR": str(data_dir), "MARKETLINK_ALLOW_PRIVATE_URLS": "true",
                        "MARKETLINK_LEASE_S": "2", "MARKETLINK_LOG_LEVEL": "WARNING"}
    return subprocess.Popen([str(BIN / "marketlink"), "worker"], env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def wait_for(condition, seconds: float) -> bool:  # type: ignore[no-untyped-def]
    for _ in range(int(seconds / 0.05)):
        if await condition():
            return True
        await asyncio.sleep(0.05)
    return False


async def held_orders(database_url: str):  # type: ignore[no-untyped-def]
    """``ORDERS`` orders queued for a host that holds every notification until ``answering``
    is set; (db, client, runner, answering, received eventUrls)."""
    db = Database(database_url)
    await migrate(db)
    world, client = await make_world(db, allow_private_urls=True)
    answering, received = asyncio.Event(), []

    async def host(request: web.Request) -> web.Response:
        received.append(request.query["eventUrl"])
        await answering.wait()
        return web.json_response({"success": True, "accountIdentifier": "acct"})

    app = web.Application()
    app.router.add_get("/create", host)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host_url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    product, _, _ = await sellable_product(world, create_url=host_url + "/create?eventUrl={eventUrl}")
    company_id, user_id = await buyer(world)
    for _ in range(ORDERS):
        await world.api.data(CREATE_SUBSCRIPTION, {"input": order_input(product, company_id, user_id)},
                             world.admin)
    return db, client, runner, answering, received


async def test_a_killed_worker_loses_nothing(database_url, tmp_path):
    db, client, runner, answering, received = await held_orders(database_url)  # the first
    # worker dies while the host holds its notifications

    first = start_worker(database_url, tmp_path)
    try:
        assert await wait_for(lambda: _true(len(received) >= 4), 30)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    held_when_killed = len(received)
    answering.set()
    second = start_worker(database_url, tmp_path)
    try:
        done = await wait_for(lambda: _all_succeeded(db), 60)
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(20)
        await client.aclose()
        await runner.cleanup()

    async with db.read() as conn:
        statuses = (await conn.execute(select(subscriptions.c.status))).scalars().all()
    await db.dispose()
    assert done
    assert statuses == ["ACTIVE"] * ORDERS
    assert len(set(received)) == ORDERS                    # every event reached the host
    assert len(received) - ORDERS == held_when_killed      # and only those in flight twice


async def _true(value: bool) -> bool:
    return value


async def _all_succeeded(db: Database) -> bool:
    async with db.read() as conn:
        rows = (await conn.execute(select(events.c.status))).scalars().all()
    return len(rows) == ORDERS and all(s == "SUCCEEDED" for s in rows)


async def test_sigterm_finishes_the_deliveries_in_flight_and_leaves_nothing_claimed(database_url, tmp_path):
    db, client, runner, answering, received = await held_orders(database_url)

    worker = start_worker(database_url, tmp_path)
    try:
        assert await wait_for(lambda: _true(len(received) >= 4), 30)
        in_flight = len(received)
        os.killpg(worker.pid, signal.SIGTERM)
        await asyncio.sleep(0.5)
        still_running = worker.poll() is None  # it waits for the hosts' answers
        answering.set()
        code = await asyncio.to_thread(worker.wait, 20)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
        await client.aclose()
        await runner.cleanup()

    async with db.read() as conn:
        rows = (await conn.execute(select(events.c.status, events.c.lease_owner))).all()
    await db.dispose()
    assert (still_running, code) == (True, 0)
    assert sorted(status for status, _ in rows) == ["QUEUED"] * (ORDERS - in_flight) + ["SUCCEEDED"] * in_flight
    assert [owner for _, owner in rows if owner is not None] == []  # nothing left claimed
    assert len(received) == in_flight  # nothing new was started after SIGTERM

"""On PostgreSQL a worker of another process wakes at once on a new event (LISTEN/NOTIFY),
long before its poll interval (60 s here). Collected only when MARKETLINK_TEST_DATABASE_URL
is set: SQLite has no other processes to wake."""

import asyncio
import os
import signal
import subprocess

import pytest
from aiohttp import web

from marketlink.storage.database import Database
from marketlink.storage.migrate import migrate
from tests.api.test_commerce import CREATE_SUBSCRIPTION, buyer, order_input, sellable_product
from tests.conftest import PG_URL
from tests.e2e.test_seed import _fresh_pg_database
from tests.e2e.test_worker_crash import BIN, wait_for
from tests.helpers import TEST_SECRET_KEY, make_world


@pytest.fixture
async def database_url():
    url, drop = await asyncio.to_thread(_fresh_pg_database)
    yield url
    await asyncio.to_thread(drop)


async def a_new_event_wakes_a_worker_in_another_process(database_url, tmp_path):
    db = Database(database_url)
    await migrate(db)
    world, client = await make_world(db, allow_private_urls=True)
    received: list[str] = []

    async def host(request: web.Request) -> web.Response:
        received.append(request.query["eventUrl"])
        return web.json_response({"success": True, "accountIdentifier": "acct"})

    app = web.Application()
    app.router.add_get("/create", host)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    product, _, _ = await sellable_product(
        world, create_url=f"http://127.0.0.1:{runner.addresses[0][1]}/create?eventUrl={{eventUrl}}")
    company_id, user_id = await buyer(world)
    order = {"input": order_input(product, company_id, user_id)}
    await world.api.data(CREATE_SUBSCRIPTION, order, world.admin)
    env = os.environ | {"MARKETLINK_DATABASE_URL": database_url, "MARKETLINK_SECRET_KEY": TEST_SECRET_KEY,
                        "MARKETLINK_DATA_DIR": str(tmp_path), "MARKETLINK_ALLOW_PRIVATE_URLS": "true",
                        "MARKETLINK_WORKER_POLL_S": "60", "MARKETLINK_LOG_LEVEL": "WARNING"}
    worker = subprocess.Popen([str(BIN / "marketlink"), "worker"], env=env, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        first = await wait_for(lambda: _at_least(received, 1), 30)  # delivered when it started
        await asyncio.sleep(0.5)  # now it waits: 60 s of polling, or a notification
        await world.api.data(CREATE_SUBSCRIPTION, order, world.admin)
        second = await wait_for(lambda: _at_least(received, 2), 10)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(20)
        await client.aclose()
        await runner.cleanup()
        await db.dispose()

    assert (first, second) == (True, True)
    assert len(set(received)) == 2


async def _at_least(items: list, count: int) -> bool:
    return len(items) >= count


if PG_URL:
    test_a_new_event_wakes_a_worker_in_another_process = a_new_event_wakes_a_worker_in_another_process

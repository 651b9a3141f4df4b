"""Single faults, each on its own (the mix of all of them, with killed workers and a restarted
PostgreSQL, is test_faults.py):

* a host that drops the connection without answering: retried on the schedule, then success;
* a host that streams 10 MB: INVALID_RESPONSE, nothing of the body kept, and the worker goes on;
* an unreadable answer under the size cap: its excerpt is kept, cut at 16 KiB;
* the database unreachable under a running worker (PostgreSQL only): the loop survives;
* a ``marketlink worker`` started while the database refuses connections (PostgreSQL only):
  it waits for the database instead of exiting, then delivers;
* every session of the database terminated under a running worker, as a restart does
  (PostgreSQL only): it LISTENs again, so new events still wake it.
"""

import asyncio
import os
import signal
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from aiohttp import web
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from marketlink.domain.actors import Role
from marketlink.domain.vendors import create_token
from marketlink.storage.database import Database
from marketlink.storage.migrate import migrate
from marketlink.storage.tables import event_attempts, events
from tests.conftest import PG_URL
from tests.e2e.test_delivery import GQL, Call, running_system, system  # noqa: F401 (fixture)
from tests.e2e.test_host_isolation import shop
from tests.e2e.test_seed import _fresh_pg_database
from tests.e2e.test_worker_crash import BIN, wait_for
from tests.helpers import TEST_SECRET_KEY


@pytest.fixture
async def pg_database_url():
    url, drop = await asyncio.to_thread(_fresh_pg_database)
    yield url
    await asyncio.to_thread(drop)


# --- single faulty hosts, driven by an in-process worker on a frozen clock -------------------

STATE = """query($s: ID!) { subscription(id: $s) { status accountIdentifier
  events { status resultErrorCode resultMessage attemptCount
           attempts { number httpStatus outcome error } } } }"""


async def _admin_call(app, marketlink: str) -> Call:  # type: ignore[no-untyped-def]
    async with app.state.db.write() as conn:
        admin = await create_token(conn, app.state.services, Role.ADMIN, None, "admin")
    call = Call(marketlink)
    call.admin = admin
    return call


async def _order(call: Call, variables: dict) -> str:
    data = await call(GQL["order"], variables, call.admin)
    return data["createSubscription"]["subscription"]["id"]


async def _state(call: Call, subscription_id: str) -> dict:
    return (await call(STATE, {"s": subscription_id}, call.admin))["subscription"]


async def _attempt_rows(db: Database) -> list[tuple]:
    async with db.read() as conn:
        return [tuple(r) for r in (await conn.execute(select(
            event_attempts.c.number, event_attempts.c.http_status, event_attempts.c.outcome,
            event_attempts.c.error, event_attempts.c.answer_excerpt).order_by(
            event_attempts.c.event_id, event_attempts.c.number))).all()]


def _host_app(handler) -> web.Application:  # type: ignore[no-untyped-def]
    app = web.Application()
    app.router.add_get("/create", handler)
    return app


async def test_a_host_that_drops_the_connection_is_retried_until_it_answers(system):  # noqa: F811
    app, clock, start_host, worker = system
    resetting, arrivals = True, Counter()
    attempt = 0

    async def host(request: web.Request) -> web.Response:
        arrivals[attempt] += 1
        if resetting:
            request.transport.close()  # no status line, no headers: the connection just ends
        return web.json_response({"success": True, "accountIdentifier": "acct-3"})

    host_url = await start_host.app(_host_app(host))
    call = await _admin_call(app, start_host.marketlink)
    subscription_id = await _order(call, await shop(app, call, host_url, call.admin))

    after = []
    for attempt, advance in enumerate((0, 1000, 2000), start=1):  # the schedule is (1 s, 2 s)
        resetting = attempt < 3
        clock.advance(advance)
        await worker.run_until_idle()
        after.append((await _state(call, subscription_id))["events"][0]["status"])
    state = await _state(call, subscription_id)

    assert after == ["QUEUED", "QUEUED", "SUCCEEDED"]
    assert (state["status"], state["accountIdentifier"]) == ("ACTIVE", "acct-3")
    [event] = state["events"]
    assert {k: event[k] for k in ("status", "resultErrorCode", "resultMessage", "attemptCount")} == {
        "status": "SUCCEEDED", "resultErrorCode": None, "resultMessage": None, "attemptCount": 3}
    assert event["attempts"] == [
        {"number": 1, "httpStatus": None, "outcome": "TRANSPORT_ERROR", "error": "Server disconnected"},
        {"number": 2, "httpStatus": None, "outcome": "TRANSPORT_ERROR", "error": "Server disconnected"},
        {"number": 3, "httpStatus": 200, "outcome": "SUCCEEDED", "error": None}]
    # aiohttp sends an idempotent GET once more, at once, when the server disconnects before
    # answering (RFC 9112 section 9.3.1): a dropped notification reaches the host twice per attempt.
    assert arrivals == Counter({1: 2, 2: 2, 3: 1})


async def test_a_ten_megabyte_answer_is_invalid_and_the_worker_goes_on(system):  # noqa: F811
    app, _, start_host, worker = system

    async def huge(request: web.Request) -> web.StreamResponse:
        """A valid result, 10 MiB long, streamed: only its size is wrong."""
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        try:
            await response.write(b'{"success": true, "accountIdentifier": "huge", "pad": "')
            for _ in range(160):
                await response.write(b"x" * 65_536)
            await response.write(b'"}')
        except ConnectionError:  # MarketLink hung up once past its cap
            pass
        return response

    async def fine(request: web.Request) -> web.Response:
        return web.json_response({"success": True, "accountIdentifier": "fine"})

    huge_url, fine_url = await start_host.app(_host_app(huge)), await start_host.app(_host_app(fine))
    call = await _admin_call(app, start_host.marketlink)
    cap = app.state.services.settings.max_answer_bytes
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))  # the loop itself, not run_until_idle
    try:
        big_id = await _order(call, await shop(app, call, huge_url, call.admin))
        failed = await wait_for(lambda: _event_status_is(call, big_id, "FAILED"), 30)
        fine_id = await _order(call, await shop(app, call, fine_url, call.admin))
        succeeded = await wait_for(lambda: _event_status_is(call, fine_id, "SUCCEEDED"), 30)
        loop_alive = not running.done()
    finally:
        stop.set()
        await running
    big, after = await _state(call, big_id), await _state(call, fine_id)

    assert (failed, succeeded, loop_alive) == (True, True, True)
    assert cap == 262_144
    message = f"the answer's body is larger than {cap} bytes"
    assert big["status"] == "FAILED"
    assert {k: big["events"][0][k] for k in ("status", "resultErrorCode", "resultMessage",
                                             "attemptCount")} == {
        "status": "FAILED", "resultErrorCode": "INVALID_RESPONSE", "resultMessage": message, "attemptCount": 1}
    assert (after["status"], after["accountIdentifier"], after["events"][0]["attemptCount"]) == (
        "ACTIVE", "fine", 1)
    # Nothing of a body over the cap is kept: it was never returned by the HTTP client.
    assert sorted(await _attempt_rows(app.state.db), key=lambda r: r[2]) == [
        (1, 200, "INVALID_RESPONSE", message, None), (1, 200, "SUCCEEDED", None,
                                                       '{"success": true, "accountIdentifier": "fine"}')]


async def test_an_unreadable_answer_keeps_a_16_kib_excerpt(system):  # noqa: F811
    app, _, start_host, worker = system
    body = "no result here:" + "\u00e9" * 50_000  # 100 015 bytes: under the cap, over 16 KiB

    async def host(request: web.Request) -> web.Response:
        return web.Response(text=body, content_type="text/plain")

    host_url = await start_host.app(_host_app(host))
    call = await _admin_call(app, start_host.marketlink)
    subscription_id = await _order(call, await shop(app, call, host_url, call.admin))

    await worker.run_until_idle()
    state = await _state(call, subscription_id)
    [(number, status, outcome, error, excerpt)] = await _attempt_rows(app.state.db)

    assert state["status"] == "FAILED"
    assert {k: state["events"][0][k] for k in ("status", "resultErrorCode", "resultMessage")} == {
        "status": "FAILED", "resultErrorCode": "INVALID_RESPONSE",
        "resultMessage": "body is neither JSON nor XML"}
    assert (number, status, outcome, error) == (1, 200, "INVALID_RESPONSE", "body is neither JSON nor XML")
    # The first 16 384 bytes: 15 ASCII, 8 184 two-byte characters, and the first byte of the
    # next one, undecodable alone, so replaced.
    assert excerpt == body[:15 + 8184] + "\ufffd"
    assert len(excerpt) == 8200


async def _event_status_is(call: Call, subscription_id: str, status: str) -> bool:
    return (await _state(call, subscription_id))["events"][0]["status"] == status


# --- the database goes away under a running worker (PostgreSQL restart, failover) -----------

KILL_SESSIONS = """SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
  WHERE datname = :database AND pid <> pg_backend_pid()"""


async def _admin_sql(*statements: str, **params: str) -> list:  # type: ignore[type-arg]
    """Run statements on the server's maintenance connection (not the test's database)."""
    admin = Database(PG_URL)
    try:
        async with admin.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            results = [await conn.execute(text(s), params) for s in statements]
            return [r.scalar() if r.returns_rows else None for r in results]
    finally:
        await admin.dispose()


async def _shop_at_a_fine_host(app, start_host):  # type: ignore[no-untyped-def]
    """An admin's caller and the order variables of a product whose host answers success."""
    async def fine(request: web.Request) -> web.Response:
        return web.json_response({"success": True, "accountIdentifier": "acct"})

    host_url = await start_host.app(_host_app(fine))
    call = await _admin_call(app, start_host.marketlink)
    return call, await shop(app, call, host_url, call.admin)


async def database_unreachable_for_a_while_under_a_running_worker(pg_database_url):
    """The worker's database refuses connections for two seconds and every session of it is
    terminated, as in a restart: claims fail meanwhile, the loop survives, and the order
    placed before the outage (its event committed, not yet claimed) and one placed after are
    both delivered."""
    name = make_url(pg_database_url).database
    db = Database(pg_database_url)
    await migrate(db)
    async with running_system(db) as (app, _, start_host, worker):
        call, variables = await _shop_at_a_fine_host(app, start_host)
        before = await _order(call, variables)  # queued; no worker runs yet
        [_, killed] = await _admin_sql(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false',
                                       KILL_SESSIONS, database=name)
        stop = asyncio.Event()
        running = asyncio.create_task(worker.run(stop))
        await asyncio.sleep(2.0)  # claims fail: connections are refused
        refused_meanwhile = await _event_status_is_raw(db, before, "QUEUED")
        await _admin_sql(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
        try:
            delivered_before = await wait_for(lambda: _event_status_is(call, before, "SUCCEEDED"), 30)
            after = await _order(call, variables)
            delivered_after = await wait_for(lambda: _event_status_is(call, after, "SUCCEEDED"), 30)
            loop_alive = not running.done()
        finally:
            stop.set()
            await running
    await db.dispose()

    assert killed >= 1
    assert refused_meanwhile is None  # nothing could be read while connections were refused
    assert (delivered_before, delivered_after, loop_alive) == (True, True, True)


async def _event_status_is_raw(db: Database, subscription_id: str, status: str) -> bool | None:
    """Whether the subscription's event has ``status``; None when the database refuses."""
    try:
        async with db.read() as conn:
            found = (await conn.execute(select(events.c.status).where(
                events.c.subscription_id == subscription_id))).scalar_one()
    except Exception:
        return None
    return found == status


if PG_URL:
    test_database_unreachable_for_a_while_under_a_running_worker = \
        database_unreachable_for_a_while_under_a_running_worker


async def a_worker_started_while_the_database_refuses_connections_waits_for_it(pg_database_url, tmp_path):
    """Found by the fault run (a killed worker replaced during a PostgreSQL restart): ``marketlink
    worker`` exited at once, with a traceback, when its LISTEN connection could not be made. It
    polls until the database is back instead, then delivers what was queued meanwhile."""
    name = make_url(pg_database_url).database
    db = Database(pg_database_url)
    await migrate(db)
    async with running_system(db) as (app, _, start_host, _):
        call, variables = await _shop_at_a_fine_host(app, start_host)
        subscription_id = await _order(call, variables)  # queued
        await _admin_sql(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false', KILL_SESSIONS, database=name)
        log = tmp_path / "worker.log"
        worker = _start_worker(pg_database_url, tmp_path, log)
        try:  # until it has tried the database: it ended, or its first claim was refused
            tried = await wait_for(lambda: _true(worker.poll() is not None
                                                 or "delivery.claim_failed" in log.read_text()), 60)
            alive_while_refused = worker.poll() is None
            await _admin_sql(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
            delivered = await wait_for(lambda: _event_status_is(call, subscription_id, "SUCCEEDED"), 30)
            alive_after = worker.poll() is None
        finally:
            await _admin_sql(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
            await asyncio.to_thread(worker.wait, 20)
    await db.dispose()

    assert (tried, alive_while_refused, delivered, alive_after) == (True, True, True, True)


if PG_URL:
    test_a_worker_started_while_the_database_refuses_connections_waits_for_it = \
        a_worker_started_while_the_database_refuses_connections_waits_for_it


async def a_worker_listens_again_when_the_database_drops_its_connections(pg_database_url, tmp_path):
    """Found by the fault run: after a PostgreSQL restart a worker never LISTENed again, so an
    event queued by another process waited for its next poll (60 s here) instead of waking it.
    Every session of the database is terminated, as a restart does; a second order placed once
    the listener is back (it tries every second) is delivered long before the poll."""
    name = make_url(pg_database_url).database
    db = Database(pg_database_url)
    await migrate(db)
    async with running_system(db) as (app, _, start_host, _):
        received: list[str] = []

        async def host(request: web.Request) -> web.Response:
            received.append(request.query["eventUrl"])
            return web.json_response({"success": True, "accountIdentifier": "acct"})

        host_url = await start_host.app(_host_app(host))
        call = await _admin_call(app, start_host.marketlink)
        variables = await shop(app, call, host_url, call.admin)
        worker = _start_worker(pg_database_url, tmp_path, None, MARKETLINK_WORKER_POLL_S="60")
        try:
            await _order(call, variables)
            first = await wait_for(lambda: _at_least(received, 1), 30)  # it runs, and listens
            [killed] = await _admin_sql(KILL_SESSIONS, database=name)
            await asyncio.sleep(3.0)  # the listener is lost, and made again after a second
            await _order(call, variables)
            second = await wait_for(lambda: _at_least(received, 2), 10)
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            await asyncio.to_thread(worker.wait, 20)
    await db.dispose()

    assert (first, killed >= 1, second) == (True, True, True)


async def _at_least(items: list, count: int) -> bool:
    return len(items) >= count


def _start_worker(database_url: str, data_dir: Path, log: Path | None, **settings: str) -> subprocess.Popen:
    """``test_worker_crash.start_worker`` with its output in ``log`` and more MARKETLINK_* settings."""
    env = os.environ | {"MARKETLINK_DATABASE_URL": database_url, "MARKETLINK_SECRET_KEY": TEST_SECRET_KEY,
                        "MARKETLINK_DATA_DIR": str(data_dir), "MARKETLINK_ALLOW_PRIVATE_URLS": "true",
                        "MARKETLINK_LEASE_S": "2", "MARKETLINK_LOG_LEVEL": "WARNING"} | settings
    with open(log or os.devnull, "wb") as output:  # the child has a descriptor of its own
        return subprocess.Popen([str(BIN / "marketlink"), "worker"], env=env, start_new_session=True,
                                stdout=output, stderr=subprocess.STDOUT)


async def _true(value: bool) -> bool:
    return value


if PG_URL:
    test_a_worker_listens_again_when_the_database_drops_its_connections = \
        a_worker_listens_again_when_the_database_drops_its_connections

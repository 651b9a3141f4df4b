"""Delivery under faults, beyond one killed worker (test_worker_crash.py) and one slow host
(test_host_isolation.py):

* chaos (PostgreSQL only): three ``marketlink worker`` processes, one of them SIGKILLed in the
  middle of its batch and replaced every 0.3-0.8 s, deliver 300 subscriptions' order,
  suspension and cancellation; nothing is lost, each subscription's events reach the host in
  order, each event has exactly one attempt row however often it was sent;
* a host that drops the connection without answering: retried on the schedule, then success;
* a host that streams 10 MB: INVALID_RESPONSE, nothing of the body kept, and the worker goes on;
* an unreadable answer under the size cap: its excerpt is kept, cut at 16 KiB.
"""

import asyncio
import os
import random
import signal
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from aiohttp import web
from sqlalchemy import func, select

from marketlink.domain.actors import Role
from marketlink.domain.vendors import create_token
from marketlink.storage.database import Database
from marketlink.storage.migrate import migrate
from marketlink.storage.tables import event_attempts, events, subscriptions
from tests.api.test_commerce import CREATE_SUBSCRIPTION, SETUP_PRODUCT, buyer, order_input
from tests.api.test_subscription_lifecycle import PUBLISH_LINK
from tests.conftest import PG_URL
from tests.e2e.test_delivery import GQL, Call, system  # noqa: F401 (fixture)
from tests.e2e.test_host_isolation import shop
from tests.e2e.test_seed import _fresh_pg_database
from tests.e2e.test_worker_crash import start_worker, wait_for
from tests.helpers import make_world

# --- chaos: workers killed at random while they deliver --------------------------------------

SUBSCRIPTIONS = 300
WORKERS = 3
SEED = 20251124
# Two events queued together: the cancellation is allowed because the suspension before it
# will have made the subscription SUSPENDED (an INITIALIZED subscription cannot be cancelled,
# so an order and its cancellation are never queued together).
SUSPEND_AND_CANCEL = """mutation($id: ID!) {
  s: suspendSubscription(input: {id: $id}) { userErrors { message } }
  c: cancelSubscription(input: {id: $id}) { userErrors { message } } }"""
PATHS = {"SUBSCRIPTION_ORDER": "/create", "SUBSCRIPTION_NOTICE": "/notify", "SUBSCRIPTION_CANCEL": "/cancel"}


@pytest.fixture
async def pg_database_url():
    url, drop = await asyncio.to_thread(_fresh_pg_database)
    yield url
    await asyncio.to_thread(drop)


class Chaos:
    """``WORKERS`` worker processes; every 0.3-0.8 s (seeded) one of those holding leases at
    that moment, chosen at random (seeded), is SIGKILLed in the middle of its batch and a new
    one started. A tick when none holds a lease (all starting up, or idle) kills nothing: a
    worker killed while it imports would only slow the test down."""

    def __init__(self, database_url: str, data_dir: Path, db: Database) -> None:
        self.database_url, self.data_dir, self.db = database_url, data_dir, db
        self.random = random.Random(SEED)
        self.workers: list[subprocess.Popen] = []
        self.kills = 0

    def start(self) -> None:
        while len(self.workers) < WORKERS:
            self.workers.append(start_worker(self.database_url, self.data_dir))

    async def run(self, stop: asyncio.Event) -> None:
        while True:
            try:
                await asyncio.wait_for(stop.wait(), self.random.uniform(0.3, 0.8))
                return
            except TimeoutError:
                pass
            async with self.db.read() as conn:
                owners = (await conn.execute(select(events.c.lease_owner).where(
                    events.c.status == "DELIVERING").distinct())).scalars().all()
            # A worker's lease owner is "<hostname>:<pid>:<random>" (Worker.owner).
            busy = [w for w in self.workers if any(f":{w.pid}:" in (o or "") for o in owners)]
            if not busy:
                continue
            victim = self.random.choice(busy)
            os.killpg(victim.pid, signal.SIGKILL)
            await asyncio.to_thread(victim.wait, 10)
            self.workers.remove(victim)
            self.kills += 1
            self.start()

    async def stop_all(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
        for worker in self.workers:
            try:
                await asyncio.to_thread(worker.wait, 20)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                await asyncio.to_thread(worker.wait, 10)
        self.workers.clear()

    async def deliver(self, expected: int, seconds: float) -> bool:
        """Run the workers, killing them, until ``expected`` events have SUCCEEDED."""
        stop = asyncio.Event()
        self.start()
        killing = asyncio.create_task(self.run(stop))
        try:
            return await wait_for(lambda: _succeeded(self.db, expected), seconds)
        finally:
            stop.set()
            await killing
            await self.stop_all()


async def _succeeded(db: Database, expected: int) -> bool:
    async with db.read() as conn:
        done = (await conn.execute(select(func.count()).select_from(events).where(
            events.c.status == "SUCCEEDED"))).scalar_one()
    return done == expected


async def chaos_kills_lose_nothing_and_keep_each_subscriptions_order(pg_database_url, tmp_path):
    db = Database(pg_database_url)
    await migrate(db)
    world, client = await make_world(db, allow_private_urls=True)
    received: list[tuple[str, str]] = []  # (path, token), in order of arrival

    async def host(request: web.Request) -> web.Response:
        received.append((request.path, request.query["token"]))
        answer = {"accountIdentifier": "acct"} if request.path == "/create" else {}
        return web.json_response({"success": True} | answer)

    app = web.Application()
    for path in PATHS.values():
        app.router.add_get(path, host)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host_url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    chaos = Chaos(pg_database_url, tmp_path, db)
    try:
        urls = {f"{name}Url": f"{host_url}/{name}?token={{token}}" for name in ("create", "cancel", "notify")}
        data = await world.api.data(SETUP_PRODUCT, {"integration": {"name": "Host"} | urls, "product": {
            "name": "App", "editions": [{"code": "BASIC", "name": "Basic"}]}}, world.dev_a)
        product = data["createProduct"]["product"]["id"]
        await world.api.data(PUBLISH_LINK, {
            "p": product, "i": data["createProductIntegration"]["productIntegration"]["id"]}, world.dev_a)
        order = {"input": order_input(product, *await buyer(world))}
        ids = [(await world.api.data(CREATE_SUBSCRIPTION, order, world.admin))[
            "createSubscription"]["subscription"]["id"] for _ in range(SUBSCRIPTIONS)]

        orders_done = await chaos.deliver(SUBSCRIPTIONS, 120)
        refused = []
        for subscription_id in ids:  # no worker runs: both events of each are queued together
            answer = await world.api.data(SUSPEND_AND_CANCEL, {"id": subscription_id}, world.admin)
            refused += answer["s"]["userErrors"] + answer["c"]["userErrors"]
        all_done = await chaos.deliver(3 * SUBSCRIPTIONS, 120)
    finally:
        await chaos.stop_all()
        await client.aclose()
        await runner.cleanup()

    async with db.read() as conn:
        event_rows = (await conn.execute(select(
            events.c.id, events.c.token, events.c.type, events.c.subscription_id, events.c.status,
            events.c.attempts).order_by(events.c.seq))).all()
        attempt_rows = (await conn.execute(select(
            event_attempts.c.event_id, event_attempts.c.number, event_attempts.c.http_status,
            event_attempts.c.outcome))).all()
        statuses = (await conn.execute(select(subscriptions.c.status))).scalars().all()
    await db.dispose()

    assert (orders_done, refused, all_done) == (True, [], True)
    assert chaos.kills >= 1
    assert len(event_rows) == 3 * SUBSCRIPTIONS
    assert {(e.status, e.attempts) for e in event_rows} == {("SUCCEEDED", 1)}
    assert statuses == ["CANCELLED"] * SUBSCRIPTIONS
    # Each event reached the host, at the path of its type; nothing else did.
    assert set(received) == {(PATHS[e.type], e.token) for e in event_rows}
    # Each subscription's events were queued as order, suspension, cancellation, and reached
    # the host first in that order (a later, redundant send of one may come after the next).
    first: dict[str, int] = {}
    for index, (_, token) in enumerate(received):
        first.setdefault(token, index)
    queued: dict[str, list] = {}
    for e in event_rows:  # by seq
        queued.setdefault(e.subscription_id, []).append(e)
    assert {s: [e.type for e in q] for s, q in queued.items()} == {
        s: ["SUBSCRIPTION_ORDER", "SUBSCRIPTION_NOTICE", "SUBSCRIPTION_CANCEL"] for s in ids}
    out_of_order = {s: [first[e.token] for e in q] for s, q in queued.items()
                    if [first[e.token] for e in q] != sorted(first[e.token] for e in q)}
    assert out_of_order == {}
    # At least once: an attempt row is written only by the settlement that still holds the
    # lease, so every event has exactly one row (number 1, the host's 200) however often it was
    # sent; the redundant sends (host arrivals beyond one per event) leave no row at all.
    assert Counter(a.event_id for a in attempt_rows) == Counter({e.id: 1 for e in event_rows})
    assert {(a.number, a.http_status, a.outcome) for a in attempt_rows} == {(1, 200, "SUCCEEDED")}
    duplicates = len(received) - len(event_rows)  # sends whose settlement never committed
    assert duplicates >= 0


if PG_URL:
    test_chaos_kills_lose_nothing_and_keep_each_subscriptions_order = \
        chaos_kills_lose_nothing_and_keep_each_subscriptions_order


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
    from sqlalchemy import text

    admin = Database(PG_URL)
    try:
        async with admin.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            results = [await conn.execute(text(s), params) for s in statements]
            return [r.scalar() if r.returns_rows else None for r in results]
    finally:
        await admin.dispose()


async def database_unreachable_for_a_while_under_a_running_worker(pg_database_url):
    """The worker's database refuses connections for two seconds and every session of it is
    terminated, as in a restart: claims fail meanwhile, the loop survives, and the order
    placed before the outage (its event committed, not yet claimed) and one placed after are
    both delivered."""
    from sqlalchemy.engine import make_url

    from tests.e2e.test_delivery import running_system

    name = make_url(pg_database_url).database
    db = Database(pg_database_url)
    await migrate(db)
    async with running_system(db) as (app, _, start_host, worker):
        async def fine(request: web.Request) -> web.Response:
            return web.json_response({"success": True, "accountIdentifier": "acct"})

        host_url = await start_host.app(_host_app(fine))
        call = await _admin_call(app, start_host.marketlink)
        variables = await shop(app, call, host_url, call.admin)
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

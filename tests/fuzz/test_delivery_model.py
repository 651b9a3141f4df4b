"""The delivery state machine against a model (hypothesis, stateful).

Several simulated workers claim, settle (success, host failure, 202, transport error, invalid
answer) and crash; time jumps past leases, retry times and the pending timeout; the worker's
pending sweep runs; administrators retry failed events and resolve pending ones; hosts post
results. Everything goes through the real storage and domain functions on a real database
(SQLite, and PostgreSQL when MARKETLINK_TEST_DATABASE_URL is set); only the clock is ours.

After every step the whole outbox must equal the model: every event exactly once, in one state
with the expected columns, with one attempt row per settlement that was accepted; no event of a
subscription is claimed while an earlier one is unresolved or another is in flight, so at most
one is in flight; successes per subscription come in creation order (except events an administrator put back, which go again by design). A claim
returns exactly the events the model picks, and a settlement is accepted exactly while its
claim still holds the event: a lease that ran out but was not taken over still holds; one taken
over, by another worker or by the same worker claiming it again, does not.

CI runs a small derandomized budget; ``MARKETLINK_FUZZ_LONG=1`` runs a long random one (use
``-s`` to see the counts printed at the end).
"""

import asyncio
import os
import shutil
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import select, text

from marketlink.delivery.retry_policy import next_delay_s
from marketlink.delivery.worker import EXPIRY_EVERY_MS, MAX_IN_FLIGHT
from marketlink.domain import deliveries, event_commands, subscriptions
from marketlink.domain.actors import Actor, Role
from marketlink.domain.errors import Code, error
from marketlink.domain.events import event_by_token
from marketlink.storage import outbox
from marketlink.storage.database import Database
from marketlink.storage.tables import event_attempts, events, metadata
from marketlink.storage.tables import subscriptions as subscriptions_table
from tests.api.test_commerce import CREATE_SUBSCRIPTION, LINK, PUBLISH, SETUP_PRODUCT, buyer, order_input
from tests.conftest import BACKENDS, PG_URL
from tests.helpers import make_world

# CI: a fixed seed, about 9 s on SQLite and 14 s on PostgreSQL on an idle machine. Long (by
# hand, with -s): random; 7 and 11 minutes measured on a busy machine.
# Never an example database in the repository.
LONG = os.environ.get("MARKETLINK_FUZZ_LONG") == "1"
RUN = settings(max_examples=1000 if LONG else 100, stateful_step_count=50 if LONG else 30,
               derandomize=not LONG, database=None, deadline=None,
               suppress_health_check=[HealthCheck.too_slow])
SETTINGS = {"retry_schedule_s": (5, 30), "retry_jitter": 0.2, "lease_s": 60, "pending_timeout_s": 30,
            "worker_batch_size": 3, "http_connections_per_host": 2}
NOTICE_HOST, STATUS_HOST = "notices.example", "status.example"
HOSTS = {"SUBSCRIPTION_NOTICE": NOTICE_HOST, "SUBSCRIPTION_STATUS": STATUS_HOST}
ADMIN = Actor(Role.ADMIN, None)
WORKERS = ("w1", "w2", "w3")
UNRESOLVED = ("QUEUED", "DELIVERING", "PENDING")
IN_FLIGHT = ("DELIVERING", "PENDING")
COLUMNS = ("seq", "token", "type", "subscription_id", "target_host", "status", "attempts",
           "next_attempt_on", "lease_owner", "lease_until", "pending_until", "result_success",
           "result_error_code", "resolved_on")
HOST_CODES = ("ACCOUNT_NOT_FOUND", "UNKNOWN_ERROR")
# The moves, each as often as it appears here; an administrator's calls and the states of
# the events each is made for; how far time jumps.
MOVES = (("a worker polls",) * 3 + ("a notification finishes",) * 3 + ("notifications finish together",)
         + ("time passes",) * 3 + ("commerce queues an event",) * 2 + ("a worker crashes",)
         + ("an administrator acts",) * 2 + ("a host posts a result",))
JUMPS = ("1ms", "1s", "5s", "lease", "pending", "deadline", "deadline+1")
ADMIN_CALLS = {"retryEvent": ("FAILED",), "resolveEvent": ("PENDING",),
               "retryEvent refused": ("QUEUED", "DELIVERING", "PENDING", "SUCCEEDED"),
               "resolveEvent refused": ("QUEUED", "DELIVERING", "SUCCEEDED", "FAILED")}
OUTCOMES = st.sampled_from(["SUCCEEDED", "FAILED", "PENDING", "TRANSPORT_ERROR", "INVALID_RESPONSE"])
HTTP_STATUS = {"SUCCEEDED": 200, "FAILED": 200, "PENDING": 202, "TRANSPORT_ERROR": None, "INVALID_RESPONSE": 200}


# --- The world: built once per backend; a fresh outbox for every example ---------------------

class Env:
    """A product whose notices and status events go to two hosts, three ACTIVE subscriptions,
    a frozen clock; ``fresh()`` gives each example an empty outbox."""

    def __init__(self, runner: asyncio.Runner, backend: str, tmp: Path, template: Path, schema: str | None):
        self.runner, self.backend, self.tmp, self.template, self.schema = runner, backend, tmp, template, schema
        self.db: Database | None = None
        self.counts: Counter[str] = Counter()

    def run(self, coroutine: Any) -> Any:
        return self.runner.run(coroutine)

    async def build(self) -> None:
        self.db = await self._blank()
        world, client = await make_world(self.db, **SETTINGS)
        async with client:
            self.subscriptions = await _active_subscriptions(world)
        self.services, self.clock, self.settings = world.services, world.clock, world.settings
        self.start_ms = self.clock.now_ms()
        async with self.db.write() as conn:
            await conn.execute(event_attempts.delete())
            await conn.execute(events.delete())
        self.subscription_rows = await _subscription_rows(self.db)
        if self.backend == "sqlite":
            await _checkpoint(self.db)
            await self.db.dispose()
            shutil.copy(self.tmp / "example.db", self.tmp / "world.db")

    async def _blank(self) -> Database:
        if self.backend == "sqlite":
            shutil.copy(self.template, self.tmp / "example.db")
            return Database(f"sqlite:///{self.tmp / 'example.db'}")
        database = Database(PG_URL, search_path=self.schema)
        tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        async with database.engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {tables} CASCADE"))
        return database

    async def fresh(self) -> None:
        """The world as built, with an empty outbox (SQLite: a copy of its file; PostgreSQL:
        the outbox tables truncated) and the clock back at its start."""
        self.clock.current = self.start_ms
        if self.backend == "sqlite":
            if self.db is not None:
                await self.db.dispose()
            for suffix in ("", "-wal", "-shm"):
                (self.tmp / f"example.db{suffix}").unlink(missing_ok=True)
            shutil.copy(self.tmp / "world.db", self.tmp / "example.db")
            self.db = Database(f"sqlite:///{self.tmp / 'example.db'}")
            return
        async with self.db.engine.begin() as conn:
            await conn.execute(text("TRUNCATE event_attempts, events RESTART IDENTITY"))

    async def close(self) -> None:
        if self.db is not None:
            await self.db.dispose()


async def _active_subscriptions(world) -> list[str]:
    data = await world.api.data(SETUP_PRODUCT, {
        "integration": {"name": "Host", "createUrl": "https://orders.example/create",
                        "cancelUrl": "https://orders.example/cancel",
                        "notifyUrl": f"https://{NOTICE_HOST}/notify",
                        "eventStatusUrl": f"https://{STATUS_HOST}/status"},
        "product": {"name": "App", "editions": [{"code": "BASIC", "name": "Basic"}]}}, world.dev_a)
    integration = data["createProductIntegration"]["productIntegration"]["id"]
    product = data["createProduct"]["product"]["id"]
    await world.api.data(LINK, {"p": product, "i": integration}, world.dev_a)
    published = await world.api.data(PUBLISH, {"id": integration}, world.dev_a)
    assert published["publishProductIntegration"]["productIntegration"] is not None
    company, user = await buyer(world)
    ids = [(await world.api.data(CREATE_SUBSCRIPTION, {"input": order_input(product, company, user)},
                                 world.admin))["createSubscription"]["subscription"]["id"] for _ in range(3)]
    now = world.clock.now_ms()
    async with world.db.write() as conn:  # the host accepts the three orders
        for row in await outbox.claim_due(conn, "setup", now, 60_000, 10):
            accepted = deliveries.AttemptOutcome("SUCCEEDED", success=True, account_identifier=f"acct-{row['seq']}")
            assert await deliveries.settle(conn, world.settings, dict(row), "setup", accepted,
                                           {"started_on": now, "url": "https://orders.example/create",
                                            "outcome": "SUCCEEDED"}, now)
    return ids


async def _subscription_rows(db: Database) -> list[tuple]:
    async with db.read() as conn:
        rows = (await conn.execute(select(subscriptions_table).order_by(subscriptions_table.c.id))).all()
    assert [row.status for row in rows] == ["ACTIVE"] * 3
    return [tuple(row) for row in rows]


async def _checkpoint(db: Database) -> None:
    async with db.engine.connect() as conn:
        await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


async def _outbox(db: Database) -> tuple[list[Any], list[Any]]:
    async with db.read() as conn:
        rows = (await conn.execute(select(events).order_by(events.c.seq))).mappings().all()
        attempts = (await conn.execute(select(event_attempts.c.event_id, event_attempts.c.number,
                                              event_attempts.c.outcome, event_attempts.c.started_on)
                                       .order_by(event_attempts.c.event_id, event_attempts.c.number))).all()
    return list(rows), list(attempts)


# --- The model ----------------------------------------------------------------------------

@dataclass
class Expected:
    """What one event's row must hold, and its history (attempt outcomes, claims, retries)."""

    seq: int
    token: str
    type: str
    subscription_id: str
    target_host: str
    next_attempt_on: int | None
    status: str = "QUEUED"
    attempts: int = 0
    lease_owner: str | None = None
    lease_until: int | None = None
    pending_until: int | None = None
    result_success: bool | None = None
    result_error_code: str | None = None
    resolved_on: int | None = None
    tried: list[tuple[str, int]] = field(default_factory=list)  # (outcome, started_on) per attempt row
    claimed_at: int = -1  # step of the claim that took it from QUEUED (not a lease's takeover)
    requeued_at: int = -1  # step of the last administrator's retry

    def columns(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in COLUMNS}

    def finish(self, status: str, success: bool, code: str | None, now: int) -> None:
        self.status, self.result_success, self.result_error_code = status, success, code
        self.resolved_on, self.next_attempt_on = now, None
        self.lease_owner = self.lease_until = self.pending_until = None


@dataclass
class Delivery:
    """A worker's notification in flight: the event row as its claim returned it."""

    row: dict[str, Any]
    owner: str


@dataclass
class SimWorker:
    owner: str
    in_flight: list[Delivery] = field(default_factory=list)
    restarts: int = 0
    last_sweep: int = -EXPIRY_EVERY_MS


class DeliveryModel(RuleBasedStateMachine):
    def __init__(self, env: Env) -> None:
        super().__init__()
        self.env = env
        env.run(env.fresh())
        env.counts["examples"] += 1
        self.events: dict[str, Expected] = {}
        self.workers = {name: SimWorker(name) for name in WORKERS}
        self.successes: list[str] = []  # event ids in the order they succeeded
        self.step = 0

    # -- helpers

    @property
    def now(self) -> int:
        return self.env.clock.now_ms()

    def _ids(self, *statuses: str) -> list[str]:
        """Event ids in creation order (ids are random; draws must not depend on them)."""
        chosen = [i for i, e in self.events.items() if not statuses or e.status in statuses]
        return sorted(chosen, key=lambda i: self.events[i].seq)

    def _took(self, what: str) -> None:
        self.step += 1
        self.env.counts["steps"] += 1
        self.env.counts[what] += 1

    def _learn_new_events(self, expected: list[tuple[str, str]]) -> None:
        """The events written since the last look must be exactly ``expected`` (type,
        subscription), in this order, QUEUED and due now."""
        rows, _ = self.env.run(_outbox(self.env.db))
        new = [row for row in rows if row["id"] not in self.events]
        assert [(row["type"], row["subscription_id"]) for row in new] == expected
        assert [row["seq"] for row in new] == sorted(row["seq"] for row in new)
        assert all(row["seq"] > e.seq for row in new for e in self.events.values())
        for row in new:
            self.events[row["id"]] = Expected(row["seq"], row["token"], row["type"], row["subscription_id"],
                                              HOSTS[row["type"]], self.now)

    def _blocked(self, event: Expected) -> bool:
        """The claim's order rule: a queued event waits for every earlier unresolved event of
        its subscription and for any of its events in flight; an expired lease (in flight
        already) only for an earlier event in flight."""
        if event.status == "DELIVERING":
            return any(other.subscription_id == event.subscription_id and other.seq < event.seq
                       and other.status in IN_FLIGHT for other in self.events.values())
        return any(other.subscription_id == event.subscription_id and other is not event
                   and (other.status in IN_FLIGHT or (other.seq < event.seq and other.status in UNRESOLVED))
                   for other in self.events.values())

    def _expected_claim(self, worker: SimWorker) -> tuple[list[str], int, dict[str, int]]:
        """What ``claim_due`` must return for this worker now, with the arguments the real
        worker passes: free slots (batch size), and each busy host's free connections."""
        limit = min(MAX_IN_FLIGHT - len(worker.in_flight), self.env.settings.worker_batch_size)
        per_host = self.env.settings.http_connections_per_host
        busy = Counter(d.row["target_host"] for d in worker.in_flight)
        rooms = {host: per_host - n for host, n in busy.items() if host is not None}
        full = {host for host, room in rooms.items() if room <= 0}
        open_ = [(i, e) for i, e in self.events.items() if not self._blocked(e) and e.target_host not in full]
        expired = sorted(((e.seq, i) for i, e in open_ if e.status == "DELIVERING" and e.lease_until < self.now))
        queued = sorted(((e.next_attempt_on, e.seq, i) for i, e in open_
                         if e.status == "QUEUED" and e.next_attempt_on <= self.now))
        candidates = [i for _, i in expired][:limit]
        candidates += [i for *_, i in queued][:limit - len(candidates)]
        taken: Counter[str] = Counter()
        claimed = []
        for event_id in candidates:
            host = self.events[event_id].target_host
            if taken[host] < rooms.get(host, per_host):
                taken[host] += 1
                claimed.append(event_id)
        return sorted(claimed, key=lambda i: self.events[i].seq), limit, rooms

    def _settlement(self, delivery: Delivery, kind: str, code: str, rand: float) -> deliveries.Settlement:
        """The settlement the worker builds from this answer (retry delay from the policy)."""
        row = delivery.row
        delay = None
        if kind == "TRANSPORT_ERROR":
            delay = next_delay_s(row["attempts"] + 1, self.env.settings.retry_schedule_s,
                                 self.env.settings.retry_jitter, rand=lambda: rand)
        outcome = deliveries.AttemptOutcome(
            kind, success={"SUCCEEDED": True, "FAILED": False}.get(kind),
            error_code=code if kind == "FAILED" else None, message=f"{kind} from the fuzz host",
            retry_delay_s=delay)
        attempt = {"started_on": row["lease_until"] - int(self.env.settings.lease_s * 1000),
                   "duration_ms": 1, "url": f"https://{row['target_host']}/", "auth_kind": None,
                   "http_status": HTTP_STATUS[kind], "outcome": kind, "error": None, "answer_excerpt": None}
        return deliveries.Settlement(row, outcome, attempt)

    def _apply_attempt(self, event_id: str, settlement: deliveries.Settlement, rand: float) -> None:
        """The model's ``event_change``: what an accepted attempt does to its event."""
        e, outcome, now = self.events[event_id], settlement.outcome, self.now
        assert settlement.event["attempts"] == e.attempts  # the current claim saw the current count
        e.attempts += 1
        e.tried.append((outcome.kind, settlement.attempt["started_on"]))
        self.env.counts[f"answers {outcome.kind}"] += 1
        e.lease_owner = e.lease_until = None
        if outcome.kind == "TRANSPORT_ERROR":  # the schedule's entry for this attempt, +/- jitter
            schedule, jitter = self.env.settings.retry_schedule_s, self.env.settings.retry_jitter
            assert outcome.retry_delay_s == (None if e.attempts > len(schedule) else
                                             schedule[e.attempts - 1] * (1 + jitter * (2 * rand - 1)))
        if outcome.kind == "SUCCEEDED":
            e.finish("SUCCEEDED", True, None, now)
            self.successes.append(event_id)
        elif outcome.kind == "FAILED":
            e.finish("FAILED", False, outcome.error_code, now)
        elif outcome.kind == "INVALID_RESPONSE":
            e.finish("FAILED", False, "INVALID_RESPONSE", now)
        elif outcome.kind == "PENDING":
            e.status, e.next_attempt_on = "PENDING", None
            e.pending_until = now + int(self.env.settings.pending_timeout_s * 1000)
        elif outcome.retry_delay_s is None:  # transport error, the schedule is spent
            e.finish("FAILED", False, "TRANSPORT_ERROR", now)
            self.env.counts["retries spent"] += 1
        else:
            e.status, e.next_attempt_on = "QUEUED", now + int(outcome.retry_delay_s * 1000)

    def _resolve(self, event_id: str, success: bool, code: str | None) -> None:
        """A PENDING event settled without an attempt (host result, administrator, timeout)."""
        self.events[event_id].finish("SUCCEEDED" if success else "FAILED", success, code, self.now)
        if success:
            self.successes.append(event_id)

    # -- the rule. One rule draws the next move with fixed weights: with a rule per move,
    # hypothesis's swarm testing turns whole rules off for an example (often claims or
    # settlements) and its rule choice is far from even, so the moves that matter came rarely.

    @initialize(subscriptions=st.lists(st.integers(0, 2), min_size=1, max_size=6))
    def queue_first_events(self, subscriptions: list[int]) -> None:
        for index in subscriptions:
            self._queue_event(index)

    @rule(data=st.data())
    def step(self, data: st.DataObject) -> None:
        move = data.draw(st.sampled_from([m for m in MOVES if self._possible(m)]), label="move")
        self._took(move)
        if move == "commerce queues an event":
            self._queue_event(data.draw(st.integers(0, 2), label="subscription"))
        elif move == "a worker polls":
            self._poll(data.draw(st.sampled_from(WORKERS), label="worker"))
        elif move in ("a notification finishes", "notifications finish together", "a worker crashes"):
            name = data.draw(st.sampled_from([n for n, w in self.workers.items() if w.in_flight]), label="worker")
            self._worker_moves(name, move, data)
        elif move == "time passes":
            self._time_passes(data.draw(st.sampled_from(JUMPS), label="jump"))
        elif move == "an administrator acts":
            self._administrator(data)
        else:
            self._host_posts_result(data)

    def _possible(self, move: str) -> bool:
        if move in ("a notification finishes", "notifications finish together", "a worker crashes"):
            return any(w.in_flight for w in self.workers.values())
        if move == "time passes":  # something waits for time
            return any(e.status in IN_FLIGHT or e.status == "QUEUED" and e.next_attempt_on > self.now
                       for e in self.events.values())
        if move == "an administrator acts":
            return bool(self.events)
        if move == "a host posts a result":
            return any(e.status != "QUEUED" for e in self.events.values())
        return True

    # -- the moves

    def _queue_event(self, subscription: int) -> None:
        """A commerce command queues a notice (UPCOMING_INVOICE: the subscription stays ACTIVE)."""
        sub_id = self.env.subscriptions[subscription]
        outcome = self.env.run(self.env.db.command(lambda conn: subscriptions.notify_upcoming_invoice(
            conn, ADMIN, self.env.services, {"id": sub_id})))
        assert outcome.errors == []
        self._learn_new_events([("SUBSCRIPTION_NOTICE", sub_id)])

    def _worker_moves(self, name: str, move: str, data: st.DataObject) -> None:
        """Some of the worker's notifications finish (one alone, or several in one group commit
        in any order), or the worker crashes: its claims are abandoned and it comes back as a
        new process (a new owner)."""
        worker = self.workers[name]
        if move == "a worker crashes":
            self.workers[name] = SimWorker(f"{name}.{worker.restarts + 1}", [], worker.restarts + 1)
            return
        slots = st.sampled_from(range(len(worker.in_flight)))
        picked = (data.draw(st.lists(slots, min_size=1, unique=True), label="finished")
                  if move == "notifications finish together" else [data.draw(slots, label="finished")])
        self._settle(worker, picked, data)

    def _time_passes(self, jump: str) -> None:
        """A little, past a lease or the pending timeout, or to the next moment an event
        becomes due / its lease or pending time runs out (and just past it)."""
        lease_ms, pending_ms = int(self.env.settings.lease_s * 1000), int(self.env.settings.pending_timeout_s * 1000)
        fixed = {"1ms": 1, "1s": 1000, "5s": 5000, "lease": lease_ms + 1, "pending": pending_ms + 1}
        if jump in fixed:
            self.env.clock.advance(fixed[jump])
            return
        moments = [m for e in self.events.values() for m in (e.next_attempt_on if e.status == "QUEUED" else None,
                                                             e.lease_until, e.pending_until)
                   if m is not None and m > self.now]
        if moments:  # (else only leases that ran out already: nothing to wait for)
            self.env.clock.current = min(moments) + (1 if jump == "deadline+1" else 0)

    def _administrator(self, data: st.DataObject) -> None:
        """retryEvent on a FAILED event; resolveEvent on a PENDING one; either on an event in
        another state (refused with the exact error, nothing written: the invariant compares
        the whole outbox)."""
        calls = [call for call, statuses in ADMIN_CALLS.items() if self._ids(*statuses)]
        call = data.draw(st.sampled_from(calls), label="call")
        event_id = data.draw(st.sampled_from(self._ids(*ADMIN_CALLS[call])), label="event")
        success = data.draw(st.booleans(), label="success")
        code = data.draw(st.sampled_from([None, *HOST_CODES]), label="error code")
        self.env.counts[call] += 1
        if call == "retryEvent":
            self._admin_retries(event_id)
        elif call == "resolveEvent":
            self._admin_resolves(event_id, success, code)
        else:
            command = event_commands.retry_event if call == "retryEvent refused" else event_commands.resolve_event
            outcome = self._command(command, {"id": event_id, "success": success, "errorCode": code})
            message = ("Only a FAILED event can be retried." if call == "retryEvent refused"
                       else "Only a PENDING event can be resolved.")
            assert (outcome.value, outcome.errors) == (None, [error(("input", "id"), Code.INVALID, message)])

    def _host_posts_result(self, data: st.DataObject) -> None:
        """The host POSTs a result (protocol endpoint): applied once to a PENDING event; the
        same result again is a duplicate, another a conflict; in_flight while the event is
        DELIVERING (the host answered 202 and posts before the worker wrote it down: the
        endpoint waits for that, tests/e2e/test_async_results.py)."""
        event_id = data.draw(st.sampled_from(self._ids("DELIVERING", "PENDING", "SUCCEEDED", "FAILED")),
                             label="event")
        success = data.draw(st.booleans(), label="success")
        code = data.draw(st.sampled_from(HOST_CODES), label="error code")
        e = self.events[event_id]
        outcome = deliveries.AttemptOutcome("SUCCEEDED" if success else "FAILED", success=success,
                                            error_code=None if success else code)

        async def post() -> deliveries.Resolution:
            async with self.env.db.write() as conn:
                event = await event_by_token(conn, e.token)
                return await deliveries.resolve_pending(conn, asdict(event), outcome, self.now)

        resolution = self.env.run(post())
        mine = None if success else code
        if e.status in ("SUCCEEDED", "FAILED"):
            same = (e.result_success, e.result_error_code) == (success, mine)
            expected = deliveries.Resolution(same, "duplicate" if same else "conflict")
        elif e.status == "PENDING":
            expected = deliveries.Resolution(True, "resolved")
            self._resolve(event_id, success, mine)
        else:
            expected = deliveries.Resolution(False, "in_flight")
        assert resolution == expected
        self.env.counts[f"host results {resolution.reason}"] += 1

    # -- what the rules do

    def _poll(self, name: str) -> None:
        """The worker's ``start_due``: the pending sweep (at most once a second), then a claim
        with its free slots and its busy hosts' free connections; exactly the model's pick,
        and never an event the order rule blocks (``_blocked``)."""
        worker = self.workers[name]
        if self.now - worker.last_sweep >= EXPIRY_EVERY_MS:
            worker.last_sweep = self.now
            self._expire_pending()
        expected, limit, rooms = self._expected_claim(worker)

        async def claim() -> list[Any]:
            async with self.env.db.write() as conn:
                return await outbox.claim_due(conn, worker.owner, self.now, int(self.env.settings.lease_s * 1000),
                                              limit, rooms, self.env.settings.http_connections_per_host)

        rows = self.env.run(claim())
        assert [row["id"] for row in rows] == expected
        for row in rows:
            e = self.events[row["id"]]
            assert not self._blocked(e), "claimed while the order rule blocks it"
            self.env.counts["claims of an expired lease" if e.status == "DELIVERING" else "claims"] += 1
            if e.lease_owner == worker.owner:
                self.env.counts["claims of the worker's own expired lease"] += 1
            if e.status == "QUEUED":
                e.claimed_at = self.step
            e.status, e.lease_owner = "DELIVERING", worker.owner
            e.lease_until = self.now + int(self.env.settings.lease_s * 1000)
            worker.in_flight.append(Delivery(dict(row), worker.owner))

    def _settle(self, worker: SimWorker, picked: list[int], data: st.DataObject) -> None:
        """``settle_many`` for these notifications, each answered as drawn. A settlement is
        accepted while its claim still holds the event: DELIVERING under the same owner and
        the same lease_until (a new claim, even the same worker's, sets a later one), as the
        event was before the batch; a lease that ran out but was not taken over still holds."""
        batch = [(worker.in_flight[i], data.draw(OUTCOMES, label="answer"),
                  data.draw(st.sampled_from(HOST_CODES), label="host's error code"),
                  data.draw(st.sampled_from([0.0, 0.5, 1.0]), label="jitter draw")) for i in picked]
        settlements = [self._settlement(d, kind, code, rand) for d, kind, code, rand in batch]
        held = [self.events[d.row["id"]].status == "DELIVERING"
                and (self.events[d.row["id"]].lease_owner, self.events[d.row["id"]].lease_until)
                == (d.owner, d.row["lease_until"]) for d, *_ in batch]

        async def settle() -> list[bool]:
            async with self.env.db.write() as conn:
                return await deliveries.settle_many(conn, self.env.settings, worker.owner, settlements, self.now)

        assert self.env.run(settle()) == held
        for (delivery, *_, rand), settlement, ok in zip(batch, settlements, held, strict=True):
            if ok:
                self._apply_attempt(delivery.row["id"], settlement, rand)
            self.env.counts["attempts written" if ok else "attempts refused (claim lost)"] += 1
        worker.in_flight = [d for i, d in enumerate(worker.in_flight) if i not in picked]

    def _expire_pending(self) -> None:
        """The worker's sweep: PENDING events past their timeout fail, each with a
        SUBSCRIPTION_STATUS event queued for its subscription (none for a status event)."""
        limit = self.env.settings.worker_batch_size
        due = sorted((e.seq, i) for i, e in self.events.items() if e.status == "PENDING" and e.pending_until < self.now)
        expired = [i for _, i in due][:limit]

        async def sweep() -> int:
            async with self.env.db.write() as conn:
                return await deliveries.expire_pending(conn, self.env.services, self.now, limit)

        assert self.env.run(sweep()) == len(expired)
        for event_id in expired:
            self._resolve(event_id, False, deliveries.PENDING_TIMEOUT)
        self._learn_new_events([("SUBSCRIPTION_STATUS", self.events[i].subscription_id) for i in expired
                                if self.events[i].type != "SUBSCRIPTION_STATUS"])
        self.env.counts["pending timed out"] += len(expired)

    def _admin_retries(self, event_id: str) -> None:
        """retryEvent: the FAILED event is QUEUED again, due now, its result cleared, its
        attempts kept (they count against the retry schedule)."""
        outcome = self._command(event_commands.retry_event, {"id": event_id})
        assert (outcome.errors, outcome.value.status) == ([], "QUEUED")
        e = self.events[event_id]
        e.status, e.next_attempt_on, e.result_success, e.result_error_code, e.resolved_on = (
            "QUEUED", self.now, None, None, None)
        e.requeued_at = self.step

    def _admin_resolves(self, event_id: str, success: bool, code: str | None) -> None:
        """resolveEvent: the PENDING event settled by hand, and its SUBSCRIPTION_STATUS queued."""
        outcome = self._command(event_commands.resolve_event, {"id": event_id, "success": success, "errorCode": code})
        assert (outcome.errors, outcome.value.status) == ([], "SUCCEEDED" if success else "FAILED")
        self._resolve(event_id, success, None if success else code or "UNKNOWN_ERROR")
        e = self.events[event_id]
        self._learn_new_events([] if e.type == "SUBSCRIPTION_STATUS" else [("SUBSCRIPTION_STATUS", e.subscription_id)])

    def _command(self, command: Any, changes: dict[str, Any]) -> Any:
        return self.env.run(self.env.db.command(lambda conn: command(conn, ADMIN, self.env.services, changes)))

    # -- invariants

    @invariant()
    def outbox_is_the_model(self) -> None:
        """Every event exactly once, in one state, with the model's columns; one attempt row
        per accepted settlement, numbered 1..attempts."""
        rows, attempts = self.env.run(_outbox(self.env.db))
        assert [row["id"] for row in rows] == sorted(self.events, key=lambda i: self.events[i].seq)
        for row in rows:
            assert {name: row[name] for name in COLUMNS} == self.events[row["id"]].columns(), row["id"]
        written = {event_id: [] for event_id in self.events}
        for event_id, number, outcome, started_on in attempts:
            written[event_id].append((number, outcome, started_on))
        assert written == {i: [(n + 1, *tried) for n, tried in enumerate(e.tried)] for i, e in self.events.items()}

    @invariant()
    def one_subscription_in_order(self) -> None:
        """Per subscription: one event in flight (DELIVERING, PENDING) at most; it is in
        flight only when every earlier one is resolved, unless an administrator requeued that
        earlier one after the later one's claim (it then waits); and successes come in creation
        order, leaving aside events an administrator requeued (which may succeed after later
        ones: that is what a retry is)."""
        in_flight = Counter(e.subscription_id for e in self.events.values() if e.status in IN_FLIGHT)
        assert max(in_flight.values(), default=0) <= 1, in_flight
        for later in self.events.values():
            if later.status not in IN_FLIGHT:
                continue
            for earlier in self.events.values():
                if (earlier.subscription_id == later.subscription_id and earlier.seq < later.seq
                        and earlier.status in UNRESOLVED):
                    assert earlier.requeued_at > later.claimed_at
        for sub_id in self.env.subscriptions:
            delivered = [self.events[i].seq for i in self.successes
                         if self.events[i].subscription_id == sub_id and self.events[i].requeued_at < 0]
            assert delivered == sorted(delivered)

    def teardown(self) -> None:
        """Nothing outside the outbox changed (these notices leave the subscriptions as they are)."""
        assert self.env.run(_subscription_rows(self.env.db)) == self.env.subscription_rows


@pytest.mark.parametrize("backend", BACKENDS)
def test_delivery_state_machine_matches_the_model(backend, tmp_path, sqlite_template, pg_schema):
    started = time.monotonic()
    with asyncio.Runner() as runner:
        env = Env(runner, backend, tmp_path, sqlite_template, pg_schema)
        try:
            env.run(env.build())
            run_state_machine_as_test(lambda: DeliveryModel(env), settings=RUN)
        finally:
            env.run(env.close())
    counts = ", ".join(f"{name} {n}" for name, n in sorted(env.counts.items()))
    print(f"\ndelivery model [{backend}{', long' if LONG else ''}] in {time.monotonic() - started:.1f} s: {counts}")
    assert env.counts["examples"] >= RUN.max_examples

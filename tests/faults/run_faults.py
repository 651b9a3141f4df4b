"""Delivery under faults, end to end: real ``marketlink worker`` processes, a real database, a
real product host on loopback; prints a summary and exits 1 when an invariant is broken.

    .venv/bin/python -m tests.faults.run_faults --events 10000 --workers 3 --seed 1
    .venv/bin/python -m tests.faults.run_faults --database sqlite --workers 1 --events 800

One run:

* a database: a private PostgreSQL cluster (``initdb`` in a temporary directory, its own port;
  the machine's shared server is never touched), or a SQLite file;
* the fault host (``fault_host.py``, its own process) on ``--hosts`` ports, a product each;
  per event it is slow, times out, resets the connection, cuts its answer short, answers 500
  (then answers), or answers 10 MiB or refuses for good (``plans.py``, seeded);
* ``--events`` events (eight per subscription: order, assignment, change, upcoming invoice,
  suspension, reactivation, cancellation, closing) made through the GraphQL API while the
  workers deliver;
* ``--workers`` worker processes; every ``--kill-every`` seconds (uniform, seeded) one holding
  leases is SIGKILLed and a new one started;
* ``--pg-restarts`` restarts of PostgreSQL, spread over the run (stopped ``--pg-stop-mode``,
  down ``--pg-down`` seconds); the workers are left to recover by themselves;
* then ``verify.py``'s invariants: nothing lost, each subscription's order kept, attempt rows
  consistent, duplicates only of events a killed worker held or a restart caught in flight.

``--seed`` fixes the kills' timing and choice, and which fault each event gets from its token;
tokens are random, so two runs with one seed differ in detail. A run with problems keeps its
directory (workers' logs, the host's receipts) and says where.
"""

import argparse
import asyncio
import contextlib
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from marketlink.config import Settings
from marketlink.logs import configure_logging
from marketlink.storage.database import Database
from marketlink.storage.migrate import migrate
from marketlink.storage.tables import events
from tests.faults import plans
from tests.faults.cluster import PrivateCluster
from tests.faults.gate import Gate
from tests.faults.shop import EVENTS_PER_SUBSCRIPTION, Shop
from tests.faults.verify import Restart, Rows, Verdict, verify
from tests.faults.workers import Kill, Workers

ROOT = Path(__file__).resolve().parents[2]
RETRY_SCHEDULE_S = "[0.2, 0.5, 1, 2, 2, 2, 2, 2]"


@dataclass(frozen=True)
class Config:
    events: int = 10_000
    workers: int = 3
    database: str = "postgresql"  # a private cluster; or "sqlite"
    seed: int = 1
    kill_every_s: tuple[float, float] | None = (0.5, 2.0)  # None: no kills
    pg_restarts: int = 1
    pg_down_s: float = 2.0
    pg_stop_mode: str = "immediate"
    hosts: int = 4
    mix: plans.Mix = field(default_factory=plans.Mix)
    lease_s: float = 10.0  # above the HTTP timeout: a live worker never loses a lease
    http_timeout_s: float = 5.0
    deadline_s: float = 1800.0
    progress: bool = False  # a line on stderr every 10 s

    def problems(self) -> list[str]:
        found = []
        if self.events <= 0 or self.events % EVENTS_PER_SUBSCRIPTION:
            found.append(f"--events must be a positive multiple of {EVENTS_PER_SUBSCRIPTION}")
        if self.database == "sqlite" and (self.pg_restarts or self.workers != 1):
            found.append("SQLite: one worker process, no restarts")
        if self.database not in ("postgresql", "sqlite"):
            found.append("--database is postgresql or sqlite")
        return found

    @property
    def in_flight_limit(self) -> int:
        """The most notifications a worker has under way: a product per host, each host at
        most MARKETLINK_HTTP_CONNECTIONS_PER_HOST (left at its default) at once."""
        return self.hosts * Settings.model_fields["http_connections_per_host"].default

    def worker_settings(self) -> dict[str, str]:
        return {"MARKETLINK_LEASE_S": str(self.lease_s), "MARKETLINK_HTTP_TIMEOUT_S": str(self.http_timeout_s),
                "MARKETLINK_RETRY_SCHEDULE_S": RETRY_SCHEDULE_S, "MARKETLINK_LOG_LEVEL": "WARNING"}


@dataclass
class Report:
    config: Config
    verdict: Verdict
    kills: list[Kill]
    restarts: list[Restart]
    exited: list[tuple[int, int | None]]  # workers that ended without being killed
    runtime_s: float
    finished: bool  # every event final before the deadline

    @property
    def problems(self) -> list[str]:
        own = [] if self.finished else [f"not every event final after {self.config.deadline_s:.0f} s"]
        own += [f"worker {pid} exited by itself ({code})" for pid, code in self.exited]
        own += [f"no event settled after the restart at {r.at_s} s" for r in self.restarts
                if r.recovered_s is None]
        return own + self.verdict.problems

    def summary(self) -> str:
        c, v = self.config, self.verdict
        held = sum(len(k.held) for k in self.kills)
        in_flight = sum(len(r.in_flight) for r in self.restarts)
        faults = ", ".join(f"{mode} {v.faults[mode]}" for mode in plans.TRANSIENT + plans.PERMANENT)
        database = "PostgreSQL (private cluster)" if c.database == "postgresql" else "SQLite"
        lines = [
            f"fault run        seed {c.seed}, {database}, {c.workers} workers, {c.hosts} hosts",
            f"events           {v.events} ({v.events // EVENTS_PER_SUBSCRIPTION} subscriptions x "
            f"{EVENTS_PER_SUBSCRIPTION})",
            f"host faults      {faults} (events; ok {v.faults['ok']})",
            f"attempts         {v.attempts} ({v.retries} retries), {v.receipts} receipts at the host",
            f"kills            {len(self.kills)} SIGKILLs (the victims held {held} leases)",
            f"PG restarts      {len(self.restarts)}" + (
                f" ({c.pg_stop_mode}, down {c.pg_down_s} s; {in_flight} deliveries in flight; workers "
                f"settled again {', '.join(f'{r.recovered_s} s' for r in self.restarts)} after the start)"
                if self.restarts else ""),
            f"duplicates       {v.duplicates} ({v.duplicates_after_kills} of events killed workers held, "
            f"{v.duplicates_after_restarts} of deliveries a restart caught); bound {v.duplicate_bound} "
            f"= 2 x (leases held + in flight); at most {c.in_flight_limit} events a kill",
            f"lost             {v.lost}",
            f"out of order     {v.out_of_order}",
            f"failed           {v.failed_as_planned} (as planned: 10 MiB answers and refusals)",
            f"runtime          {self.runtime_s:.1f} s ({v.events / self.runtime_s:.1f} events/s)",
            f"problems         {len(self.problems) or 'none'}",
        ]
        return "\n".join(lines + [f"  {p}" for p in self.problems])


class FaultHost:
    """The fault host's process: started on entry, stopped by :meth:`stop` or on exit."""

    def __init__(self, config: Config, work_dir: Path) -> None:
        self.log = work_dir / "receipts.jsonl"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.faults.fault_host", "--seed", str(config.seed), "--hosts",
             str(config.hosts), "--log", str(self.log), "--mix", json.dumps(asdict(config.mix))],
            cwd=ROOT, stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the fault host did not start")
        self.ports: list[int] = json.loads(line)

    def stop(self) -> list[tuple[str, str, str]]:
        """Stop it; its receipts in order of arrival."""
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(30)
        with self.log.open() as log:
            return [tuple(json.loads(line)) for line in log]


async def run(config: Config) -> Report:
    if problems := config.problems():
        raise ValueError("; ".join(problems))
    work_dir = Path(tempfile.mkdtemp(prefix="marketlink-faults-"))
    report = None
    try:
        with contextlib.ExitStack() as stack:
            cluster = stack.enter_context(PrivateCluster()) if config.database == "postgresql" else None
            url = cluster.url if cluster else f"sqlite:///{work_dir / 'faults.db'}"
            host = FaultHost(config, work_dir)
            stack.callback(host.stop)
            db = Database(url)
            try:
                await migrate(db)
                report = await _run(config, db, url, host, cluster, work_dir)
                return report
            finally:
                await db.dispose()
    finally:
        if report is not None and not report.problems:
            shutil.rmtree(work_dir, ignore_errors=True)
        else:  # the workers' logs and the host's receipts, to see what happened
            print(f"fault run: kept {work_dir}", file=sys.stderr)


async def _run(config: Config, db: Database, url: str, host: FaultHost, cluster: PrivateCluster | None,
               work_dir: Path) -> Report:
    shop = await Shop.open(db, host.ports)
    gate, stop, rand = Gate(), asyncio.Event(), random.Random(config.seed)
    workers = Workers(url, work_dir, config.workers, config.worker_settings())
    restarts: list[Restart] = []
    started = time.monotonic()
    deadline = started + config.deadline_s
    workers.fill()
    killing = asyncio.create_task(workers.keep_killing(db, rand, config.kill_every_s, gate, started, stop)) \
        if config.kill_every_s else None
    restarting = asyncio.create_task(_restart_midway(config, cluster, db, gate, started, deadline, restarts)) \
        if cluster and config.pg_restarts else None
    producing = asyncio.create_task(shop.produce(config.events // EVENTS_PER_SUBSCRIPTION, gate))
    try:
        finished = await _all_final(db, gate, config, producing, workers, started, deadline)
        runtime = time.monotonic() - started
    finally:
        stop.set()  # the killer ends after its kill under way, if any
        for task in (restarting, producing):
            if task:
                task.cancel()
        outcomes = await asyncio.gather(*(t for t in (killing, restarting, producing) if t),
                                        return_exceptions=True)
        await workers.stop_all()
        await shop.close()
    if failures := [o for o in outcomes if isinstance(o, Exception)]:
        raise failures[0]
    receipts = host.stop()
    verdict = verify(await Rows.read(db), receipts, config.seed, config.mix, shop.ordered,
                     workers.kills, restarts, config.in_flight_limit)
    return Report(config, verdict, workers.kills, restarts, workers.exited, runtime, finished)


async def _final(db: Database, gate: Gate | None) -> int | None:
    """How many events are SUCCEEDED or FAILED; None while the database does not answer."""
    try:
        async with gate.passing() if gate else contextlib.nullcontext(), db.read() as conn:
            return (await conn.execute(select(func.count()).select_from(events).where(
                events.c.status.in_(("SUCCEEDED", "FAILED"))))).scalar_one()
    except Exception:  # noqa: BLE001 - the monitor only waits; the verdict says what went wrong
        return None


async def _all_final(db: Database, gate: Gate, config: Config, producing: asyncio.Task, workers: Workers,
                     started: float, deadline: float) -> bool:
    """Wait until the producer is done and every event is final; False at the deadline."""
    shown = started
    while time.monotonic() < deadline:
        if producing.done() and producing.exception():
            raise producing.exception()
        final = await _final(db, gate)
        if producing.done() and final == config.events:
            return True
        workers.fill()  # replaces any worker that ended by itself (noted in workers.exited)
        if config.progress and time.monotonic() - shown >= 10:
            shown = time.monotonic()
            print(f"  {shown - started:6.0f} s  {final}/{config.events} final, {len(workers.kills)} kills",
                  file=sys.stderr, flush=True)
        await asyncio.sleep(0.25)
    return False


async def _until_final(db: Database, gate: Gate, count: int, deadline: float) -> bool:
    while time.monotonic() < deadline:
        final = await _final(db, gate)
        if final is not None and final >= count:
            return True
        await asyncio.sleep(0.25)
    return False


async def _restart_midway(config: Config, cluster: PrivateCluster, db: Database, gate: Gate,
                          started: float, deadline: float, restarts: list[Restart]) -> None:
    """Restart PostgreSQL when 1/(n+1), 2/(n+1), ... of the events are final. After each: the
    events claimed before the stop and still unsettled (their workers may have sent them and
    failed to record it), and how long until the workers settled an event again."""
    for number in range(1, config.pg_restarts + 1):
        if not await _until_final(db, gate, config.events * number // (config.pg_restarts + 1), deadline):
            return
        async with gate.closed():
            at = time.monotonic() - started
            stopped_ms = int(time.time() * 1000)
            await asyncio.to_thread(cluster.restart, config.pg_stop_mode, config.pg_down_s)
            back = time.monotonic()
            async with db.read() as conn:
                in_flight = frozenset((await conn.execute(select(events.c.id).where(
                    events.c.status == "DELIVERING",
                    events.c.lease_until <= stopped_ms + int(config.lease_s * 1000)))).scalars())
            final = await _final(db, gate=None)
        settled_again = await _until_final(db, gate, (final or 0) + 1, deadline)
        recovered_s = round(time.monotonic() - back, 2) if settled_again else None
        restarts.append(Restart(round(at, 3), config.pg_stop_mode, config.pg_down_s, in_flight, recovered_s))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--kill-every", default="0.5,2.0", help="MIN,MAX seconds between kills, or 'never'")
    parser.add_argument("--pg-restarts", type=int, default=1)
    parser.add_argument("--pg-down", type=float, default=2.0)
    parser.add_argument("--pg-stop-mode", choices=("fast", "immediate"), default="immediate")
    parser.add_argument("--hosts", type=int, default=4)
    parser.add_argument("--deadline", type=float, default=1800.0)
    parser.add_argument("--mix", default="{}", help="plans.Mix fields as JSON, e.g. '{\"slow\": 0.2}'")
    args = parser.parse_args()
    kill_every = None if args.kill_every == "never" else tuple(float(s) for s in args.kill_every.split(","))
    config = Config(events=args.events, workers=args.workers, database=args.database, seed=args.seed,
                    kill_every_s=kill_every, pg_restarts=args.pg_restarts, pg_down_s=args.pg_down,
                    pg_stop_mode=args.pg_stop_mode, hosts=args.hosts, deadline_s=args.deadline,
                    mix=plans.Mix(**json.loads(args.mix)), progress=True)
    if problems := config.problems():
        parser.error("; ".join(problems))
    configure_logging("WARNING", False)  # not a line per GraphQL call of the producer
    report = asyncio.run(run(config))
    print(report.summary())
    sys.exit(1 if report.problems else 0)


if __name__ == "__main__":
    main()

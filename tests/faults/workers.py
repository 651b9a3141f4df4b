"""The ``marketlink worker`` processes of a fault run, and the killer: at random moments (seeded)
one worker holding leases is SIGKILLed in the middle of its deliveries and a new one started.

After each kill the events the dead worker still held are read back: they are the only events
it can have sent without recording the attempt, so the only ones it can have made a duplicate
of (``Kill.held``). A tick when no worker holds a lease (all starting up, or idle) kills
nothing: a worker killed while it imports would only slow the run down.
"""

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from marketlink.storage.database import Database
from marketlink.storage.tables import events
from tests.faults.gate import Gate
from tests.helpers import TEST_SECRET_KEY

BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Kill:
    at_s: float  # seconds into the run
    pid: int
    held: frozenset[str]  # events it held leases on when it died


@dataclass
class Workers:
    database_url: str
    work_dir: Path
    count: int
    settings: dict[str, str]  # MARKETLINK_* variables beyond the database and the key
    processes: list[subprocess.Popen] = field(default_factory=list)
    kills: list[Kill] = field(default_factory=list)
    exited: list[tuple[int, int | None]] = field(default_factory=list)  # (pid, code): not by us
    started: int = 0

    def fill(self) -> None:
        """Start workers until ``count`` run; note any that ended without being killed."""
        for process in [p for p in self.processes if p.poll() is not None]:
            self.exited.append((process.pid, process.returncode))
            self.processes.remove(process)
        while len(self.processes) < self.count:
            self.processes.append(self._start())

    def _start(self) -> subprocess.Popen:
        env = os.environ | self.settings | {
            "MARKETLINK_DATABASE_URL": self.database_url, "MARKETLINK_SECRET_KEY": TEST_SECRET_KEY,
            "MARKETLINK_DATA_DIR": str(self.work_dir), "MARKETLINK_ALLOW_PRIVATE_URLS": "true"}
        self.started += 1
        log = open(self.work_dir / f"worker-{self.started}.log", "wb")
        with log:  # the child has its own descriptor
            return subprocess.Popen([str(BIN / "marketlink"), "worker"], env=env, start_new_session=True,
                                    stdout=log, stderr=subprocess.STDOUT)

    async def keep_killing(self, db: Database, rand: random.Random, every_s: tuple[float, float],
                           gate: Gate, started: float, stop: asyncio.Event) -> None:
        """Every ``every_s`` seconds (uniform, seeded) kill a busy worker, until ``stop``."""
        while True:
            try:
                await asyncio.wait_for(stop.wait(), rand.uniform(*every_s))
                return
            except TimeoutError:
                pass
            async with gate.passing():
                await self._kill_one(db, rand, started)
            self.fill()

    async def _kill_one(self, db: Database, rand: random.Random, started: float) -> None:
        async with db.read() as conn:
            owners = set((await conn.execute(select(events.c.lease_owner).where(
                events.c.status == "DELIVERING").distinct())).scalars())
        # A worker's lease owner is "<hostname>:<pid>:<random>" (Worker.owner).
        busy = [p for p in self.processes if p.poll() is None
                and any(f":{p.pid}:" in (owner or "") for owner in owners)]
        if not busy:
            return
        victim = rand.choice(busy)
        self.processes.remove(victim)  # not one that ended by itself (fill)
        _signal(victim, signal.SIGKILL)
        await asyncio.to_thread(victim.wait, 10)
        async with db.read() as conn:
            held = frozenset((await conn.execute(select(events.c.id).where(
                events.c.status == "DELIVERING",
                events.c.lease_owner.like(f"%:{victim.pid}:%")))).scalars())
        self.kills.append(Kill(round(time.monotonic() - started, 3), victim.pid, held))

    async def stop_all(self) -> None:
        """SIGTERM (each finishes what it has under way), SIGKILL after 20 s."""
        for process in self.processes:
            _signal(process, signal.SIGTERM)
        for process in self.processes:
            try:
                await asyncio.to_thread(process.wait, 20)
            except subprocess.TimeoutExpired:
                _signal(process, signal.SIGKILL)
                await asyncio.to_thread(process.wait, 10)
        self.processes.clear()


def _signal(process: subprocess.Popen, sig: int) -> None:
    """Signal the process's group (the worker and anything it started), if it still runs."""
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass

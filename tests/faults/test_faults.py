"""The fault run (run_faults.py) in small, on every test run: the invariants of the issue's
fault item, checked exactly (verify.py), with numbers that finish in a minute or two.

* PostgreSQL (when MARKETLINK_TEST_DATABASE_URL is set, as for every PostgreSQL test; the run
  itself uses a private cluster, so that restarting it disturbs no other test): three worker
  processes, one SIGKILLed every 0.5-1.5 s, PostgreSQL restarted halfway (stopped as in a
  crash), 1,040 events to four hosts that are slow, time out, reset connections, cut answers
  short, answer 500, answer 10 MiB or refuse;
* SQLite: its one worker process, SIGKILLed every 0.5-1.5 s, 320 events to the same hosts.
"""

from tests.conftest import PG_URL
from tests.faults import plans
from tests.faults.run_faults import Config, run

EVERY_FAULT = set(plans.TRANSIENT + plans.PERMANENT + ("ok",))


async def workers_killed_and_postgresql_restarted_lose_nothing_and_keep_order():
    report = await run(Config(events=1040, workers=3, seed=20251124, kill_every_s=(0.5, 1.5),
                              pg_restarts=1, pg_stop_mode="immediate", deadline_s=240))
    verdict, summary = report.verdict, report.summary()

    assert report.problems == [], summary
    assert (verdict.events, verdict.lost, verdict.out_of_order) == (1040, 0, 0)
    assert len(report.kills) >= 5 and len(report.restarts) == 1, summary
    assert set(verdict.faults) == EVERY_FAULT, summary  # every fault happened at least once
    assert verdict.failed_as_planned == verdict.faults["huge"] + verdict.faults["refuse"]
    assert verdict.duplicates == verdict.duplicates_after_kills + verdict.duplicates_after_restarts
    assert verdict.duplicates <= verdict.duplicate_bound


if PG_URL:
    test_workers_killed_and_postgresql_restarted_lose_nothing_and_keep_order = \
        workers_killed_and_postgresql_restarted_lose_nothing_and_keep_order


async def test_the_sqlite_worker_killed_loses_nothing_and_keeps_order():
    report = await run(Config(events=320, workers=1, database="sqlite", seed=7, kill_every_s=(0.5, 1.5),
                              pg_restarts=0, deadline_s=180))
    verdict, summary = report.verdict, report.summary()

    assert report.problems == [], summary
    assert (verdict.events, verdict.lost, verdict.out_of_order) == (320, 0, 0)
    assert len(report.kills) >= 2, summary
    assert verdict.failed_as_planned == verdict.faults["huge"] + verdict.faults["refuse"]
    assert verdict.duplicates == verdict.duplicates_after_kills
    assert verdict.duplicates <= verdict.duplicate_bound

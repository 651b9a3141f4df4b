"""The invariants of a fault run, checked on what the database and the fault host recorded.

* nothing lost: every subscription queued its eight events, and each event ended as its host
  fault says (SUCCEEDED; FAILED with INVALID_RESPONSE after a 10 MiB answer; FAILED with the
  host's CONFIGURATION_ERROR after a refusal) and reached the host at the path of its type;
  each subscription and assignment ended as the events' outcomes say;
* order: each subscription's events first reached the host in the order they were queued;
* attempts: numbered 1..n with ``events.attempts`` = n, transport errors then the final outcome;
  an event no dying worker held and no restart caught in flight has exactly the planned rows;
* duplicates: receipts beyond what the recorded attempts account for (one each, two for an
  unanswered GET that aiohttp sent again). Only an attempt whose outcome was never recorded
  makes one, and it makes at most two. A worker records every attempt it finishes, so only a
  worker that died holding the event (``Kill.held``) or a settlement lost to a database restart
  (``Restart.in_flight``) leaves one: each duplicated event must be in one of those sets, with
  at most two duplicates per time it was. The run's bound is therefore
  2 x (leases held by the killed workers + deliveries in flight at restarts). A worker has at
  most ``in_flight_limit`` notifications under way (hosts x MARKETLINK_HTTP_CONNECTIONS_PER_HOST),
  so a kill catches at most that many events beyond the leases a restart left behind.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from marketlink.storage.database import Database
from marketlink.storage.tables import assignments, event_attempts, events, subscriptions
from tests.faults import plans
from tests.faults.shop import EVENT_TYPES
from tests.faults.workers import Kill

SHOWN = 10  # problems listed per kind


@dataclass(frozen=True)
class Restart:
    at_s: float
    mode: str
    down_s: float
    in_flight: frozenset[str]  # claimed before the stop, still unsettled after the start
    recovered_s: float | None = None  # from the start until a worker settled an event again


@dataclass
class Rows:
    events: list[Any]  # by seq
    attempts: dict[str, list[Any]]  # event id -> rows by number
    subscriptions: dict[str, Any]
    assignments: dict[str, Any]  # by subscription id

    @classmethod
    async def read(cls, db: Database) -> "Rows":
        async with db.read() as conn:
            event_rows = (await conn.execute(select(
                events.c.id, events.c.token, events.c.type, events.c.subscription_id, events.c.status,
                events.c.attempts, events.c.result_error_code, events.c.result_message).order_by(events.c.seq))).all()
            attempt_rows = (await conn.execute(select(
                event_attempts.c.event_id, event_attempts.c.number, event_attempts.c.outcome,
                event_attempts.c.http_status, event_attempts.c.error, event_attempts.c.answer_excerpt)
                .order_by(event_attempts.c.event_id, event_attempts.c.number))).all()
            subscription_rows = (await conn.execute(select(
                subscriptions.c.id, subscriptions.c.status, subscriptions.c.edition_code,
                subscriptions.c.account_identifier))).all()
            assignment_rows = (await conn.execute(select(
                assignments.c.subscription_id, assignments.c.status, assignments.c.user_identifier))).all()
        by_event: dict[str, list[Any]] = defaultdict(list)
        for row in attempt_rows:
            by_event[row.event_id].append(row)
        return cls(event_rows, dict(by_event), {r.id: r for r in subscription_rows},
                   {r.subscription_id: r for r in assignment_rows})


@dataclass
class Verdict:
    events: int = 0
    receipts: int = 0
    attempts: int = 0
    retries: int = 0
    lost: int = 0
    out_of_order: int = 0
    duplicates: int = 0
    duplicates_after_kills: int = 0
    duplicates_after_restarts: int = 0
    duplicate_bound: int = 0
    failed_as_planned: int = 0
    faults: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    _shown: Counter = field(default_factory=Counter)

    def problem(self, kind: str, text: str) -> None:
        self._shown[kind] += 1
        if self._shown[kind] <= SHOWN:
            self.problems.append(f"{kind}: {text}")
        elif self._shown[kind] == SHOWN + 1:
            self.problems.append(f"{kind}: ... (more)")


def verify(rows: Rows, receipts: list[tuple[str, str, str]], seed: int, mix: plans.Mix,
           subscription_ids: list[str], kills: list[Kill], restarts: list[Restart],
           in_flight_limit: int) -> Verdict:
    verdict = Verdict(events=len(rows.events), receipts=len(receipts),
                      attempts=sum(len(a) for a in rows.attempts.values()))
    queued = _queued(rows, subscription_ids, verdict)
    faults = {e.id: plans.fault_of(seed, mix, plans.PATHS[e.type], e.token) for e in rows.events}
    verdict.faults.update(faults.values())
    held = Counter(event_id for kill in kills for event_id in kill.held)
    caught = Counter(event_id for restart in restarts for event_id in restart.in_flight)
    arrivals: dict[str, list[int]] = defaultdict(list)
    known = {e.token: e for e in rows.events}
    for index, (path, token, _) in enumerate(receipts):
        arrivals[token].append(index)
        if token not in known or plans.PATHS[known[token].type] != path:
            verdict.problem("stray receipt", f"{path}?token={token} is no event of that type")
    for event in rows.events:
        _check_event(event, faults[event.id], rows.attempts.get(event.id, []), len(arrivals[event.token]),
                     held[event.id], caught[event.id], verdict)
    _check_order(queued, arrivals, verdict)
    _check_accounts(queued, rows, verdict)
    for kill in kills:
        if len(kill.held - caught.keys()) > in_flight_limit:
            verdict.problem("kill", f"worker {kill.pid} held {len(kill.held - caught.keys())} leases, "
                                    f"more than the {in_flight_limit} notifications a worker has under way")
    verdict.duplicate_bound = 2 * (sum(len(k.held) for k in kills) + sum(len(r.in_flight) for r in restarts))
    if verdict.duplicates > verdict.duplicate_bound:
        verdict.problem("duplicates", f"{verdict.duplicates} over the bound {verdict.duplicate_bound}")
    return verdict


def _queued(rows: Rows, subscription_ids: list[str], verdict: Verdict) -> dict[str, list[Any]]:
    """Each subscription's events by seq; a subscription without its eight events is a loss."""
    queued: dict[str, list[Any]] = {s: [] for s in subscription_ids}
    for event in rows.events:
        if event.subscription_id not in queued:
            verdict.problem("stray event", f"{event.type} {event.id} of no subscription of the run")
            continue
        queued[event.subscription_id].append(event)
    for subscription_id, its in queued.items():
        if [e.type for e in its] != EVENT_TYPES:
            verdict.lost += max(0, len(EVENT_TYPES) - len(its))
            verdict.problem("queued", f"subscription {subscription_id}: {[e.type for e in its]}")
    return queued


def _check_event(event: Any, fault: str, attempts: list[Any], received: int, held: int, caught: int,
                 verdict: Verdict) -> None:
    planned = plans.planned_attempts(fault)
    final = {"huge": ("FAILED", "INVALID_RESPONSE", planned[-1][2]),
             "refuse": ("FAILED", "CONFIGURATION_ERROR", plans.REFUSAL)}.get(fault, ("SUCCEEDED", None, None))
    if (event.status, event.result_error_code, event.result_message) != final or not received:
        verdict.lost += 1
        verdict.problem("lost", f"{event.type} {event.id} ({fault}): {event.status} "
                                f"{event.result_error_code} {event.result_message!r}, {received} receipts")
    elif final[0] == "FAILED":
        verdict.failed_as_planned += 1
    shape = [(a.outcome, a.http_status, a.error) for a in attempts]
    verdict.retries += max(0, len(attempts) - 1)
    numbered = [a.number for a in attempts] == list(range(1, event.attempts + 1))
    explained = bool(shape) and shape[-1] == planned[-1] and all(s == planned[0] for s in shape[:-1]) \
        and len(shape) <= len(planned)
    if not numbered or not explained or (not held and not caught and shape != planned):
        verdict.problem("attempts", f"{event.type} {event.id} ({fault}, held by {held} killed workers, "
                                    f"{caught} restarts): attempts={event.attempts}, rows {shape}")
    if fault == "huge" and attempts and attempts[-1].answer_excerpt is not None:
        verdict.problem("attempts", f"{event.id}: a 10 MiB answer left an excerpt")
    duplicates = received - sum(plans.receipts_of(a.error) for a in attempts)
    if duplicates < 0 or duplicates > 2 * (held + caught):
        verdict.problem("duplicates", f"{event.type} {event.id} ({fault}): {received} receipts for "
                                      f"attempts {shape}; held by {held} killed workers, {caught} restarts")
    if duplicates > 0:
        verdict.duplicates += duplicates
        if caught:  # its settlement was lost to the restart (its worker may have died later)
            verdict.duplicates_after_restarts += duplicates
        elif held:
            verdict.duplicates_after_kills += duplicates


def _check_order(queued: dict[str, list[Any]], arrivals: dict[str, list[int]], verdict: Verdict) -> None:
    """Each subscription's events first reached the host in the order they were queued (a
    redundant send of one may come after the next)."""
    for subscription_id, its in queued.items():
        firsts = [arrivals[e.token][0] for e in its if arrivals[e.token]]
        if firsts != sorted(firsts):
            verdict.out_of_order += 1
            verdict.problem("order", f"subscription {subscription_id}: first receipts {firsts}")


def _check_accounts(queued: dict[str, list[Any]], rows: Rows, verdict: Verdict) -> None:
    """Each subscription CLOSED, on PRO when its change succeeded, with the account the host
    gave its order; its assignment ACTIVE with the host's user, or FAILED when refused."""
    for subscription_id, its in queued.items():
        if [e.type for e in its] != EVENT_TYPES:
            continue
        order, assignment, change = its[0], its[1], its[2]
        expected = ("CLOSED", "PRO" if change.status == "SUCCEEDED" else "BASIC", plans.account_of(order.token))
        found = rows.subscriptions[subscription_id]
        if (found.status, found.edition_code, found.account_identifier) != expected:
            verdict.problem("subscription", f"{subscription_id}: {tuple(found[1:])}, expected {expected}")
        user = rows.assignments.get(subscription_id)
        expected_user = ("ACTIVE", plans.user_of(assignment.token)) if assignment.status == "SUCCEEDED" \
            else ("FAILED", None)
        if user is None or (user.status, user.user_identifier) != expected_user:
            verdict.problem("assignment", f"{subscription_id}: {user and tuple(user[1:])}, "
                                          f"expected {expected_user}")

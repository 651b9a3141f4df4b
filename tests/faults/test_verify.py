"""The fault run's checker (verify.py) catches what it is there to catch: given the rows and
receipts of one subscription delivered cleanly, each broken invariant is reported, and a
duplicate is accepted only of an event a killed worker held or a restart caught in flight."""

from collections import namedtuple

from tests.faults import plans
from tests.faults.shop import EVENT_TYPES
from tests.faults.verify import Restart, Rows, verify
from tests.faults.workers import Kill

Event = namedtuple("Event", "id token type subscription_id status attempts result_error_code result_message")
Attempt = namedtuple("Attempt", "event_id number outcome http_status error answer_excerpt")
Subscription = namedtuple("Subscription", "id status edition_code account_identifier")
Assignment = namedtuple("Assignment", "subscription_id status user_identifier")
NO_FAULTS = plans.Mix(**{name: 0.0 for name in plans.TRANSIENT + plans.PERMANENT})
SUBSCRIPTION = "sub-1"


def delivered() -> tuple[Rows, list[tuple[str, str, str]]]:
    """One subscription's eight events, each sent once and SUCCEEDED, in order."""
    events = [Event(f"e{n}", f"token{n}", kind, SUBSCRIPTION, "SUCCEEDED", 1, None, None)
              for n, kind in enumerate(EVENT_TYPES)]
    attempts = {e.id: [Attempt(e.id, 1, "SUCCEEDED", 200, None, "{}")] for e in events}
    rows = Rows(events, attempts,
                {SUBSCRIPTION: Subscription(SUBSCRIPTION, "CLOSED", "PRO", plans.account_of("token0"))},
                {SUBSCRIPTION: Assignment(SUBSCRIPTION, "ACTIVE", plans.user_of("token1"))})
    return rows, [(plans.PATHS[e.type], e.token, "ok") for e in events]


def check(rows: Rows, receipts: list, kills: list[Kill] = (), restarts: list[Restart] = ()):  # type: ignore[assignment]
    return verify(rows, receipts, 1, NO_FAULTS, [SUBSCRIPTION], list(kills), list(restarts), 16)


def test_a_clean_delivery_has_no_problems():
    verdict = check(*delivered())

    assert (verdict.problems, verdict.events, verdict.lost, verdict.duplicates) == ([], 8, 0, 0)


def test_an_event_never_sent_is_lost():
    rows, receipts = delivered()
    rows.events[3] = rows.events[3]._replace(status="QUEUED", attempts=0)
    del rows.attempts["e3"]

    verdict = check(rows, [r for r in receipts if r[1] != "token3"])

    assert verdict.lost == 1
    assert [p.split(":")[0] for p in verdict.problems] == ["lost", "attempts"]


def test_a_later_event_first_received_before_an_earlier_one_is_out_of_order():
    rows, receipts = delivered()
    receipts[4], receipts[5] = receipts[5], receipts[4]

    verdict = check(rows, receipts)

    assert (verdict.out_of_order, verdict.problems) == (
        1, [f"order: subscription {SUBSCRIPTION}: first receipts [0, 1, 2, 3, 5, 4, 6, 7]"])


def test_a_duplicate_is_accepted_only_of_an_event_a_killed_worker_held():
    rows, receipts = delivered()
    receipts.insert(3, receipts[2])  # the change reached the host twice

    unexplained = check(rows, receipts)
    after_kill = check(rows, receipts, kills=[Kill(1.0, 42, frozenset({"e2"}))])
    after_restart = check(rows, receipts, restarts=[Restart(1.0, "immediate", 2.0, frozenset({"e2"}))])

    assert (unexplained.duplicates, unexplained.problems) == (1, [
        "duplicates: SUBSCRIPTION_CHANGE e2 (ok): 2 receipts for attempts [('SUCCEEDED', 200, None)]; "
        "held by 0 killed workers, 0 restarts",
        "duplicates: 1 over the bound 0"])
    assert (after_kill.problems, after_kill.duplicates_after_kills, after_kill.duplicate_bound) == ([], 1, 2)
    assert (after_restart.problems, after_restart.duplicates_after_restarts) == ([], 1)


def test_attempts_the_host_never_saw_and_wrong_final_states_are_reported():
    rows, receipts = delivered()
    rows.attempts["e2"].append(Attempt("e2", 2, "SUCCEEDED", 200, None, "{}"))
    rows.subscriptions[SUBSCRIPTION] = rows.subscriptions[SUBSCRIPTION]._replace(status="CANCELLED")

    verdict = check(rows, receipts)

    assert [p.split(":")[0] for p in verdict.problems] == ["attempts", "duplicates", "subscription"]

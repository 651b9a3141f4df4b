"""The outbox's claim rules: order per subscription, leases that expire, settles that need the
lease. Events are recorded through the domain, as commands do."""

from sqlalchemy import select

from marketlink.domain import deliveries
from marketlink.storage import outbox
from marketlink.storage.tables import event_attempts, events
from tests.api.test_commerce import CREATE_SUBSCRIPTION, buyer, order_input, sellable_product
from tests.helpers import START_MS

LEASE_MS = 60_000


async def ordered(world) -> dict:
    """One order (its SUBSCRIPTION_ORDER event) and a second event queued behind it."""
    product, _, _ = await sellable_product(world)
    company_id, user_id = await buyer(world)
    data = await world.api.data(CREATE_SUBSCRIPTION, {"input": order_input(product, company_id, user_id)},
                                world.admin)
    async with world.db.write() as conn:
        first = (await conn.execute(select(events))).mappings().one()
        second = dict(first) | {"id": "00000000-0000-4000-8000-000000000002", "token": "second-token",
                                "type": "SUBSCRIPTION_CHANGE"}
        second.pop("seq")
        await conn.execute(events.insert(), second)
    return {"subscription": data["createSubscription"]["subscription"]["id"], "first": first["id"],
            "second": second["id"]}


async def claim(world, owner: str, now: int = START_MS) -> list[str]:
    async with world.db.write() as conn:
        return [r["id"] for r in await outbox.claim_due(conn, owner, now, LEASE_MS, 10)]


async def settle(world, event_id: str, owner: str, kind: str = "SUCCEEDED") -> bool:
    async with world.db.write() as conn:
        row = (await conn.execute(select(events).where(events.c.id == event_id))).mappings().one()
        return await deliveries.settle(conn, world.settings, dict(row), owner,
                                       deliveries.AttemptOutcome(kind, success=kind == "SUCCEEDED"),
                                       {"started_on": START_MS, "url": "https://host.example",
                                        "outcome": kind}, START_MS + 5)


async def test_a_subscriptions_next_event_waits_for_the_previous_one(world):
    ids = await ordered(world)

    first_claim = await claim(world, "worker-a")
    while_first_unresolved = await claim(world, "worker-b")
    await settle(world, ids["first"], "worker-a")
    after_first_settled = await claim(world, "worker-b")

    assert first_claim == [ids["first"]]
    assert while_first_unresolved == []
    assert after_first_settled == [ids["second"]]


async def test_an_expired_lease_is_claimed_again_and_the_old_owner_cannot_settle(world):
    ids = await ordered(world)
    await claim(world, "worker-a")

    before_expiry = await claim(world, "worker-b", START_MS + LEASE_MS - 1)
    after_expiry = await claim(world, "worker-b", START_MS + LEASE_MS + 1)
    late = await settle(world, ids["first"], "worker-a")
    current = await settle(world, ids["first"], "worker-b")

    assert (before_expiry, after_expiry) == ([], [ids["first"]])
    assert (late, current) == (False, True)
    async with world.db.read() as conn:
        attempts = (await conn.execute(select(event_attempts.c.number))).scalars().all()
    assert attempts == [1]


async def test_a_pending_event_also_holds_back_the_next(world):
    ids = await ordered(world)
    await claim(world, "worker-a")
    await settle(world, ids["first"], "worker-a", "PENDING")

    assert await claim(world, "worker-b") == []


async def test_a_pending_event_past_its_timeout_fails_and_releases_the_next(world):
    ids = await ordered(world)
    await claim(world, "worker-a")
    await settle(world, ids["first"], "worker-a", "PENDING")  # pending_until = now + timeout
    timeout_ms = int(world.settings.pending_timeout_s * 1000)

    async with world.db.write() as conn:
        early = await deliveries.expire_pending(conn, world.services, START_MS + 5 + timeout_ms - 1, 10)
    async with world.db.write() as conn:
        late = await deliveries.expire_pending(conn, world.services, START_MS + 5 + timeout_ms + 1, 10)
    released = await claim(world, "worker-b", START_MS + 5 + timeout_ms + 1)
    data = await world.api.data("""query($id: ID!) { subscription(id: $id) { status
        events { status resultErrorCode resultMessage } } }""", {"id": ids["subscription"]}, world.admin)

    assert (early, late) == (0, 1)
    assert released == [ids["second"]]
    assert data["subscription"]["status"] == "FAILED"
    assert data["subscription"]["events"][-1] == {
        "status": "FAILED", "resultErrorCode": "PENDING_TIMEOUT",
        "resultMessage": "The product host posted no result within the pending timeout."}


async def test_a_worker_that_claimed_its_own_expired_lease_again_settles_only_the_new_claim(world):
    """A notification that outlives its lease leaves the event claimable, by the same worker
    too. The older claim's late settlement must be refused like anyone's, or both write
    attempt 1 (and a group commit holding both failed on the unique attempt number)."""
    ids = await ordered(world)
    async with world.db.write() as conn:
        [old] = await outbox.claim_due(conn, "worker-a", START_MS, LEASE_MS, 10)
    async with world.db.write() as conn:
        [new] = await outbox.claim_due(conn, "worker-a", START_MS + LEASE_MS + 1, LEASE_MS, 10)
    succeeded = deliveries.AttemptOutcome("SUCCEEDED", success=True)

    async with world.db.write() as conn:
        settled = await deliveries.settle_many(conn, world.settings, "worker-a", [
            deliveries.Settlement(dict(claim), succeeded, {"started_on": claim["lease_until"] - LEASE_MS,
                                                           "url": "https://host.example", "outcome": "SUCCEEDED"})
            for claim in (old, new)], START_MS + LEASE_MS + 2)

    assert (old["id"], new["id"]) == (ids["first"], ids["first"])
    assert settled == [False, True]
    async with world.db.read() as conn:
        event = (await conn.execute(select(events.c.status, events.c.attempts, events.c.lease_owner)
                                    .where(events.c.id == ids["first"]))).one()
        attempts = (await conn.execute(select(event_attempts.c.number, event_attempts.c.started_on))).all()
    assert tuple(event) == ("SUCCEEDED", 1, None)
    assert [tuple(a) for a in attempts] == [(1, START_MS + LEASE_MS + 1)]


RETRY = """mutation($id: ID!) { retryEvent(input: {id: $id}) { event { status } userErrors { code } } }"""


async def failed_first_and_second_in_flight(world) -> dict:
    """The first event FAILED, the second claimed by worker-b, then the first retried by an
    administrator (QUEUED again, older than the event in flight)."""
    ids = await ordered(world)
    await claim(world, "worker-a")
    await settle(world, ids["first"], "worker-a", "FAILED")
    assert await claim(world, "worker-b") == [ids["second"]]
    retried = await world.api.data(RETRY, {"id": ids["first"]}, world.admin)
    assert retried["retryEvent"] == {"event": {"status": "QUEUED"}, "userErrors": []}
    return ids


async def test_an_older_event_retried_while_a_newer_one_is_in_flight_waits_for_it(world):
    ids = await failed_first_and_second_in_flight(world)

    while_second_in_flight = await claim(world, "worker-c")
    await settle(world, ids["second"], "worker-b")
    after_second_settled = await claim(world, "worker-c")

    assert while_second_in_flight == []  # one event of a subscription in flight at most
    assert after_second_settled == [ids["first"]]


async def test_a_newer_event_whose_lease_ran_out_goes_before_the_retried_older_one(world):
    ids = await failed_first_and_second_in_flight(world)

    after_expiry = await claim(world, "worker-c", START_MS + LEASE_MS + 1)

    assert after_expiry == [ids["second"]]  # its worker died mid-delivery: finished first

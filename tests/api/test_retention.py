"""``marketlink prune``'s rule (domain/retention.py): events resolved before the retention age
go with their attempts; unresolved events stay whatever their age; recent ones stay."""

import pytest
from sqlalchemy import select

from marketlink.domain.retention import age_ms, prune
from marketlink.storage.tables import event_attempts, events, web_sessions
from tests.api.test_outbox import claim, ordered, settle
from tests.helpers import START_MS

DAY_MS = 86_400_000


async def copy_event(world, source_id: str, number: int, **changes) -> str:
    async with world.db.write() as conn:
        row = dict((await conn.execute(select(events).where(events.c.id == source_id))).mappings().one())
        row.pop("seq")
        row |= {"id": f"00000000-0000-4000-8000-0000000001{number:02d}", "token": f"copy-{number}"} | changes
        await conn.execute(events.insert(), row)
    return row["id"]


async def remaining(world) -> tuple[list[str], list[str]]:
    async with world.db.read() as conn:
        event_ids = (await conn.execute(select(events.c.id).order_by(events.c.seq))).scalars().all()
        attempt_events = (await conn.execute(select(event_attempts.c.event_id)
                                             .order_by(event_attempts.c.started_on))).scalars().all()
    return list(event_ids), list(attempt_events)


async def test_resolved_events_past_the_age_go_with_their_attempts_and_the_rest_stay(world):
    ids = await ordered(world)
    await claim(world, "w")
    await settle(world, ids["first"], "w", "SUCCEEDED")   # resolved at START_MS + 5
    await claim(world, "w")
    await settle(world, ids["second"], "w", "FAILED")
    old_queued = await copy_event(world, ids["first"], 1, status="QUEUED", resolved_on=None,
                                  result_success=None)
    old_pending = await copy_event(world, ids["first"], 2, status="PENDING", resolved_on=None)
    world.clock.advance(91 * DAY_MS)
    recent = await copy_event(world, ids["first"], 3, resolved_on=START_MS + 90 * DAY_MS)

    pruned = await prune(world.db, world.services, age_ms("90d"), batch=1)

    assert (pruned.events, pruned.attempts) == (2, 2)
    assert await remaining(world) == ([old_queued, old_pending, recent], [])


async def test_nothing_is_old_enough_and_nothing_goes(world):
    ids = await ordered(world)
    await claim(world, "w")
    await settle(world, ids["first"], "w", "SUCCEEDED")
    world.clock.advance(DAY_MS)

    pruned = await prune(world.db, world.services, age_ms("2d"))

    assert (pruned.events, pruned.attempts, pruned.sign_in_rows) == (0, 0, 0)
    assert await remaining(world) == ([ids["first"], ids["second"]], [ids["first"]])


async def test_expired_sessions_are_deleted(world):
    user_id = await any_user(world)
    async with world.db.write() as conn:
        await conn.execute(web_sessions.insert(), {
            "id": "a" * 64, "user_id": user_id, "created_on": START_MS, "expires_on": START_MS + 10,
            "sid": "1" * 32})
    world.clock.advance(11)

    pruned = await prune(world.db, world.services, age_ms("1d"))

    assert pruned.sign_in_rows == 1
    async with world.db.read() as conn:
        assert (await conn.execute(select(web_sessions.c.id))).all() == []


async def any_user(world) -> str:
    from tests.api.test_commerce import buyer
    _, user_id = await buyer(world)
    return user_id


@pytest.mark.parametrize("text, expected", [("90d", 90 * DAY_MS), ("12h", 43_200_000),
                                            ("30m", 1_800_000), ("3600s", 3_600_000)])
def test_ages_are_a_number_and_a_unit(text, expected):
    assert age_ms(text) == expected


@pytest.mark.parametrize("text", ["", "d", "0d", "-1d", "1.5d", "10", "10w", "٣d"])
def test_other_ages_are_refused(text):
    with pytest.raises(ValueError) as refused:
        age_ms(text)
    assert str(refused.value) == "give the age as a whole number and a unit: 90d, 12h, 30m or 3600s"

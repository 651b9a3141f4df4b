"""The activity of an integration: attempts per hour and outcome, and their latency, counted
in SQL over a fixed window (both databases)."""

from marketlink.domain.actors import Actor, Role
from marketlink.domain.event_stats import HOUR_MS, ActivityBucket, integration_activity, window_start
from marketlink.domain.ids import new_id
from marketlink.domain.integrations import create_integration
from marketlink.storage.tables import event_attempts, events
from tests.helpers import START_MS

NOW = START_MS + 30 * 60_000  # START_MS is on the hour: the window's last bucket starts there
FIRST = START_MS - 23 * HOUR_MS


async def _integration(world, vendor_id: str, name: str) -> str:
    developer = Actor(Role.DEVELOPER, vendor_id)
    outcome = await world.db.command(lambda conn: create_integration(
        conn, developer, world.services, {"name": name, "createUrl": "https://host.example/create"}))
    assert outcome.errors == []
    return outcome.value.id


async def _event(world, vendor_id: str, integration_id: str, created_on: int,
                 attempts: list[tuple[int, str, int | None]]) -> None:
    """An event created at ``created_on`` with attempts (started_on, outcome, duration_ms)."""
    event_id = new_id()
    async with world.db.write() as conn:
        await conn.execute(events.insert(), {
            "id": event_id, "token": new_id().replace("-", ""), "type": "SUBSCRIPTION_ORDER",
            "vendor_id": vendor_id, "integration_id": integration_id,
            "integration_version_id": integration_id, "document": {"type": "SUBSCRIPTION_ORDER"},
            "status": "SUCCEEDED", "attempts": len(attempts), "created_on": created_on})
        for number, (started_on, outcome, duration_ms) in enumerate(attempts, 1):
            await conn.execute(event_attempts.insert(), {
                "id": new_id(), "event_id": event_id, "number": number, "started_on": started_on,
                "duration_ms": duration_ms, "url": "https://host.example/create", "outcome": outcome})


async def _activity(world, actor: Actor, integration_id: str):
    async with world.db.read() as conn:
        return await integration_activity(conn, actor, integration_id, NOW)


def test_the_window_ends_with_the_bucket_of_now():
    assert window_start(NOW) == FIRST
    assert window_start(START_MS) == FIRST
    assert window_start(START_MS - 1) == FIRST - HOUR_MS


async def test_attempts_are_counted_per_hour_and_outcome_with_their_latency(world):
    integration = await _integration(world, world.vendor_a, "Host")
    other = await _integration(world, world.vendor_a, "Other host")
    await _event(world, world.vendor_a, integration, FIRST, [
        (FIRST, "TRANSPORT_ERROR", 100), (FIRST + 1000, "TRANSPORT_ERROR", 300),
        (FIRST + HOUR_MS - 1, "SUCCEEDED", 50)])
    await _event(world, world.vendor_a, integration, START_MS, [
        (START_MS + 10, "PENDING", 20), (START_MS + 20, "INVALID_RESPONSE", None)])
    await _event(world, world.vendor_a, integration, START_MS + 5, [(START_MS + 30, "GONE", 7)])
    await _event(world, world.vendor_a, integration, FIRST - 10, [(FIRST - 1, "SUCCEEDED", 9)])  # before the window
    await _event(world, world.vendor_a, other, START_MS, [(START_MS, "SUCCEEDED", 5)])  # another integration

    activity = await _activity(world, Actor(Role.DEVELOPER, world.vendor_a), integration)

    assert activity.integration.id == integration
    assert len(activity.buckets) == 24
    assert activity.buckets[0] == ActivityBucket(FIRST, (1, 0, 0, 2), 150, 300)
    assert activity.buckets[23] == ActivityBucket(START_MS, (0, 1, 2, 0), 14, 20)
    assert set(activity.buckets[1:23]) == {
        ActivityBucket(FIRST + i * HOUR_MS, (0, 0, 0, 0), None, None) for i in range(1, 23)}


async def test_an_event_created_long_before_the_window_is_not_looked_at(world):
    integration = await _integration(world, world.vendor_a, "Host")
    await _event(world, world.vendor_a, integration, FIRST - 24 * HOUR_MS - 1, [(START_MS, "SUCCEEDED", 5)])
    await _event(world, world.vendor_a, integration, FIRST - 24 * HOUR_MS, [(START_MS, "SUCCEEDED", 7)])

    activity = await _activity(world, Actor(Role.ADMIN, None), integration)

    assert activity.buckets[23] == ActivityBucket(START_MS, (1, 0, 0, 0), 7, 7)


async def test_another_vendors_integration_reads_as_missing(world):
    integration = await _integration(world, world.vendor_a, "Host")

    assert await _activity(world, Actor(Role.DEVELOPER, world.vendor_b), integration) is None
    assert await _activity(world, Actor(Role.DEVELOPER, world.vendor_a), "not-an-id") is None
    assert await _activity(world, Actor(Role.ADMIN, None), new_id()) is None

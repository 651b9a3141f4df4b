"""Prometheus metrics over HTTP (marketlink/metrics.py): the queue read from the database,
attempts counted by outcome and mode, token fetch failures, per-host concurrency; scraped with
prometheus_client's own text parser, as Prometheus would read them. SQLite and PostgreSQL."""

import asyncio

import httpx
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.test_delivery import Host, order_through, running_system, system  # noqa: F401 (fixture)


async def scrape(base_url: str) -> dict[tuple[str, tuple], float]:
    async with httpx.AsyncClient(base_url=base_url) as client:
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.text) for sample in family.samples}


async def test_the_queue_then_the_delivery_show_in_the_metrics(system):
    app, clock, start_host, worker = system
    host = await start_host(Host(answers=[(200, {"success": True, "accountIdentifier": "a-1"})]))
    await order_through(app, host)
    clock.advance(2500)

    queued = await scrape(start_host.marketlink)
    await worker.run_until_idle()
    delivered = await scrape(start_host.marketlink)

    assert (queued[("marketlink_events_due", ())], queued[("marketlink_oldest_due_event_age_seconds", ())],
            queued[("marketlink_events_pending", ())]) == (1.0, 2.5, 0.0)
    assert ("marketlink_deliveries_total", (("mode", "NOTIFY"), ("outcome", "SUCCEEDED"))) not in queued
    assert delivered[("marketlink_events_due", ())] == 0.0
    assert delivered[("marketlink_oldest_due_event_age_seconds", ())] == 0.0
    assert delivered[("marketlink_deliveries_total", (("mode", "NOTIFY"), ("outcome", "SUCCEEDED")))] == 1.0
    assert delivered[("marketlink_delivery_duration_seconds_count", (("mode", "NOTIFY"),))] == 1.0
    assert delivered[("marketlink_delivery_latency_seconds_count", (("outcome", "SUCCEEDED"),))] == 1.0
    assert delivered[("marketlink_delivery_latency_seconds_sum", (("outcome", "SUCCEEDED"),))] == 2.5
    assert not any(name == "marketlink_host_notifications_in_flight" for name, _ in delivered)


async def refuse(_: web.Request) -> web.Response:
    return web.Response(status=500)


async def test_notifications_under_way_are_counted_per_host(system):
    app, _, start_host, worker = system
    answered, release = asyncio.Event(), asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        answered.set()
        await release.wait()
        return web.json_response({"success": False, "errorCode": "UNKNOWN_ERROR"})

    slow_host = web.Application()
    slow_host.router.add_get("/create", slow)
    host = Host(answers=[])
    host.url = await start_host.app(slow_host)
    host.marketlink = start_host.marketlink
    await order_through(app, host)

    delivering = asyncio.create_task(worker.run_until_idle())
    await asyncio.wait_for(answered.wait(), 10)
    during = await scrape(start_host.marketlink)
    release.set()
    await delivering
    after = await scrape(start_host.marketlink)

    authority = host.url.removeprefix("http://")
    assert during[("marketlink_host_notifications_in_flight", (("host", authority),))] == 1.0
    assert not any(name == "marketlink_host_notifications_in_flight" for name, _ in after)
    assert after[("marketlink_deliveries_total", (("mode", "NOTIFY"), ("outcome", "FAILED")))] == 1.0


async def test_a_failing_token_uri_counts_as_a_token_fetch_failure(system):
    app, _, start_host, worker = system
    token_host = web.Application()
    token_host.router.add_post("/token", refuse)
    token_url = await start_host.app(token_host)
    host = await start_host(Host(answers=[]))
    await order_through(app, host, {"type": "OAUTH2", "clientId": "c", "clientSecret": "s",
                                    "tokenUri": token_url + "/token", "grantType": "client_credentials"})

    await worker.run_until_idle()
    metrics = await scrape(start_host.marketlink)

    assert metrics[("marketlink_token_fetch_failures_total", ())] == 1.0
    assert metrics[("marketlink_deliveries_total", (("mode", "NOTIFY"), ("outcome", "TRANSPORT_ERROR")))] == 1.0
    assert host.notifications == []

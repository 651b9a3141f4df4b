"""A slow host holds back only its own events: the worker keeps at most
``http_connections_per_host`` notifications in flight per host and claims past the rest."""

import asyncio

from aiohttp import web

from marketlink.domain.actors import Role
from marketlink.domain.vendors import create_token, create_vendor
from tests.e2e.test_delivery import GQL, Call, system  # noqa: F401 (fixture)

ORDERS = """query { events(first: 100) { nodes { status } } }"""


async def shop(app, call: Call, host_url: str, admin: str) -> dict:
    """A published product whose integration notifies ``host_url``, and a buyer."""
    services = app.state.services
    async with app.state.db.write() as conn:
        vendor = await create_vendor(conn, services, "Vendor")
        developer = await create_token(conn, services, Role.DEVELOPER, vendor, "dev")
    data = await call(GQL["setup"], {"integration": {
        "name": "Host", "createUrl": host_url + "/create?eventUrl={eventUrl}", "cancelUrl": host_url + "/c"},
        "product": {"name": "App", "editions": [{"code": "BASIC", "name": "Basic"}]}}, developer)
    ids = {"p": data["createProduct"]["product"]["id"],
           "i": data["createProductIntegration"]["productIntegration"]["id"]}
    await call(GQL["publish_link"], ids, developer)
    company = (await call(GQL["company"], {}, admin))["createCompany"]["company"]["id"]
    user = (await call(GQL["user"].replace("ada@", f"ada{host_url[-5:]}@"), {"c": company}, admin))[
        "createUser"]["user"]["id"]
    return {"p": ids["p"], "c": company, "u": user}


async def test_fifty_orders_for_a_stuck_host_do_not_delay_another_host(system):  # noqa: F811
    app, _, start_host, worker = system
    release, stuck_in_flight, fast_seen = asyncio.Event(), [], []

    async def stuck(request: web.Request) -> web.Response:
        stuck_in_flight.append(request.query["eventUrl"])
        await release.wait()
        return web.json_response({"success": True, "accountIdentifier": "slow"})

    async def fast(request: web.Request) -> web.Response:
        fast_seen.append(request.query["eventUrl"])
        return web.json_response({"success": True, "accountIdentifier": "fast"})

    slow_url, fast_url = await start_host.app(_app(stuck)), await start_host.app(_app(fast))
    async with app.state.db.write() as conn:
        admin = await create_token(conn, app.state.services, Role.ADMIN, None, "admin")
    call = Call(start_host.marketlink)
    slow_shop, fast_shop = await shop(app, call, slow_url, admin), await shop(app, call, fast_url, admin)
    for _ in range(50):
        await call(GQL["order"], slow_shop, admin)
    for _ in range(5):
        await call(GQL["order"], fast_shop, admin)

    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    for _ in range(200):
        if len(fast_seen) == 5:
            break
        await asyncio.sleep(0.05)
    statuses = [n["status"] for n in (await call(ORDERS, {}, admin))["events"]["nodes"]]
    in_flight_while_fast_done = len(stuck_in_flight)
    release.set()
    stop.set()
    await running

    assert len(fast_seen) == 5
    assert in_flight_while_fast_done == app.state.services.settings.http_connections_per_host == 4
    assert statuses.count("SUCCEEDED") == 5  # the fast host's, while the stuck host holds 4
    assert statuses.count("DELIVERING") == 4 and statuses.count("QUEUED") == 46


def _app(handler) -> web.Application:  # type: ignore[no-untyped-def]
    app = web.Application()
    app.router.add_get("/create", handler)
    return app

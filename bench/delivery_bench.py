"""Event delivery, measured end to end against a product host on loopback.

In one run:

* ``raw``: the floor. A plain aiohttp GET loop from this process to the product host's fast
  endpoint, ``--concurrency`` connections for ``--seconds``: what the host and the loopback
  stack can take.
* ``notify-then-fetch``: ``--events`` orders placed through GraphQL (8 at a time) on a
  ``marketlink serve`` (its worker on, SQLite or a fresh PostgreSQL database). For each order
  the worker notifies the host; the host (written as a vendor would: token cached, event fetched
  as JSON) answers success. Measured: events/s from the first order to the last notification,
  p50/p99 from the order's commit (its answer received) to the notification's arrival, the
  server's CPU seconds per 1,000 events, and the ratio of events/s to the raw floor.

* ``direct mode``: the same with an integration in DIRECT mode: the worker POSTs the signed
  document and the host answers from it, without fetching.

Run:
``.venv/bin/python bench/delivery_bench.py [--events N] [--seconds S] [--database-url postgresql://...]``.
"""

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import httpx
from aiohttp import web

sys.path.insert(0, str(Path(__file__).parent))
from graphql_bench import (  # noqa: E402  (a sibling script, not a package)
    HOST,
    cli,
    cpu_seconds,
    create_database,
    drop_database,
    free_port,
    server_env,
    start_server,
    stop_server,
    wait_healthy,
)

SETUP = """mutation($integration: CreateProductIntegrationInput!, $product: CreateProductInput!) {
  createProductIntegration(input: $integration) { productIntegration { id } }
  createProduct(input: $product) { product { id } } }"""
CLIENT = """mutation($id: ID!) { generateProductIntegrationInboundClient(input: {id: $id}) {
  productIntegrationInboundClient { clientId clientSecret } } }"""
PUBLISH_LINK = """mutation($p: ID!, $i: ID!) { publishProductIntegration(input: {integrationId: $i}) {
  productIntegration { id } } linkProductIntegration(input: {productId: $p, integrationId: $i}) {
  product { id } } }"""
BUYER = """mutation { createCompany(input: {name: "Bench Buyer", country: "US"}) { company { id } } }"""
USER = """mutation($c: ID!) { createUser(input: {companyId: $c, email: "bench@buyer.example",
  firstName: "B", lastName: "B", language: "en"}) { user { id } } }"""
ORDER = """mutation($p: ID!, $c: ID!, $u: ID!) { createSubscription(input: {productId: $p, companyId: $c,
  creatorId: $u, editionCode: "BASIC", pricingDuration: MONTHLY}) { subscription { id } } }"""
ROTATE = """mutation($id: ID!) { rotateProductIntegrationWebhookSecret(input: {id: $id}) {
  webhookSecret { createdOn } } }"""
EVENT_URLS = """query($after: String) { events(first: 100, after: $after) { nodes { id url subscriptionId }
  pageInfo { hasNextPage endCursor } } }"""


class ProductHost:
    """Answers notifications as a vendor would; records when each event's notification came."""

    def __init__(self) -> None:
        self.marketlink = ""
        self.credentials: dict[str, str] = {}
        self.arrivals: dict[str, float] = {}
        self._token: str | None = None
        self._session: aiohttp.ClientSession | None = None

    async def notification(self, request: web.Request) -> web.Response:
        event_url = request.query["eventUrl"]
        self.arrivals[event_url.rsplit("/", 1)[1]] = time.monotonic()
        async with self._session.get(event_url, headers={"Authorization": f"Bearer {await self._bearer()}",
                                                         "Accept": "application/json"}) as answer:
            await answer.read()
        return web.json_response({"success": True, "accountIdentifier": "bench"})

    async def fast(self, _: web.Request) -> web.Response:
        return web.json_response({"success": True})

    async def direct(self, request: web.Request) -> web.Response:
        """DIRECT mode: the document is the body; no fetch (signature checks cost the host)."""
        document = await request.json()
        self.arrivals[request.headers["webhook-id"]] = time.monotonic()
        return web.json_response({"success": document["type"] == "SUBSCRIPTION_ORDER",
                                  "accountIdentifier": "bench"})

    async def _bearer(self) -> str:
        if self._token is None:
            auth = aiohttp.BasicAuth(self.credentials["clientId"], self.credentials["clientSecret"])
            async with self._session.post(f"{self.marketlink}/oauth2/token", headers={"Authorization": auth.encode()},
                                          data={"grant_type": "client_credentials"}) as answer:
                self._token = (await answer.json())["access_token"]
        return self._token

    async def start(self) -> tuple[web.AppRunner, str]:
        self._session = aiohttp.ClientSession()
        app = web.Application()
        app.router.add_get("/create", self.notification)
        app.router.add_get("/fast", self.fast)
        app.router.add_post("/direct", self.direct)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, HOST, 0).start()
        return runner, f"http://{HOST}:{runner.addresses[0][1]}"

    async def close(self) -> None:
        await self._session.close()


async def raw_rate(url: str, seconds: float, concurrency: int) -> float:
    """Requests per second of a plain GET loop: the floor."""
    done, deadline = 0, time.monotonic() + seconds

    async def loop(session: aiohttp.ClientSession) -> None:
        nonlocal done
        while time.monotonic() < deadline:
            async with session.get(url) as answer:
                await answer.read()
            done += 1

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        started = time.monotonic()
        await asyncio.gather(*(loop(session) for _ in range(concurrency)))
        return done / (time.monotonic() - started)


async def configure(gql, host_url: str, developer: str, admin: str, direct: bool = False) -> tuple[dict, dict]:
    url = host_url + ("/direct" if direct else "/create?eventUrl={eventUrl}")
    mode = {"deliveryMode": "DIRECT"} if direct else {}
    data = await gql(SETUP, {"integration": {"name": "Bench", "createUrl": url, "cancelUrl": url} | mode,
                             "product": {"name": "Bench", "editions": [{"code": "BASIC", "name": "Basic"}]}},
                     developer)
    integration = data["createProductIntegration"]["productIntegration"]["id"]
    product = data["createProduct"]["product"]["id"]
    credentials = (await gql(CLIENT, {"id": integration}, developer))[
        "generateProductIntegrationInboundClient"]["productIntegrationInboundClient"]
    await gql(PUBLISH_LINK, {"p": product, "i": integration}, developer)
    if direct:
        await gql(ROTATE, {"id": integration}, developer)
    company = (await gql(BUYER, {}, admin))["createCompany"]["company"]["id"]
    email = f"bench{'-direct' if direct else ''}@buyer.example"
    user = (await gql(USER.replace("bench@buyer.example", email), {"c": company}, admin))["createUser"]["user"]["id"]
    return credentials, {"p": product, "c": company, "u": user}


async def place_orders(gql, order: dict, admin: str, count: int, rate: float | None) -> dict[str, float]:
    """Subscription id -> when its order's answer (so its commit) came back. With ``rate``,
    order i is placed no earlier than i / rate seconds after the start."""
    committed: dict[str, float] = {}
    queue = iter(range(count))
    start = time.monotonic()

    async def placer() -> None:
        for number in queue:
            if rate:
                await asyncio.sleep(max(0.0, start + number / rate - time.monotonic()))
            data = await gql(ORDER, order, admin)
            committed[data["createSubscription"]["subscription"]["id"]] = time.monotonic()

    await asyncio.gather(*(placer() for _ in range(8)))
    return committed


async def event_keys(gql, admin: str, direct: bool) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Subscription id -> what the host records arrivals by: the event id (DIRECT's
    webhook-id) or the event URL's token."""
    found, after = {}, None
    while True:
        page = (await gql(EVENT_URLS, {"after": after}, admin))["events"]
        found |= {n["subscriptionId"]: n["id"] if direct else n["url"].rsplit("/", 1)[1]
                  for n in page["nodes"]}
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


async def measure(base_url: str, developer: str, admin: str, server_pid: int, args) -> dict:
    host = ProductHost()
    runner, host_url = await host.start()
    host.marketlink = base_url
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        async def gql(query: str, variables: dict, token: str) -> dict:
            body = (await client.post("/graphql", json={"query": query, "variables": variables},
                                      headers={"Authorization": f"Bearer {token}"})).json()
            if "errors" in body:
                raise RuntimeError(body["errors"])
            return body["data"]

        try:
            floor = await raw_rate(host_url + "/fast", args.seconds, args.concurrency)
            results = {"floor": floor, "events": args.events, "order_rate": args.rate}
            for mode in ("direct", "fetch"):
                results[mode] = await run_mode(gql, host, host_url, developer, admin, server_pid,
                                               args, direct=mode == "direct")
        finally:
            await runner.cleanup()
            await host.close()
    return results


async def run_mode(gql, host: ProductHost, host_url: str, developer: str, admin: str,  # type: ignore[no-untyped-def]
                   server_pid: int, args, *, direct: bool) -> dict:
    credentials, order = await configure(gql, host_url, developer, admin, direct)
    host.credentials, host.arrivals = credentials, {}
    cpu_before, started = cpu_seconds(server_pid), time.monotonic()
    committed = await place_orders(gql, order, admin, args.events, args.rate)
    deadline = time.monotonic() + 120
    while len(host.arrivals) < args.events and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    finished, cpu_after = max(host.arrivals.values(), default=started), cpu_seconds(server_pid)
    keys = await event_keys(gql, admin, direct)
    latencies = sorted((host.arrivals[keys[s]] - t) * 1000 for s, t in committed.items()
                       if keys.get(s) in host.arrivals)
    return {"delivered": len(host.arrivals), "latencies": latencies,
            "rate": len(host.arrivals) / max(finished - started, 1e-9),
            "cpu_per_1000": (cpu_after - cpu_before) / max(len(host.arrivals), 1) * 1000}


def report(result: dict, database: str) -> int:
    print(f"\n{database}: {result['events']} orders per mode\n")
    print(f"{'workload':<20}{'per s':>10}{'x raw':>8}{'p50 ms':>9}{'p99 ms':>9}"
          f"{'server CPU s/1000':>19}{'delivered':>11}")
    print(f"{'raw GET loop':<20}{result['floor']:>10.1f}{1.0:>8.2f}")
    for name, key in (("direct mode", "direct"), ("notify-then-fetch", "fetch")):
        mode, lat = result[key], result[key]["latencies"]
        p50 = statistics.median(lat) if lat else float("nan")
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else float("nan")
        print(f"{name:<20}{mode['rate']:>10.1f}{mode['rate'] / result['floor']:>8.2f}{p50:>9.1f}"
              f"{p99:>9.1f}{mode['cpu_per_1000']:>19.2f}{mode['delivered']:>11}")
    print(f"\ntargets: direct >= 0.5 x raw, notify-then-fetch >= 0.25 x raw, p99 <= 50 ms at half "
          f"the maximum rate (orders placed at {result['order_rate'] or 'the maximum'} per second)")
    complete = all(result[k]["delivered"] == result["events"] for k in ("direct", "fetch"))
    return 0 if complete else 1


def bench(data_dir: Path, database_url: str, args) -> int:
    port = free_port()
    env = server_env(data_dir, database_url, port) | {"MARKETLINK_ALLOW_PRIVATE_URLS": "true"}
    cli(env, "migrate")
    vendor = cli(env, "vendor", "create", "Bench Vendor")
    developer = cli(env, "token", "create", "--role", "DEVELOPER", "--vendor", vendor)
    admin = cli(env, "token", "create", "--role", "ADMIN")
    server, log = None, data_dir / "server.log"
    try:
        server = start_server(env, port, log)
        wait_healthy(server, f"http://{HOST}:{port}", log)
        result = asyncio.run(measure(f"http://{HOST}:{port}", developer, admin, server.pid, args))
    finally:
        stop_server(server)
    return report(result, "SQLite" if database_url.startswith("sqlite") else "PostgreSQL")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of the raw GET loop")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rate", type=float, default=None,
                        help="orders per second (default: as fast as the API takes them)")
    parser.add_argument("--database-url", default=None, help="postgresql://... (a fresh database is made)")
    args = parser.parse_args()
    if not 1 <= args.events <= 100_000 or not 1 <= args.seconds <= 120:
        parser.error("--events 1..100000, --seconds 1..120")
    with tempfile.TemporaryDirectory(prefix="marketlink-delivery-bench-") as data_dir:
        if not args.database_url:
            return bench(Path(data_dir), f"sqlite+aiosqlite:///{data_dir}/bench.db", args)
        database_url = create_database(args.database_url)
        try:
            return bench(Path(data_dir), database_url, args)
        finally:
            drop_database(args.database_url, database_url)


if __name__ == "__main__":
    sys.exit(main())

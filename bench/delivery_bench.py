"""Event delivery, measured end to end against a product host on loopback.

In one run:

* ``raw``: the floor. A plain aiohttp GET loop from this process to the product host's fast
  endpoint, ``--concurrency`` connections for ``--seconds``: what the host and the loopback
  stack can take.
* ``direct mode`` and ``notify-then-fetch``, each in two phases:
  - drain (the maximum rate): ``--events`` orders placed through GraphQL on a ``marketlink
    serve`` whose worker is off; then one ``marketlink worker`` process delivers the backlog.
    Measured: events/s from the first notification's arrival to the last, CPU seconds per
    1,000 events of the worker and of the server (which answers the host's token and event
    fetches), and the ratio of events/s to the raw floor.
  - latency: the server restarted with its own worker; orders placed at half the most that
    one server takes end to end (or ``--rate``); p50/p99 from each order's commit (its answer
    received) to its notification's arrival at the host.
  In DIRECT mode the worker POSTs the signed document and the host answers from it; in
  notify-then-fetch the host (written as a vendor would: token cached) fetches the event as
  JSON before answering.
* ``--old-events N``: then N delivered events (and N attempts) are written straight into the
  tables and the direct-mode drain runs again: its rate next to the empty database's.

Run:
``.venv/bin/python bench/delivery_bench.py [--events N] [--host-connections C] [--old-events N]
[--database-url postgresql://...]``.
"""

import argparse
import asyncio
import base64
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
import httpx
from aiohttp import web

sys.path.insert(0, str(Path(__file__).parent))
from graphql_bench import (  # noqa: E402  (a sibling script, not a package)
    BIN,
    HOST,
    cli,
    cpu_seconds,
    free_port,
    on_database,
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
        self.phase = ""
        self._token: str | None = None
        self._session: aiohttp.ClientSession | None = None

    async def notification(self, request: web.Request) -> web.Response:
        event_url = request.query["eventUrl"]
        if request.match_info["phase"] == self.phase:  # not a straggler of an earlier phase
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
        if request.match_info["phase"] == self.phase:
            self.arrivals[request.headers["webhook-id"]] = time.monotonic()
        return web.json_response({"success": document["type"] == "SUBSCRIPTION_ORDER",
                                  "accountIdentifier": "bench"})

    async def _bearer(self) -> str:
        if self._token is None:
            pair = f"{self.credentials['clientId']}:{self.credentials['clientSecret']}".encode()
            basic = "Basic " + base64.b64encode(pair).decode()
            async with self._session.post(f"{self.marketlink}/oauth2/token", headers={"Authorization": basic},
                                          data={"grant_type": "client_credentials"}) as answer:
                self._token = (await answer.json())["access_token"]
        return self._token

    async def start(self) -> tuple[web.AppRunner, str]:
        self._session = aiohttp.ClientSession()
        app = web.Application()
        app.router.add_get("/create/{phase}", self.notification)
        app.router.add_get("/fast", self.fast)
        app.router.add_post("/direct/{phase}", self.direct)
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


async def configure(gql, host: "ProductHost", host_url: str, developer: str, admin: str,  # type: ignore[no-untyped-def]
                    direct: bool = False) -> tuple[dict, dict]:
    """A new integration (and buyer) whose URLs name a new phase: the host counts only its events."""
    host.phase = uuid.uuid4().hex[:8]
    url = host_url + (f"/direct/{host.phase}" if direct else f"/create/{host.phase}?eventUrl={{eventUrl}}")
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
    email = f"bench-{uuid.uuid4().hex[:12]}@buyer.example"
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


class Deployment:
    """The processes under test: ``marketlink serve`` (API, event fetch, and in the latency
    phase its in-process worker) and, in the drain phase, a ``marketlink worker`` process."""

    def __init__(self, data_dir: Path, database_url: str, args) -> None:
        self.port = free_port()
        self.base_url = f"http://{HOST}:{self.port}"
        self.env = server_env(data_dir, database_url, self.port) | {
            "MARKETLINK_ALLOW_PRIVATE_URLS": "true",
            "MARKETLINK_HTTP_CONNECTIONS_PER_HOST": str(args.host_connections)}
        self.data_dir, self.database_url = data_dir, database_url
        self.profile = args.profile_worker
        self.server: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None

    def serve(self, *, with_worker: bool) -> None:
        stop_server(self.server)
        env = self.env | {"MARKETLINK_RUN_WORKER": "true" if with_worker else "false"}
        log = self.data_dir / "server.log"
        self.server = start_server(env, self.port, log)
        wait_healthy(self.server, self.base_url, log)

    def start_worker(self) -> None:
        with (self.data_dir / "worker.log").open("ab") as out:
            profile = ["-m", "cProfile", "-o", self.profile] if self.profile else []
            self.worker = subprocess.Popen([sys.executable, *profile, str(BIN / "marketlink"), "worker"], env=self.env,
                                           stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self) -> None:
        stop_server(self.worker)
        stop_server(self.server)
        self.worker = self.server = None

    def cpu(self) -> tuple[float, float]:
        """CPU seconds of the server and of the worker process so far."""
        return tuple(cpu_seconds(p.pid) if p and p.poll() is None else 0.0  # type: ignore[return-value]
                     for p in (self.server, self.worker))


async def measure(deployment: Deployment, developer: str, admin: str, args) -> dict:
    host = ProductHost()
    runner, host_url = await host.start()
    host.marketlink = deployment.base_url
    async with httpx.AsyncClient(base_url=deployment.base_url, timeout=30) as client:
        async def gql(query: str, variables: dict, token: str) -> dict:
            body = (await client.post("/graphql", json={"query": query, "variables": variables},
                                      headers={"Authorization": f"Bearer {token}"})).json()
            if "errors" in body:
                raise RuntimeError(body["errors"])
            return body["data"]

        try:
            floor = await raw_rate(host_url + "/fast", args.seconds, args.concurrency)
            results = {"floor": floor, "events": args.events}
            for mode in ("direct", "fetch"):
                results[mode] = await run_mode(gql, host, host_url, developer, admin, deployment,
                                               args, direct=mode == "direct")
            if args.old_events:
                deployment.stop()
                filled = await fill_old_events(deployment.database_url, args.old_events)
                deployment.serve(with_worker=False)
                results["old"] = await drain(gql, host, host_url, developer, admin, deployment, args,
                                             direct=True) | {"filled_s": filled}
        finally:
            deployment.stop()
            await runner.cleanup()
            await host.close()
    return results


async def run_mode(gql, host: ProductHost, host_url: str, developer: str, admin: str,  # type: ignore[no-untyped-def]
                   deployment: Deployment, args, *, direct: bool) -> dict:
    """Drain a backlog with a worker process (the maximum rate), then measure latency with
    the in-process worker at half that rate (or ``--rate``)."""
    deployment.serve(with_worker=False)
    result = await drain(gql, host, host_url, developer, admin, deployment, args, direct=direct)
    deployment.serve(with_worker=True)
    # Half the most the server takes end to end: its own worker shares its core with the API.
    rate = args.rate or 0.5 / (1 / result["api_rate"] + 1 / result["rate"])
    result |= await latency(gql, host, host_url, developer, admin, args, rate, direct=direct)
    return result


async def drain(gql, host: ProductHost, host_url: str, developer: str, admin: str,  # type: ignore[no-untyped-def]
                deployment: Deployment, args, *, direct: bool) -> dict:
    """Orders placed with no worker running; then one worker process delivers the backlog.
    The rate counts from the first notification's arrival to the last."""
    credentials, order = await configure(gql, host, host_url, developer, admin, direct)
    host.credentials, host.arrivals = credentials, {}
    started = time.monotonic()
    await place_orders(gql, order, admin, args.events, None)
    api_rate = args.events / (time.monotonic() - started)
    server_before, _ = deployment.cpu()
    deployment.start_worker()
    deadline = time.monotonic() + 300
    while len(host.arrivals) < args.events and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    server_after, worker_cpu = deployment.cpu()  # the worker's includes its start (~0.5 s of imports)
    stop_server(deployment.worker)
    arrivals = sorted(host.arrivals.values())
    span = arrivals[-1] - arrivals[0] if len(arrivals) > 1 else float("nan")
    return {"delivered": len(arrivals), "rate": (len(arrivals) - 1) / span, "api_rate": api_rate,
            "server_cpu": (server_after - server_before) / max(len(arrivals), 1) * 1000,
            "worker_cpu": worker_cpu / max(len(arrivals), 1) * 1000}


async def latency(gql, host: ProductHost, host_url: str, developer: str, admin: str,  # type: ignore[no-untyped-def]
                  args, rate: float, *, direct: bool) -> dict:
    """Orders placed at ``rate`` per second on a server whose own worker delivers them:
    time from each order's answer (its commit) to its notification's arrival."""
    credentials, order = await configure(gql, host, host_url, developer, admin, direct)
    host.credentials, host.arrivals = credentials, {}
    count = max(50, min(args.events, int(rate * 10)))
    started = time.monotonic()
    committed = await place_orders(gql, order, admin, count, rate)
    placed_rate = count / (time.monotonic() - started)
    deadline = time.monotonic() + 120
    while len(host.arrivals) < count and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    keys = await event_keys(gql, admin, direct)
    latencies = sorted((host.arrivals[keys[s]] - t) * 1000 for s, t in committed.items()
                       if keys.get(s) in host.arrivals)
    return {"latencies": latencies, "latency_rate": placed_rate, "latency_count": count,
            "latency_delivered": len(latencies)}


async def fill_old_events(database_url: str, count: int) -> float:
    """``count`` delivered events (one attempt each) of an existing integration, written
    straight into the tables; the seconds it took."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from marketlink.storage.database import async_database_url

    started = time.monotonic()
    pg = database_url.startswith("postgresql")
    doc = "CAST('{}' AS JSON)" if pg else "'{}'"
    numbers = ("SELECT i FROM generate_series(1, :n) AS i" if pg else
               "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < :n) SELECT i FROM s")
    events_sql = f"""INSERT INTO events (id, token, type, flag, vendor_id, integration_id,
        integration_version_id, document, status, attempts, created_on, resolved_on, result_success)
        SELECT 'old-' || n.i, 'old-' || n.i, 'SUBSCRIPTION_ORDER', 'DEVELOPMENT', v.vendor_id,
               v.integration_id, v.id, {doc}, 'SUCCEEDED', 1, n.i, n.i, TRUE
        FROM ({numbers}) AS n, (SELECT vendor_id, integration_id, id FROM integration_versions
                                WHERE revision > 0 LIMIT 1) AS v"""
    attempts_sql = f"""INSERT INTO event_attempts (id, event_id, number, started_on, duration_ms, url,
        outcome, http_status) SELECT 'old-' || n.i, 'old-' || n.i, 1, n.i, 1,
        'http://old.example/notify', 'SUCCEEDED', 200 FROM ({numbers}) AS n"""
    engine = create_async_engine(async_database_url(database_url))
    try:
        async with engine.begin() as conn:
            await conn.execute(text(events_sql), {"n": count})
            await conn.execute(text(attempts_sql), {"n": count})
        if not pg:  # as old rows would be by now: in the database file, not the WAL
            async with engine.connect() as conn:
                await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        if pg:  # as old rows would be by now; else autovacuum starts in the middle of the drain
            async with engine.connect() as conn:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text("VACUUM (ANALYZE) events, event_attempts"))
    finally:
        await engine.dispose()
    return time.monotonic() - started


def report(result: dict, database: str, args) -> int:
    print(f"\n{database}: {result['events']} orders per mode, {args.concurrency} connections "
          f"(raw loop), {args.host_connections} per host (MarketLink)\n")
    print(f"{'workload':<20}{'events/s':>10}{'x raw':>8}{'worker CPU':>11}{'server CPU':>11}{'API orders/s':>14}"
          f"{'at /s':>8}{'p50 ms':>9}{'p99 ms':>9}{'delivered':>11}")
    print(f"{'raw GET loop':<20}{result['floor']:>10.1f}{1.0:>8.2f}")
    complete = True
    for name, key in (("direct mode", "direct"), ("notify-then-fetch", "fetch")):
        mode, lat = result[key], result[key]["latencies"]
        p50 = statistics.median(lat) if lat else float("nan")
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else float("nan")
        print(f"{name:<20}{mode['rate']:>10.1f}{mode['rate'] / result['floor']:>8.2f}"
              f"{mode['worker_cpu']:>11.2f}{mode['server_cpu']:>11.2f}{mode['api_rate']:>14.1f}{mode['latency_rate']:>8.1f}"
              f"{p50:>9.1f}{p99:>9.1f}{mode['delivered']:>6}+{mode['latency_delivered']}")
        complete &= (mode["delivered"] == result["events"]
                     and mode["latency_delivered"] == mode["latency_count"])
    if "old" in result:
        old = result["old"]
        print(f"{'direct, old events':<20}{old['rate']:>10.1f}{old['rate'] / result['floor']:>8.2f}"
              f"{old['worker_cpu']:>11.2f}{old['server_cpu']:>11.2f}{old['api_rate']:>14.1f}{'':>26}{old['delivered']:>6}")
        print(f"\nwith {args.old_events:,} old events (written in {old['filled_s']:.0f} s): "
              f"{old['rate'] / result['direct']['rate']:.2f} x the empty database's direct rate")
        complete &= old["delivered"] == result["events"]
    print("\nevents/s: a backlog drained by one `marketlink worker` process (first to last arrival);"
          "\nCPU: seconds per 1,000 events, of the worker process (its ~0.5 s start included) and of"
          "\nthe server (token and event fetches); p50/p99: order commit to host receipt with the"
          "\nserver's own worker, orders placed at the 'at /s' rate: half of 1 / (1 / API rate +"
          "\n1 / drain rate), the most one server takes when its worker shares its core with the API"
          "\n(or --rate).")
    print("targets: direct >= 0.5 x raw, notify-then-fetch >= 0.25 x raw, p99 <= 50 ms at half the "
          "maximum rate, old events within 10%")
    return 0 if complete else 1


def bench(data_dir: Path, database_url: str, args) -> int:
    deployment = Deployment(data_dir, database_url, args)
    cli(deployment.env, "migrate")
    vendor = cli(deployment.env, "vendor", "create", "Bench Vendor")
    developer = cli(deployment.env, "token", "create", "--role", "DEVELOPER", "--vendor", vendor)
    admin = cli(deployment.env, "token", "create", "--role", "ADMIN")
    try:
        result = asyncio.run(measure(deployment, developer, admin, args))
    finally:
        deployment.stop()
    return report(result, "SQLite" if database_url.startswith("sqlite") else "PostgreSQL", args)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of the raw GET loop")
    parser.add_argument("--concurrency", type=int, default=8, help="connections of the raw GET loop")
    parser.add_argument("--host-connections", type=int, default=8,
                        help="MARKETLINK_HTTP_CONNECTIONS_PER_HOST of the server and worker")
    parser.add_argument("--rate", type=float, default=None,
                        help="orders per second (default: as fast as the API takes them)")
    parser.add_argument("--database-url", default=None, help="postgresql://... (a fresh database is made)")
    parser.add_argument("--profile-worker", default=None, metavar="FILE",
                        help="write a cProfile of the drain phase's worker process (the last one run)")
    parser.add_argument("--old-events", type=int, default=0,
                        help="then fill the tables with this many delivered events and drain again")
    args = parser.parse_args()
    if not 1 <= args.events <= 100_000 or not 1 <= args.seconds <= 120 or not 0 <= args.old_events <= 10_000_000:
        parser.error("--events 1..100000, --seconds 1..120, --old-events 0..10000000")
    with tempfile.TemporaryDirectory(prefix="marketlink-delivery-bench-") as data_dir:
        return on_database(bench, Path(data_dir), args)


if __name__ == "__main__":
    sys.exit(main())

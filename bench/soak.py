"""Soak: a realistic mix for a long time, with resident memory watched throughout.

What runs:

* ``marketlink serve`` and, with ``--workers N`` (N > 0), N ``marketlink worker`` processes
  (``--workers 0``: the server's own in-process worker, as ``make run`` does).
* Product hosts in a process of their own (``--host-only`` is that process), one per behaviour:
  ``fast`` (notify-then-fetch: the host fetches the event with its token), ``fast-direct``
  (DIRECT: the signed document is POSTed), ``slow-50ms`` (fetch), ``slow-300ms`` (DIRECT),
  ``flaky`` (fetch; 10% of notifications answered 503, at most twice in a row for one event,
  so retried and then answered) and ``failing`` (DIRECT; every
  notification answered 503: the *injected* errors, which end FAILED once the retries are
  spent). Each behaviour has its own integration, published and linked to its own product.
* A load of ``--rate`` operations per second (at most ``--concurrency`` under way) drawn with a
  seeded RNG from a mix: as the developer, integration reads, lists, updates and creates; as the
  admin, orders (companies and their users made as needed), and steps of an existing
  subscription: its events are read, and if none is still open, its status, and one action it
  allows is taken (change, suspend, reactivate, cancel, close, upcoming invoice, assign a new
  user, unassign one), the way a marketplace drives a subscription.

Every answer must be HTTP 200 with no ``errors`` and no ``userErrors``: anything else is an
error and is counted (the first few are printed). At the end the events are counted by host
and status: the ``failing`` host's events must all be FAILED (injected) and every other
host's SUCCEEDED.

Reported, per ``--interval-s`` (60 s): operations/s, p50/p99 latency of the API calls, errors,
events delivered/s (the hosts' count), the most events due and the oldest due event's age
(the server's /metrics, sampled every ``--sample-s``), and the resident memory (RSS) of the server, the
workers and the hosts; then per operation kind: count, p50, p99 and the ratio of p50 to the
``{ __typename }`` floor measured in the same run before the soak. Memory is sampled every
``--sample-s``; the verdict compares every sample from minute 2 (``--flat-from-min``) on with
the one at minute 2 (target: within 10%). The table goes to stdout and to
``<out>/soak-<db>.txt``, the plot to ``<out>/soak-<db>.png``.

Run: ``.venv/bin/python bench/soak.py [--minutes 30] [--rate 20] [--workers 0]
[--database-url postgresql://postgres@127.0.0.1:5432/test]`` (on PostgreSQL, as in
graphql_bench, a throw-away database is created and dropped).
"""

import argparse
import asyncio
import base64
import json
import math
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import httpx
import psutil
from aiohttp import web

sys.path.insert(0, str(Path(__file__).parent))
from graphql_bench import (  # noqa: E402  (a sibling script, not a package)
    BIN,
    HOST,
    cli,
    free_port,
    on_database,
    server_env,
    start_server,
    stop_server,
    wait_healthy,
)

MEMORY_TOLERANCE = 0.10
POOL_LIMIT = 400  # subscriptions the load keeps alive; above it, steps cancel rather than order
OPEN = {"QUEUED", "DELIVERING", "PENDING"}
BEHAVIOURS = {  # name: (delay seconds, share answered 503, DIRECT mode)
    "fast": (0.0, 0.0, False),
    "fast-direct": (0.0, 0.0, True),
    "slow-50ms": (0.05, 0.0, False),
    "slow-300ms": (0.3, 0.0, True),
    "flaky": (0.0, 0.10, False),
    "failing": (0.0, 1.0, True),
}
ORDER_SHARE = {"fast": 4, "fast-direct": 4, "slow-50ms": 3, "slow-300ms": 2, "flaky": 2, "failing": 1}
MIX = {"config_read": 12, "config_list": 4, "config_update": 6, "config_create": 2,
       "order": 16, "step": 60}
EVENT_URLS = ("create", "upgrade", "cancel", "notify", "assign", "unassign", "userUpdated")


# --- product hosts (their own process) -----------------------------------------------------

class Hosts:
    """One aiohttp app answering for every behaviour; counts notifications per behaviour."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.credentials: dict[str, tuple[str, str, str]] = {}  # behaviour -> (base, id, secret)
        self.tokens: dict[str, str] = {}
        self.counts: Counter = Counter()
        self.refused: Counter = Counter()  # event URL -> 503s in a row (while it is retried)
        self.session: aiohttp.ClientSession | None = None

    async def answer(self, request: web.Request) -> web.Response:
        behaviour = request.match_info["behaviour"]
        delay, failing, direct = BEHAVIOURS[behaviour]
        if delay:
            await asyncio.sleep(delay * self.rng.uniform(0.8, 1.2))
        event = request.query.get("eventUrl", request.path)
        # The flaky host refuses one event at most twice in a row, so that with 3 retries its
        # events all succeed (four independent 10% refusals would fail one in 10,000 events).
        if failing == 1.0 or (self.rng.random() < failing and self.refused[event] < 2):
            if failing < 1.0:
                self.refused[event] += 1
            self.counts[f"{behaviour}:503"] += 1
            return web.Response(status=503, text="injected failure")
        self.refused.pop(event, None)
        if direct:
            await request.read()
        else:
            await self.fetch(behaviour, request.query["eventUrl"])
        self.counts[f"{behaviour}:ok"] += 1
        return web.json_response({"success": True, "accountIdentifier": f"acct-{uuid.uuid4().hex[:10]}",
                                  "userIdentifier": f"user-{uuid.uuid4().hex[:10]}"})

    async def fetch(self, behaviour: str, event_url: str) -> None:
        """As a vendor would: the token cached, fetched again once on a 401."""
        for _ in range(2):
            token = self.tokens.get(behaviour) or await self.token(behaviour)
            async with self.session.get(event_url, headers={"Authorization": f"Bearer {token}",
                                                            "Accept": "application/json"}) as got:
                await got.read()
                if got.status != 401:
                    got.raise_for_status()
                    return
            self.tokens.pop(behaviour, None)
        raise RuntimeError("the event fetch was refused twice")

    async def token(self, behaviour: str) -> str:
        base, client_id, secret = self.credentials[behaviour]
        basic = "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        async with self.session.post(f"{base}/oauth2/token", headers={"Authorization": basic},
                                     data={"grant_type": "client_credentials"}) as got:
            self.tokens[behaviour] = (await got.json())["access_token"]
        return self.tokens[behaviour]

    async def set_credentials(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.credentials[body["behaviour"]] = (body["base"], body["clientId"], body["clientSecret"])
        return web.json_response({})

    async def stats(self, _: web.Request) -> web.Response:
        return web.json_response(dict(self.counts))

    async def serve(self, port: int) -> None:
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64))
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", "/hosts/{behaviour}/{kind}", self.answer)
        app.router.add_post("/_credentials", self.set_credentials)
        app.router.add_get("/_stats", self.stats)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, HOST, port).start()
        await asyncio.Event().wait()


def start_hosts(port: int, seed: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, __file__, "--host-only", str(port), "--seed", str(seed)],
                            start_new_session=True)


# --- the API, as a client ------------------------------------------------------------------

@dataclass
class Calls:
    """Latencies and errors of the API calls, by operation kind, and per interval."""
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    timeline: list[tuple[float, str, float, bool]] = field(default_factory=list)  # (t, kind, s, ok)


class Api:
    def __init__(self, client: httpx.AsyncClient, calls: Calls, started: float) -> None:
        self.client, self.calls, self.started = client, calls, started

    async def __call__(self, kind: str, query: str, variables: dict, token: str) -> dict | None:
        began = time.monotonic()
        why, data = None, None
        try:
            answer = await self.client.post("/graphql", json={"query": query, "variables": variables},
                                            headers={"Authorization": f"Bearer {token}"})
            body = answer.json()
            if answer.status_code != 200 or body.get("errors"):
                why = f"HTTP {answer.status_code}: {str(body.get('errors'))[:200]}"
            else:
                data = body["data"]
                for value in data.values():
                    if isinstance(value, dict) and value.get("userErrors"):
                        why, data = f"userErrors: {value['userErrors']}", None
        except (httpx.HTTPError, ValueError) as exc:
            why = f"{type(exc).__name__}: {exc}"
        took = time.monotonic() - began
        self.calls.latencies[kind].append(took)
        self.calls.timeline.append((began - self.started, kind, took, why is None))
        if why:
            self.calls.errors[kind] += 1
            if len(self.calls.examples) < 8:
                self.calls.examples.append(f"{kind}: {why}")
        return data


CREATE_INTEGRATION = """mutation($input: CreateProductIntegrationInput!) {
  createProductIntegration(input: $input) { productIntegration { id } userErrors { code message } } }"""
UPDATE_INTEGRATION = """mutation($input: UpdateProductIntegrationInput!) {
  updateProductIntegration(input: $input) { productIntegration { id name } userErrors { code message } } }"""
READ_INTEGRATION = """query($id: ID!) { productIntegration(id: $id) { id name createUrl cancelUrl
  outboundCredentials { type } ssoConfiguration { __typename } } }"""
LIST_INTEGRATIONS = """query { productIntegrations(first: 20) { nodes { id name } } }"""
CLIENT = """mutation($id: ID!) { generateProductIntegrationInboundClient(input: {id: $id}) {
  productIntegrationInboundClient { clientId clientSecret } userErrors { code message } } }"""
ROTATE = """mutation($id: ID!) { rotateProductIntegrationWebhookSecret(input: {id: $id}) {
  webhookSecret { createdOn } userErrors { code message } } }"""
PRODUCT = """mutation($input: CreateProductInput!) { createProduct(input: $input) { product { id }
  userErrors { code message } } }"""
PUBLISH_LINK = """mutation($p: ID!, $i: ID!) {
  publishProductIntegration(input: {integrationId: $i}) { productIntegration { id } userErrors { code message } }
  linkProductIntegration(input: {productId: $p, integrationId: $i}) { product { id } userErrors { code message } } }"""
COMPANY = """mutation($name: String!) { createCompany(input: {name: $name, country: "US"}) { company { id }
  userErrors { code message } } }"""
USER = """mutation($c: ID!, $email: String!) { createUser(input: {companyId: $c, email: $email, firstName: "Soak",
  lastName: "User", language: "en"}) { user { id } userErrors { code message } } }"""
ORDER = """mutation($p: ID!, $c: ID!, $u: ID!) { createSubscription(input: {productId: $p, companyId: $c,
  creatorId: $u, editionCode: "BASIC", pricingDuration: MONTHLY}) { subscription { id } userErrors { code message } } }"""
READ_EVENTS = """query($id: ID!) { subscription(id: $id) { events { status } } }"""
READ_SUBSCRIPTION = """query($id: ID!) { subscription(id: $id) { status editionCode assignments { userId status } } }"""
STEPS = {
    "change": """mutation($id: ID!, $e: String!) { changeSubscription(input: {id: $id, editionCode: $e}) {
      subscription { id } userErrors { code message } } }""",
    "suspend": """mutation($id: ID!) { suspendSubscription(input: {id: $id}) { subscription { id }
      userErrors { code message } } }""",
    "reactivate": """mutation($id: ID!) { reactivateSubscription(input: {id: $id}) { subscription { id }
      userErrors { code message } } }""",
    "cancel": """mutation($id: ID!) { cancelSubscription(input: {id: $id}) { subscription { id }
      userErrors { code message } } }""",
    "close": """mutation($id: ID!) { closeSubscription(input: {id: $id}) { subscription { id }
      userErrors { code message } } }""",
    "invoice": """mutation($id: ID!) { notifyUpcomingInvoice(input: {id: $id}) { subscription { id }
      userErrors { code message } } }""",
    "assign": """mutation($s: ID!, $u: ID!) { assignUser(input: {subscriptionId: $s, userId: $u}) {
      assignment { id } userErrors { code message } } }""",
    "unassign": """mutation($s: ID!, $u: ID!) { unassignUser(input: {subscriptionId: $s, userId: $u}) {
      assignment { id } userErrors { code message } } }""",
}


# --- the load ------------------------------------------------------------------------------

@dataclass
class Sub:
    id: str
    company: str


class Load:
    """The operation mix; the subscriptions it drives wait in ``pool`` between steps (a step
    takes its subscription out, so one subscription never has two steps under way)."""

    def __init__(self, api: Api, developer: str, admin: str, products: dict[str, str], seed: int) -> None:
        self.api, self.developer, self.admin, self.products = api, developer, admin, products
        self.rng = random.Random(seed)
        self.pool: list[Sub] = []
        self.companies: list[tuple[str, str]] = []  # (company, its first user: the buyer)
        self.scratch: list[str] = []  # integrations the developer made during the run
        self.steps: Counter = Counter()
        self.serial = 0

    def next_name(self) -> str:
        self.serial += 1
        return f"soak-{self.serial}"

    async def run_one(self) -> None:
        kind = self.rng.choices(list(MIX), weights=list(MIX.values()))[0]
        if kind == "step" and not self.pool:
            kind = "order"
        if kind == "order" and len(self.pool) >= POOL_LIMIT:
            kind = "step"
        await getattr(self, kind)()

    async def config_read(self) -> None:
        target = self.rng.choice(self.scratch or list(self.products.values()))
        await self.api("config_read", READ_INTEGRATION, {"id": target.split("|")[0]}, self.developer)

    async def config_list(self) -> None:
        await self.api("config_list", LIST_INTEGRATIONS, {}, self.developer)

    async def config_create(self) -> None:
        data = await self.api("config_create", CREATE_INTEGRATION,
                              {"input": integration_input(self.next_name(), "https://product.example.com/soak")},
                              self.developer)
        if data:
            self.scratch.append(data["createProductIntegration"]["productIntegration"]["id"])

    async def config_update(self) -> None:
        if not self.scratch:
            return await self.config_create()
        await self.api("config_update", UPDATE_INTEGRATION,
                       {"input": {"id": self.rng.choice(self.scratch), "name": self.next_name()}}, self.developer)

    async def buyer(self) -> tuple[str, str] | None:
        if len(self.companies) < 50 and self.rng.random() < 0.2 or not self.companies:
            company = await self.api("company", COMPANY, {"name": self.next_name()}, self.admin)
            if not company:
                return None
            company_id = company["createCompany"]["company"]["id"]
            user = await self.new_user(company_id)
            if user:
                self.companies.append((company_id, user))
        return self.rng.choice(self.companies) if self.companies else None

    async def new_user(self, company: str) -> str | None:
        data = await self.api("user", USER, {"c": company, "email": f"{self.next_name()}@buyer.example"}, self.admin)
        return data["createUser"]["user"]["id"] if data else None

    async def order(self) -> None:
        buyer = await self.buyer()
        if not buyer:
            return
        behaviour = self.rng.choices(list(ORDER_SHARE), weights=list(ORDER_SHARE.values()))[0]
        data = await self.api("order", ORDER, {"p": self.products[behaviour].split("|")[1], "c": buyer[0],
                                               "u": buyer[1]}, self.admin)
        if data:
            self.pool.append(Sub(data["createSubscription"]["subscription"]["id"], buyer[0]))

    async def step(self) -> None:
        sub = self.pool.pop(self.rng.randrange(len(self.pool)))
        keep = True
        try:
            keep = await self.step_of(sub)
        finally:
            if keep:
                self.pool.append(sub)

    async def step_of(self, sub: Sub) -> bool:
        """Read the subscription; take one allowed action when nothing of it is open. False:
        the subscription is done with (closed, or its order failed)."""
        # Two reads: a query's fields are read one after the other, so one query could show the
        # status from before an event that its `events` already show as settled.
        data = await self.api("subscription_read", READ_EVENTS, {"id": sub.id}, self.admin)
        if not data or any(e["status"] in OPEN for e in data["subscription"]["events"]):
            return True
        data = await self.api("subscription_read", READ_SUBSCRIPTION, {"id": sub.id}, self.admin)
        if not data:
            return True
        state = data["subscription"]
        status = state["status"]
        if status in ("FAILED", "CLOSED"):
            return False
        active_users = [a["userId"] for a in state["assignments"] if a["status"] == "ACTIVE"]
        allowed = {"ACTIVE": ["change", "suspend", "invoice", "assign", "assign", "unassign", "cancel"],
                   "SUSPENDED": ["reactivate", "reactivate", "cancel", "close"],
                   "CANCELLED": ["close"]}.get(status, [])
        if not active_users and "unassign" in allowed:
            allowed.remove("unassign")
        if not allowed:
            return True
        action = self.rng.choice(allowed)
        self.steps[action] += 1
        variables: dict = {"id": sub.id}
        if action == "change":
            variables["e"] = "PREMIUM" if state["editionCode"] == "BASIC" else "BASIC"
        elif action == "assign":
            user = await self.new_user(sub.company)
            if not user:
                return True
            variables = {"s": sub.id, "u": user}
        elif action == "unassign":
            variables = {"s": sub.id, "u": self.rng.choice(active_users)}
        await self.api(action, STEPS[action], variables, self.admin)
        return True


def integration_input(name: str, base: str, direct: bool = False) -> dict:
    urls = {f"{e}Url": f"{base}/{e}" + ("" if direct else "?eventUrl={eventUrl}") for e in EVENT_URLS}
    return {"name": name, **urls} | ({"deliveryMode": "DIRECT"} if direct else {})


async def drive(load: Load, seconds: float, rate: float, concurrency: int, interrupted: asyncio.Event) -> int:
    """Start ``rate`` operations a second for ``seconds`` (or until ``interrupted``), at most
    ``concurrency`` under way; the number of starts that had to wait for a free slot (the load
    fell behind)."""
    slots = asyncio.Semaphore(concurrency)
    late = 0
    began = time.monotonic()
    tasks: set[asyncio.Task] = set()

    async def one() -> None:
        try:
            await load.run_one()
        finally:
            slots.release()

    number = 0
    end = began + seconds
    while (due := began + number / rate) < end and time.monotonic() < end and not interrupted.is_set():
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        if slots.locked():
            late += 1
        await slots.acquire()
        task = asyncio.create_task(one())
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        number += 1
    await asyncio.gather(*tasks)
    return late


# --- set-up --------------------------------------------------------------------------------

async def configure(api: Api, developer: str, hosts_url: str, base_url: str) -> dict[str, str]:
    """An integration and a product per behaviour: behaviour -> "integration|product"."""
    made = {}
    async with httpx.AsyncClient() as control:
        for behaviour, (_, _, direct) in BEHAVIOURS.items():
            data = await api("setup", CREATE_INTEGRATION, {"input": integration_input(
                f"Soak {behaviour}", f"{hosts_url}/hosts/{behaviour}", direct)}, developer)
            integration = data["createProductIntegration"]["productIntegration"]["id"]
            client = (await api("setup", CLIENT, {"id": integration}, developer))[
                "generateProductIntegrationInboundClient"]["productIntegrationInboundClient"]
            await control.post(f"{hosts_url}/_credentials", json={"behaviour": behaviour, "base": base_url} | client)
            if direct:
                await api("setup", ROTATE, {"id": integration}, developer)
            product = (await api("setup", PRODUCT, {"input": {"name": f"Soak {behaviour}", "editions": [
                {"code": "BASIC", "name": "Basic"}, {"code": "PREMIUM", "name": "Premium"}]}}, developer))[
                "createProduct"]["product"]["id"]
            if not await api("setup", PUBLISH_LINK, {"p": product, "i": integration}, developer):
                raise RuntimeError("could not publish and link the soak integration")
            made[behaviour] = f"{integration}|{product}"
    return made


async def floor(client: httpx.AsyncClient, token: str, seconds: float, concurrency: int) -> list[float]:
    """``{ __typename }`` latencies, back to back on ``concurrency`` connections: the baseline
    (on one connection its p50 is the unloaded floor; on many its rate is the capacity)."""
    latencies: list[float] = []
    end = time.monotonic() + seconds

    async def loop() -> None:
        while time.monotonic() < end:
            began = time.monotonic()
            await client.post("/graphql", json={"query": "{ __typename }"}, headers={"Authorization": f"Bearer {token}"})
            latencies.append(time.monotonic() - began)

    await asyncio.gather(*(loop() for _ in range(concurrency)))
    return latencies


def anonymous_mb(pid: int) -> float:
    """RssAnon from /proc (Linux), MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Memory:
    """RSS of the processes under test, sampled every ``every`` seconds."""

    def __init__(self, processes: dict[str, int], every: float, flat_from: float) -> None:
        self.processes = {name: psutil.Process(pid) for name, pid in processes.items()}
        self.every, self.flat_from = every, flat_from
        self.samples: list[tuple[float, dict[str, float]]] = []
        self.anonymous: list[tuple[float, dict[str, float]]] = []  # RSS without mapped files

    async def watch(self, started: float, stop: asyncio.Event) -> None:
        while not stop.is_set():
            now = time.monotonic() - started
            self.samples.append((now, {n: p.memory_info().rss / 2**20 for n, p in self.processes.items()}))
            self.anonymous.append((now, {n: anonymous_mb(p.pid) for n, p in self.processes.items()}))
            try:
                await asyncio.wait_for(stop.wait(), self.every)
            except TimeoutError:
                pass

    def anonymous_change(self, name: str) -> tuple[float, float]:
        """Anonymous memory (the heap; SQLite's memory-mapped database file is not in it) at
        ``flat_from`` and at the end, MB."""
        later = [s[name] for t, s in self.anonymous if t >= self.flat_from]
        return (later[0], later[-1]) if later else (float("nan"), float("nan"))

    def verdict(self, name: str) -> tuple[float, float, float]:
        """(MB at ``flat_from``, lowest and highest MB after it, as ratios to it)."""
        later = [(t, s[name]) for t, s in self.samples if t >= self.flat_from]
        if not later:
            return float("nan"), float("nan"), float("nan")
        reference = later[0][1]
        return reference, min(v for _, v in later) / reference, max(v for _, v in later) / reference


async def settle(api: Api, admin: str, seconds: float) -> None:
    """Wait until no event is open, or ``seconds`` pass (the failing host's retries)."""
    deadline = time.monotonic() + seconds
    query = """query($s: EventStatus!) { events(first: 1, status: $s) { nodes { id } } }"""
    while time.monotonic() < deadline:
        still = [s for s in OPEN if (await api("settle", query, {"s": s}, admin) or {}).get("events", {}).get("nodes")]
        if not still:
            return
        await asyncio.sleep(2)


async def outcomes(database_url: str, products: dict[str, str]) -> dict[str, Counter]:
    """Events by behaviour and status, read from the database."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from marketlink.storage.database import async_database_url

    by_integration = {v.split("|")[0]: k for k, v in products.items()}
    engine = create_async_engine(async_database_url(database_url))
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(text(
                "SELECT integration_id, status, count(*) FROM events GROUP BY integration_id, status"))).all()
    finally:
        await engine.dispose()
    found: dict[str, Counter] = defaultdict(Counter)
    for integration, status, count in rows:
        found[by_integration.get(str(integration), "other")][status] += count
    return found


# --- report --------------------------------------------------------------------------------

def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def queue_gauges(metrics: str) -> tuple[float, float]:
    """Events due now and the age of the oldest, from the server's /metrics."""
    from prometheus_client.parser import text_string_to_metric_families

    found = {family.name: family.samples[0].value for family in text_string_to_metric_families(metrics)
             if family.samples}
    return (found.get("marketlink_events_due", float("nan")),
            found.get("marketlink_oldest_due_event_age_seconds", float("nan")))


def intervals(calls: Calls, memory: Memory, deliveries: list[tuple[float, int]],
              queue: list[tuple[float, tuple[float, float]]], seconds: float, width: float) -> list[dict]:
    """One row per ``width`` seconds of the run."""
    rows = []
    for start in range(0, int(seconds), int(width)):
        end = start + width
        inside = [(took, ok) for t, kind, took, ok in calls.timeline if start <= t < end and kind != "settle"]
        rss = [s for t, s in memory.samples if start <= t < end]
        done = [n for t, n in deliveries if start <= t < end]
        before = [n for t, n in deliveries if t < start]
        latencies = [took for took, _ in inside]
        waiting = [q for t, q in queue if start <= t < end]
        rows.append({
            "minute": start / 60, "middle": (start + width / 2) / 60, "ops": len(inside) / width,
            "p50": percentile(latencies, 50) * 1000, "p99": percentile(latencies, 99) * 1000,
            "errors": sum(1 for _, ok in inside if not ok),
            "delivered": ((done[-1] if done else 0) - (before[-1] if before else 0)) / width if done else 0.0,
            "due": max((d for d, _ in waiting), default=float("nan")),
            "oldest": max((a for _, a in waiting), default=float("nan")),
            "rss": {name: max(s[name] for s in rss) for name in rss[0]} if rss else {},
        })
    return rows


def table(rows: list[dict], calls: Calls, base_p50: float, base_rate: float, memory: Memory,
          results: dict[str, Counter], steps: Counter, late: int, args, database: str) -> str:
    names = list(memory.processes)
    threshold = os.environ.get("MARKETLINK_MALLOC_MMAP_THRESHOLD", "default")
    lines = [(f"Soak on {database}: {args.minutes:g} min, {args.rate:g} operations/s offered, "
              f"{args.concurrency} at most under way, workers: {args.workers or 'in the server'}, "
              f"seed {args.seed}, MARKETLINK_MALLOC_MMAP_THRESHOLD {threshold}"),
             (f"Baseline (same run, before the soak): {{ __typename }} p50 {base_p50 * 1000:.2f} ms on one "
              f"connection; {base_rate:.0f} req/s on {args.concurrency}"), "",
             f"{'minute':>6}{'calls/s':>8}{'p50 ms':>8}{'p99 ms':>9}{'errors':>7}{'events/s':>9}{'due':>6}{'oldest s':>9}"
             + "".join(f"{n + ' MB':>14}" for n in names)]
    for r in rows:
        lines.append(f"{r['minute']:>6.1f}{r['ops']:>8.1f}{r['p50']:>8.1f}{r['p99']:>9.1f}{r['errors']:>7}"
                     f"{r['delivered']:>9.1f}{r['due']:>6.0f}{r['oldest']:>9.1f}" + "".join(f"{r['rss'].get(n, float('nan')):>14.1f}" for n in names))
    lines += ["", f"{'operation':<18}{'count':>8}{'errors':>8}{'p50 ms':>9}{'p99 ms':>9}{'p50 / floor':>13}"]
    for kind in sorted(calls.latencies):
        values = calls.latencies[kind]
        lines.append(f"{kind:<18}{len(values):>8}{calls.errors[kind]:>8}{percentile(values, 50) * 1000:>9.1f}"
                     f"{percentile(values, 99) * 1000:>9.1f}{percentile(values, 50) / base_p50:>13.1f}")
    lines += ["", "subscription steps taken: " + ", ".join(f"{k} {v}" for k, v in sorted(steps.items())),
              f"operation starts that waited for a free slot: {late}", "",
              "events by host and status (the 'failing' host's are the injected errors):"]
    for behaviour in [*BEHAVIOURS, "other"]:
        if behaviour in results:
            lines.append(f"  {behaviour:<12} " + ", ".join(f"{k} {v}" for k, v in sorted(results[behaviour].items())))
    lines.append("")
    for name in names:
        reference, low, high = memory.verdict(name)
        flat = "flat" if 1 - MEMORY_TOLERANCE <= low and high <= 1 + MEMORY_TOLERANCE else "NOT flat"
        lines.append(f"memory {name}: {reference:.1f} MB at minute {args.flat_from_min:g}; then {low:.1%} to {high:.1%} of it: "
                     f"{flat} (target within {MEMORY_TOLERANCE:.0%}); anonymous memory "
                     "{:.1f} MB then, {:.1f} MB at the end".format(*memory.anonymous_change(name)))
    return "\n".join(lines)


def unexpected(calls: Calls, results: dict[str, Counter]) -> list[str]:
    """Errors other than the injected ones."""
    found = [f"{sum(calls.errors.values())} API calls failed"] if calls.errors else []
    for behaviour, counts in results.items():
        wanted = "FAILED" if behaviour == "failing" else "SUCCEEDED"
        wrong = sum(v for k, v in counts.items() if k != wanted)
        if wrong:
            found.append(f"{wrong} events of host {behaviour} did not end {wanted}: {dict(counts)}")
    return found


def plot(rows: list[dict], memory: Memory, path: Path, title: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    minutes = [r["middle"] for r in rows]
    figure, (load, latency, rss) = plt.subplots(3, 1, figsize=(10, 10), sharex=True)
    load.plot(minutes, [r["ops"] for r in rows], marker="o", label="API calls/s")
    load.plot(minutes, [r["delivered"] for r in rows], marker="s", label="notifications answered/s")
    load.bar(minutes, [r["errors"] for r in rows], width=(minutes[1] - minutes[0]) * 0.4 if len(rows) > 1 else 0.4, color="tab:red", label="failed API calls")
    load.set_ylabel("per second / count")
    load.legend(loc="center right")
    latency.plot(minutes, [r["p50"] for r in rows], marker="o", label="p50")
    latency.plot(minutes, [r["p99"] for r in rows], marker="s", label="p99")
    latency.set_ylabel("API latency, ms")
    latency.legend(loc="best")
    for name in memory.processes:
        t = [t / 60 for t, _ in memory.samples]
        values = [s[name] for _, s in memory.samples]
        line, = rss.plot(t, values, label=name)
        reference = memory.verdict(name)[0]
        if not math.isnan(reference):
            rss.fill_between([memory.flat_from / 60, t[-1]], reference * (1 - MEMORY_TOLERANCE),
                             reference * (1 + MEMORY_TOLERANCE), color=line.get_color(), alpha=0.12)
    rss.axvline(memory.flat_from / 60, color="grey", linestyle=":")
    rss.set_ylabel("resident memory, MB")
    rss.set_xlabel(f"minutes (band: ±10% of the value at minute {memory.flat_from / 60:g})")
    rss.legend(loc="lower right")
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)


# --- the run -------------------------------------------------------------------------------

async def soak(env: dict, base_url: str, hosts_url: str, processes: dict[str, int], tokens: tuple[str, str],
               args, database_url: str, database: str) -> int:
    developer, admin = tokens
    calls = Calls()
    limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as client:
        base_p50 = statistics.median(await floor(client, developer, 3.0, 1))
        base_rate = len(await floor(client, developer, 5.0, args.concurrency)) / 5.0
        started = time.monotonic()
        api = Api(client, calls, started)
        products = await configure(api, developer, hosts_url, base_url)
        load = Load(api, developer, admin, products, args.seed)
        memory = Memory(processes, args.sample_s, args.flat_from_min * 60)
        deliveries: list[tuple[float, int]] = []
        queue: list[tuple[float, tuple[float, float]]] = []  # (t, (events due, oldest due age s))
        stop = asyncio.Event()

        async def count_deliveries() -> None:
            async with httpx.AsyncClient() as control:
                while not stop.is_set():
                    counts = (await control.get(f"{hosts_url}/_stats")).json()
                    now = time.monotonic() - started
                    deliveries.append((now, sum(counts.values())))
                    queue.append((now, queue_gauges((await control.get(f"{base_url}/metrics")).text)))
                    try:
                        await asyncio.wait_for(stop.wait(), args.sample_s)
                    except TimeoutError:
                        pass

        watchers = [asyncio.create_task(memory.watch(started, stop)), asyncio.create_task(count_deliveries())]
        # Ctrl-C or SIGTERM ends the load early: what ran so far is still reported.
        interrupted = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(signum, interrupted.set)
        late = await drive(load, args.minutes * 60, args.rate, args.concurrency, interrupted)
        seconds = time.monotonic() - started
        if interrupted.is_set():
            print(f"interrupted after {seconds / 60:.1f} min", file=sys.stderr)
        else:
            await settle(api, admin, args.settle_s)
        stop.set()
        await asyncio.gather(*watchers)
    results = await outcomes(database_url, products)
    rows = intervals(calls, memory, deliveries, queue, seconds, args.interval_s)
    text = table(rows, calls, base_p50, base_rate, memory, results, load.steps, late, args, database)
    problems = unexpected(calls, results)
    text += "\n" + ("\n".join(f"UNEXPECTED: {p}" for p in problems) if problems else
                    "no error other than the injected ones")
    if calls.examples:
        text += "\nfirst failed calls:\n" + "\n".join(f"  {e}" for e in calls.examples)
    print(text)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    name = database.lower()
    (out / f"soak-{name}.txt").write_text(text + "\n")
    plot(rows, memory, out / f"soak-{name}.png", f"MarketLink soak, {database}, {args.minutes:g} min")
    print(f"\nwrote {out / f'soak-{name}.txt'} and {out / f'soak-{name}.png'}")
    return 130 if interrupted.is_set() else 1 if problems else 0


def bench(data_dir: Path, database_url: str, args) -> int:
    port, hosts_port = free_port(), free_port()
    env = server_env(data_dir, database_url, port) | {
        "MARKETLINK_ALLOW_PRIVATE_URLS": "true",
        # The failing host's events end FAILED within the run (the default schedule spans hours).
        "MARKETLINK_RETRY_SCHEDULE_S": json.dumps([1, 5, 15]),
        "MARKETLINK_RUN_WORKER": "false" if args.workers else "true"}
    cli(env, "migrate")
    vendor = cli(env, "vendor", "create", "Soak Vendor")
    tokens = (cli(env, "token", "create", "--role", "DEVELOPER", "--vendor", vendor),
              cli(env, "token", "create", "--role", "ADMIN"))
    started: list[subprocess.Popen] = []
    try:
        hosts = start_hosts(hosts_port, args.seed)
        started.append(hosts)
        server = start_server(env, port, data_dir / "server.log")
        started.append(server)
        wait_healthy(server, f"http://{HOST}:{port}", data_dir / "server.log")
        processes = {"server": server.pid, "hosts": hosts.pid}
        for n in range(args.workers):
            with (data_dir / f"worker-{n}.log").open("ab") as out:
                worker = subprocess.Popen([str(BIN / "marketlink"), "worker"], env=env, stdout=out,
                                          stderr=subprocess.STDOUT, start_new_session=True)
            started.append(worker)
            processes[f"worker-{n}"] = worker.pid
        database = "SQLite" if database_url.startswith("sqlite") else "PostgreSQL"
        return asyncio.run(soak(env, f"http://{HOST}:{port}", f"http://{HOST}:{hosts_port}", processes, tokens,
                                args, database_url, database))
    finally:
        for process in reversed(started):
            stop_server(process)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=20.0, help="operations started per second")
    parser.add_argument("--concurrency", type=int, default=16, help="operations under way at most")
    parser.add_argument("--workers", type=int, default=0, help="worker processes (0: the server's own)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sample-s", type=float, default=10.0, help="memory and delivery sampling")
    parser.add_argument("--interval-s", type=float, default=60.0, help="rows of the table")
    parser.add_argument("--flat-from-min", type=float, default=2.0,
                        help="memory must stay within 10%% of its value at this minute")
    parser.add_argument("--settle-s", type=float, default=60.0, help="wait for open events at the end")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results"))
    parser.add_argument("--database-url", default=None,
                        help="postgresql://... to CREATE (and DROP) a fresh database there")
    parser.add_argument("--keep-dir", action="store_true",
                        help="keep the run's directory (server, worker and SQLite files) and print its path")
    parser.add_argument("--host-only", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not 0.1 <= args.minutes <= 24 * 60 or not 0.1 <= args.rate <= 1000 or not 1 <= args.concurrency <= 256:
        parser.error("--minutes must be 0.1..1440, --rate 0.1..1000 and --concurrency 1..256")
    if not 0 <= args.workers <= 16:
        parser.error("--workers must be 0..16")
    if args.database_url and not args.database_url.startswith("postgres"):
        parser.error("--database-url must be a postgresql:// URL (SQLite is the default)")
    return args


def main() -> int:
    args = parse_args()
    if args.host_only:
        asyncio.run(Hosts(args.seed).serve(args.host_only))
        return 0
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # before the load: clean up as Ctrl-C does
    data_dir = Path(tempfile.mkdtemp(prefix="marketlink-soak-"))
    try:
        return on_database(bench, data_dir, args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        if args.keep_dir:
            print(f"kept {data_dir}", file=sys.stderr)
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

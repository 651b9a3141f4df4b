"""Throughput and latency of the GraphQL endpoint, measured end to end over HTTP.

What it does, in one run: makes a temporary data directory, runs ``marketlink migrate``,
creates a vendor and a DEVELOPER token with the CLI, starts ``marketlink serve`` on a free
loopback port and waits for ``/healthz``. Then it measures three workloads one after the other,
each for ``--seconds`` after a short warm-up, with ``--concurrency`` keep-alive connections:

* ``typename``: ``{ __typename }``. The floor: HTTP, bearer-token lookup and GraphQL
  machinery with no resolver work. Every other figure is read against it.
* ``create``: ``createProductIntegration`` with a name, seven https event URLs and OAUTH2
  outbound credentials (as in the seed), selecting ``productIntegration { id } userErrors
  { code }``. One write transaction per request.
* ``read``: ``productIntegration(id:)`` reading the name, every URL, the outbound credentials
  and ``ssoConfiguration { __typename }`` of an integration made before the run.

Every answer must be HTTP 200 with no ``errors`` (and no ``userErrors`` for ``create``);
the failures are counted and shown, and any failure makes the exit status 1.

How to read the table: ``req/s`` counts the answers completed inside the measured window;
``p50``/``p99`` are per-request latencies in milliseconds as seen by the client; ``x floor``
is req/s divided by the ``typename`` req/s of the *same* run, which cancels the machine's
speed. ``srv cpu`` is the CPU the server process used during the window (100% = one core;
the server is one process) and ``srv ms/req`` that CPU time per request. ``bench cpu`` is
this process's CPU; near 100% the client, not the server, was the limit. Trust a run when
``srv cpu`` is near 100%: when other processes compete for the cores, the server gets less
than a core, req/s falls (the cheap floor most, so the ratios *rise*) and ``srv ms/req`` grows
too, if less. The last line says whether ``create`` reached 40% of the floor (the target, on
SQLite), by req/s and by server CPU per request.

Run: ``.venv/bin/python bench/graphql_bench.py [--seconds N] [--concurrency C]
[--database-url postgresql://USER@127.0.0.1:5432/DB]``. With ``--database-url`` the bench
connects to that database only to CREATE a fresh database of its own, runs in it and DROPs
it at the end; nothing else on that server is touched.
"""

import argparse
import asyncio
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
TARGET_RATIO = 0.40
WARMUP_SECONDS = 2.0
START_TIMEOUT = 30.0
REQUEST_TIMEOUT = 10.0
MAX_FAILURES_SHOWN = 5

TYPENAME = "{ __typename }"
CREATE = """mutation Create($input: CreateProductIntegrationInput!) {
  createProductIntegration(input: $input) { productIntegration { id } userErrors { code } }
}"""
READ = """query Read($id: ID!) {
  productIntegration(id: $id) {
    id name createUrl upgradeUrl cancelUrl notifyUrl eventStatusUrl assignUrl unassignUrl
    addonNotificationUrl userUpdatedUrl
    outboundCredentials { type clientId clientSecret tokenUri grantType scope }
    ssoConfiguration { __typename }
  }
}"""
EVENTS = ("create", "upgrade", "cancel", "notify", "eventStatus", "assign", "unassign")


def integration_input(n: int) -> dict:
    """A realistic createProductIntegration input, like the seed's, with a distinct name."""
    urls = {f"{e}Url": f"https://product.example.com/marketplace/{e.lower()}?url={{eventUrl}}"
            for e in EVENTS}
    credentials = {"type": "OAUTH2", "clientId": "123456", "clientSecret": "S3cre1!",
                   "tokenUri": "https://product.example.com/api/token",
                   "grantType": "client_credentials"}
    return {"name": f"Bench Integration {n}", **urls, "outboundCredentials": credentials}


# --- answers -------------------------------------------------------------------------------

def problem_in(response: httpx.Response, field_name: str | None) -> str | None:
    """Why an answer is not a success, or None. ``field_name``: the root field to check."""
    if response.status_code != 200:
        return f"HTTP {response.status_code}: {response.text[:200]}"
    body = response.json()
    if body.get("errors"):
        return f"errors: {body['errors'][0].get('message')}"
    value = (body.get("data") or {}).get(field_name) if field_name else body.get("data")
    if not value:
        return f"no {field_name or 'data'} in {str(body)[:200]}"
    if isinstance(value, dict) and value.get("userErrors"):
        return f"userErrors: {value['userErrors']}"
    return None


# --- load ----------------------------------------------------------------------------------

@dataclass
class Workload:
    name: str
    query: str
    field_name: str | None
    variables: object = None  # a dict, or a function of the request number giving one

    def body(self, n: int) -> dict:
        variables = self.variables(n) if callable(self.variables) else self.variables
        return {"query": self.query, "variables": variables or {}}


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    failures: int = 0
    examples: list[str] = field(default_factory=list)
    server_cpu: float = 0.0
    bench_cpu: float = 0.0

    def fail(self, why: str) -> None:
        self.failures += 1
        if len(self.examples) < MAX_FAILURES_SHOWN and why not in self.examples:
            self.examples.append(why)


async def one_request(client: httpx.AsyncClient, work: Workload, n: int) -> str | None:
    try:
        response = await client.post("/graphql", json=work.body(n))
        return problem_in(response, work.field_name)
    except (httpx.HTTPError, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}"


async def worker(client, work: Workload, counter, window: tuple[float, float], result: Result):
    """Send requests back to back until the window ends. Every answer is checked (warm-up
    included); the latency is recorded for those finished inside the window."""
    start, end = window
    while (began := time.monotonic()) < end:
        why = await one_request(client, work, next(counter))
        finished = time.monotonic()
        if why:
            result.fail(why)
        if start <= finished <= end:
            result.latencies.append(finished - began)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def sample_cpu(window: tuple[float, float], server_pid: int, result: Result) -> None:
    """CPU used by the server and by this process during the measured window."""
    start, end = window
    await asyncio.sleep(max(0.0, start - time.monotonic()))
    before = cpu_seconds(server_pid), time.process_time()
    await asyncio.sleep(max(0.0, end - time.monotonic()))
    result.server_cpu = (cpu_seconds(server_pid) - before[0]) / (end - start)
    result.bench_cpu = (time.process_time() - before[1]) / (end - start)


async def measure(client, work: Workload, args, server_pid: int, counter) -> Result:
    result = Result()
    start = time.monotonic() + WARMUP_SECONDS
    window = (start, start + args.seconds)
    async with asyncio.TaskGroup() as group:  # cancelled together on Ctrl-C
        for _ in range(args.concurrency):
            group.create_task(worker(client, work, counter, window, result))
        await sample_cpu(window, server_pid, result)
    return result


# --- report --------------------------------------------------------------------------------

def percentile(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def server_ms(r: Result, seconds: float) -> float:
    """Server CPU milliseconds per request: steadier than req/s on a busy machine."""
    return r.server_cpu * seconds * 1000 / len(r.latencies) if r.latencies else float("nan")


def print_table(results: dict[str, Result], seconds: float) -> None:
    floor = len(results["typename"].latencies) / seconds or float("nan")
    print(f"{'workload':<10}{'requests':>10}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
          f"{'x floor':>9}{'fail':>6}{'srv cpu':>9}{'srv ms/req':>12}{'bench cpu':>11}")
    for name, r in results.items():
        rate = len(r.latencies) / seconds
        print(f"{name:<10}{len(r.latencies):>10}{rate:>10.1f}"
              f"{percentile(r.latencies, 50) * 1000:>9.1f}{percentile(r.latencies, 99) * 1000:>9.1f}"
              f"{rate / floor:>9.2f}{r.failures:>6}{r.server_cpu:>9.0%}"
              f"{server_ms(r, seconds):>12.2f}{r.bench_cpu:>11.0%}")


def print_failures(results: dict[str, Result]) -> None:
    sys.stdout.flush()
    for name, r in results.items():
        for why in r.examples:
            print(f"  {name} failed: {why}", file=sys.stderr)


def print_verdict(results: dict[str, Result], sqlite: bool, seconds: float) -> None:
    floor, create = results["typename"], results["create"]
    ratio = len(create.latencies) / len(floor.latencies) if floor.latencies else 0.0
    by_cpu = server_ms(floor, seconds) / server_ms(create, seconds)
    met = "REACHED" if ratio >= TARGET_RATIO else "NOT reached"
    where = "" if sqlite else " (the target is set for SQLite; this run is PostgreSQL)"
    print(f"createProductIntegration: {ratio:.0%} of the {{ __typename }} floor "
          f"({by_cpu:.0%} by server CPU per request); target {TARGET_RATIO:.0%}: {met}{where}")


# --- server and set-up ---------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def cli(env: dict, *args: str) -> str:
    """``marketlink ARGS``; its stdout, stripped."""
    done = subprocess.run([str(BIN / "marketlink"), *args], env=env, capture_output=True,
                          text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"marketlink {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout.strip()


def start_server(env: dict, port: int, log: Path) -> subprocess.Popen:
    with log.open("wb") as out:
        return subprocess.Popen([str(BIN / "marketlink"), "serve", "--host", HOST,
                                 "--port", str(port)], env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)


def wait_healthy(process: subprocess.Popen, base_url: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited early:\n{log.read_text()}")
        try:
            if httpx.get(base_url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"the server did not answer /healthz in {START_TIMEOUT:.0f}s")


def stop_server(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def server_env(data_dir: Path, database_url: str, port: int) -> dict:
    return os.environ | {
        "MARKETLINK_DATABASE_URL": database_url,
        "MARKETLINK_DATA_DIR": str(data_dir),
        "MARKETLINK_PORT": str(port),
        "MARKETLINK_BASE_URL": f"http://{HOST}:{port}",
        "MARKETLINK_LOG_LEVEL": "WARNING",
    }


# --- a throw-away PostgreSQL database ------------------------------------------------------

async def _admin(url: str, statement: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from marketlink.storage.database import async_database_url

    engine = create_async_engine(async_database_url(url), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


def create_database(admin_url: str) -> str:
    """CREATE a database with a fresh random name; the URL to reach it."""
    from sqlalchemy.engine import make_url

    name = f"marketlink_bench_{secrets.token_hex(6)}"
    asyncio.run(_admin(admin_url, f'CREATE DATABASE "{name}"'))
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, url: str) -> None:
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    assert name and name.startswith("marketlink_bench_"), name  # never drop anything else
    asyncio.run(_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


# --- the run -------------------------------------------------------------------------------

async def create_fixture(client: httpx.AsyncClient) -> str:
    """The integration the ``read`` workload reads."""
    response = await client.post("/graphql", json=Workload(
        "create", CREATE, "createProductIntegration", {"input": integration_input(0)}).body(0))
    if why := problem_in(response, "createProductIntegration"):
        raise RuntimeError(f"could not create the integration to read: {why}")
    return response.json()["data"]["createProductIntegration"]["productIntegration"]["id"]


async def run_workloads(base_url: str, token: str, args, server_pid: int) -> dict[str, Result]:
    limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits,
                                 timeout=REQUEST_TIMEOUT) as client:
        read_id = await create_fixture(client)
        workloads = [
            Workload("typename", TYPENAME, None),
            Workload("create", CREATE, "createProductIntegration",
                     lambda n: {"input": integration_input(n)}),
            Workload("read", READ, "productIntegration", {"id": read_id}),
        ]
        counter = iter(range(1, 10**9))
        return {w.name: await measure(client, w, args, server_pid, counter) for w in workloads}


def bench(data_dir: Path, database_url: str, args) -> int:
    port = free_port()
    env = server_env(data_dir, database_url, port)
    cli(env, "migrate")
    vendor_id = cli(env, "vendor", "create", "Bench Vendor")
    token = cli(env, "token", "create", "--role", "DEVELOPER", "--vendor", vendor_id)
    server, log = None, data_dir / "server.log"
    try:
        server = start_server(env, port, log)
        wait_healthy(server, f"http://{HOST}:{port}", log)
        results = asyncio.run(run_workloads(f"http://{HOST}:{port}", token, args, server.pid))
    finally:
        stop_server(server)
    return report(results, args, database_url)


def report(results: dict[str, Result], args, database_url: str) -> int:
    sqlite = database_url.startswith("sqlite")
    print(f"\n{'SQLite' if sqlite else 'PostgreSQL'}, {args.concurrency} connections, "
          f"{args.seconds:g} s per workload after {WARMUP_SECONDS:g} s warm-up\n")
    print_table(results, args.seconds)
    print_failures(results)
    print_verdict(results, sqlite, args.seconds)
    failures = sum(r.failures for r in results.values())
    if failures:
        print(f"{failures} failed requests", file=sys.stderr)
    return 1 if failures else 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured time per workload")
    parser.add_argument("--concurrency", type=int, default=8, help="keep-alive connections")
    parser.add_argument("--database-url", default=None,
                        help="postgresql://... to CREATE (and DROP) a fresh database there")
    args = parser.parse_args()
    if not 1 <= args.seconds <= 600 or not 1 <= args.concurrency <= 256:
        parser.error("--seconds must be 1..600 and --concurrency 1..256")
    if args.database_url and not args.database_url.startswith("postgres"):
        parser.error("--database-url must be a postgresql:// URL (SQLite is the default)")
    return args


def on_database(work: Callable[[Path, str, argparse.Namespace], int], data_dir: Path,
                args: argparse.Namespace) -> int:
    """``work(data_dir, database_url, args)`` on SQLite in ``data_dir``, or in a throw-away
    database on ``args.database_url`` (PostgreSQL), dropped afterwards."""
    if not args.database_url:
        return work(data_dir, f"sqlite+aiosqlite:///{data_dir / 'bench.db'}", args)
    database_url = create_database(args.database_url)
    try:
        return work(data_dir, database_url, args)
    finally:
        drop_database(args.database_url, database_url)


def main() -> int:
    args = parse_args()
    # SIGTERM cleans up as Ctrl-C does (asyncio.run cancels the workload on SIGINT).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: signal.raise_signal(signal.SIGINT))
    data_dir = Path(tempfile.mkdtemp(prefix="marketlink-bench-"))
    try:
        return on_database(bench, data_dir, args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

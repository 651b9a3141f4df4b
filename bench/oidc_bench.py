"""OpenID Connect sign-ins per second, end to end over HTTP (docs/adr/0012).

What it does, in one run: a temporary data directory, ``marketlink migrate``, a vendor and
tokens from the CLI, a product host in this process (aiohttp on loopback, answering every
order and assignment with success), then ``marketlink serve`` with its delivery worker. Through
the API: an integration with OpenID Connect (one shared client, ``PER_MARKETPLACE``), a product,
a company, one user per connection (password set with the CLI), an order and the assignments,
delivered to the host until ACTIVE; the client is fetched through the order event's link as a
host would. Each connection logs in once (``/login``), then two workloads run one after the
other, each for ``--seconds`` after a short warm-up:

* ``discovery``: ``GET /.well-known/openid-configuration``. The floor: HTTP and routing with
  no database work.
* ``login``: one whole authorization-code sign-in of a logged-in user, three requests:
  ``GET /oauth2/authorize`` (PKCE S256, a fresh nonce; the code comes back in the redirect),
  ``POST /oauth2/token`` (HTTP Basic; answers an RS256 id_token) and ``GET /oauth2/userinfo``.
  Every answer is checked (status, code, ``sub``), failures are counted and shown.

``per s`` counts sign-ins (or requests) finished inside the window; ``p50``/``p99`` are their
latencies in ms; ``x floor`` is (sign-ins/s x 3 requests) / discovery req/s of the same run:
the share of the bare HTTP request rate a sign-in's requests reach. ``srv ms/op`` is the
server's CPU per sign-in (or request); trust a run when ``srv cpu`` is near 100%.

Run: ``.venv/bin/python bench/oidc_bench.py [--seconds N] [--concurrency C]
[--database-url postgresql://USER@127.0.0.1:5432/DB]`` (a fresh database is created there and
dropped at the end).
"""

import asyncio
import base64
import hashlib
import re
import secrets
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from aiohttp import web

from graphql_bench import (
    HOST,
    REQUEST_TIMEOUT,
    WARMUP_SECONDS,
    Result,
    cli,
    create_database,
    drop_database,
    free_port,
    parse_args,
    percentile,
    sample_cpu,
    server_env,
    server_ms,
    start_server,
    stop_server,
    wait_healthy,
)

PASSWORD = "bench-password-0123456789"
REDIRECT = "https://rp.bench.example/callback"  # never requested: the code is read from Location
SCOPE = "openid email profile"
SETUP = """mutation($integration: CreateProductIntegrationInput!, $product: CreateProductInput!) {
  createProductIntegration(input: $integration) { productIntegration { id } }
  createProduct(input: $product) { product { id } } }"""
ADD_OIDC = """mutation($input: AddProductIntegrationOpenIdConnectConfigurationInput!) {
  addProductIntegrationOpenIdConnectConfiguration(input: $input) { userErrors { message } } }"""
INBOUND = """mutation($id: ID!) { generateProductIntegrationInboundClient(input: {id: $id}) {
  productIntegrationInboundClient { clientId clientSecret } } }"""
PUBLISH_LINK = """mutation($p: ID!, $i: ID!) {
  publishProductIntegration(input: {integrationId: $i}) { userErrors { message } }
  linkProductIntegration(input: {productId: $p, integrationId: $i}) { userErrors { message } } }"""
COMPANY = """mutation { createCompany(input: {name: "Bench Buyer", country: "GB"}) { company { id } } }"""
USER = """mutation($c: ID!, $e: String!) { createUser(input: {companyId: $c, email: $e, firstName: "Bench",
  lastName: "User", language: "en"}) { user { id } } }"""
ORDER = """mutation($p: ID!, $c: ID!, $u: ID!) { createSubscription(input: {productId: $p, companyId: $c,
  creatorId: $u, editionCode: "BASIC", pricingDuration: MONTHLY}) { subscription { id } } }"""
ASSIGN = """mutation($s: ID!, $u: ID!) { assignUser(input: {subscriptionId: $s, userId: $u}) {
  userErrors { message } } }"""
STATE = """query($s: ID!) { subscription(id: $s) { status assignments { status } }
  events(subscriptionId: $s, type: SUBSCRIPTION_ORDER) { nodes { document } } }"""


# --- the product host and the set-up -------------------------------------------------------

async def start_product_host() -> tuple[web.AppRunner, str]:
    async def accept(request: web.Request) -> web.Response:
        return web.json_response({"success": True, "accountIdentifier": "bench-account",
                                  "userIdentifier": "bench-user"})

    app = web.Application()
    app.router.add_get("/{kind}", accept)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, HOST, 0).start()
    return runner, f"http://{HOST}:{runner.addresses[0][1]}"


async def graphql(http: httpx.AsyncClient, token: str, query: str, variables: dict | None = None) -> dict:
    response = await http.post("/graphql", json={"query": query, "variables": variables or {}},
                               headers={"Authorization": f"Bearer {token}"})
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"set-up failed: {str(body)[:300]}")
    return body["data"]


async def set_up(http: httpx.AsyncClient, env: dict, tokens: dict, host_url: str, users: int) -> dict:
    """The product, its client and ``users`` assigned users; the client and the emails."""
    dev, admin = tokens["developer"], tokens["admin"]
    data = await graphql(http, dev, SETUP, {"integration": {
        "name": "Bench SSO", "createUrl": host_url + "/create", "cancelUrl": host_url + "/cancel",
        "assignUrl": host_url + "/assign"}, "product": {"name": "Bench SSO", "editions": [
            {"code": "BASIC", "name": "Basic"}]}})
    integration = data["createProductIntegration"]["productIntegration"]["id"]
    product = data["createProduct"]["product"]["id"]
    await graphql(http, dev, ADD_OIDC, {"input": {
        "integrationConfigurationId": integration, "clientCreationMethod": "PER_MARKETPLACE",
        "grantTypes": ["AUTHORIZATION_CODE", "REFRESH_TOKEN"], "redirectUrls": [REDIRECT],
        "allowUserScopes": True}})
    inbound = (await graphql(http, dev, INBOUND, {"id": integration}))[
        "generateProductIntegrationInboundClient"]["productIntegrationInboundClient"]
    await graphql(http, dev, PUBLISH_LINK, {"p": product, "i": integration})
    company = (await graphql(http, admin, COMPANY))["createCompany"]["company"]["id"]
    emails = [f"bench{n}@buyer.example" for n in range(users)]
    user_ids = [(await graphql(http, admin, USER, {"c": company, "e": e}))["createUser"]["user"]["id"]
                for e in emails]
    for email in emails:
        cli_with_input(env, PASSWORD + "\n", "user", "set-password", "--email", email, "--password-stdin")
    order = await graphql(http, admin, ORDER, {"p": product, "c": company, "u": user_ids[0]})
    subscription = order["createSubscription"]["subscription"]["id"]
    await until(http, admin, subscription, lambda s: s["status"] == "ACTIVE")
    for user in user_ids:
        await graphql(http, admin, ASSIGN, {"s": subscription, "u": user})
    state = await until(http, admin, subscription, lambda s: [a["status"] for a in s["assignments"]]
                        == ["ACTIVE"] * users)
    [link] = state["events"]["nodes"][0]["document"]["links"]
    return {"client": await fetch_client(http, inbound, link["href"]), "emails": emails}


def cli_with_input(env: dict, stdin: str, *args: str) -> None:
    import subprocess

    from graphql_bench import BIN

    done = subprocess.run([str(BIN / "marketlink"), *args], env=env, input=stdin,
                          capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"marketlink {' '.join(args)} failed:\n{done.stderr}")


async def until(http: httpx.AsyncClient, admin: str, subscription: str, done, timeout: float = 30.0) -> dict:  # type: ignore[no-untyped-def]
    """Poll the subscription until the worker's deliveries make ``done(state)`` true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data = await graphql(http, admin, STATE, {"s": subscription})
        state = data["subscription"] | {"events": data["events"]}
        if done(state):
            return state
        await asyncio.sleep(0.05)
    raise RuntimeError(f"the subscription did not get there in {timeout:.0f}s: {state}")


async def fetch_client(http: httpx.AsyncClient, inbound: dict, href: str) -> dict:
    token = (await http.post("/oauth2/token", data={"grant_type": "client_credentials"},
                             auth=(inbound["clientId"], inbound["clientSecret"]))).json()["access_token"]
    return (await http.get(urlsplit(href).path, headers={"Authorization": f"Bearer {token}"})).json()


async def logged_in(base_url: str, email: str) -> httpx.AsyncClient:
    """A browser-like client with a session: the login form, posted with its CSRF token."""
    browser = httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT)
    form = await browser.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]*)"', form.text).group(1)
    answer = await browser.post("/login", data={"email": email, "password": PASSWORD,
                                                "csrf_token": csrf, "next": "/"})
    if answer.status_code != 303:
        raise RuntimeError(f"login failed for {email}: HTTP {answer.status_code}")
    return browser


# --- the workloads -------------------------------------------------------------------------

async def sign_in(browser: httpx.AsyncClient, client: dict) -> str | None:
    """One authorization-code sign-in; why it failed, or None."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = {"response_type": "code", "client_id": client["clientId"], "redirect_uri": REDIRECT,
             "scope": SCOPE, "state": secrets.token_urlsafe(8), "nonce": secrets.token_urlsafe(16),
             "code_challenge": challenge, "code_challenge_method": "S256"}
    answer = await browser.get("/oauth2/authorize?" + urlencode(query))
    code = parse_qs(urlsplit(answer.headers.get("location", "")).query).get("code")
    if answer.status_code != 302 or not code:
        return f"authorize: HTTP {answer.status_code} {answer.headers.get('location', answer.text[:200])}"
    tokens = await browser.post("/oauth2/token", auth=(client["clientId"], client["clientSecret"]), data={
        "grant_type": "authorization_code", "code": code[0], "redirect_uri": REDIRECT,
        "code_verifier": verifier})
    if tokens.status_code != 200 or "id_token" not in tokens.json():
        return f"token: HTTP {tokens.status_code} {tokens.text[:200]}"
    info = await browser.get("/oauth2/userinfo",
                             headers={"Authorization": f"Bearer {tokens.json()['access_token']}"})
    if info.status_code != 200 or "sub" not in info.json():
        return f"userinfo: HTTP {info.status_code} {info.text[:200]}"
    return None


async def discovery(browser: httpx.AsyncClient, _: dict) -> str | None:
    answer = await browser.get("/.well-known/openid-configuration")
    return None if answer.status_code == 200 else f"discovery: HTTP {answer.status_code}"


async def loop(operation, browser: httpx.AsyncClient, client: dict, window: tuple[float, float],  # type: ignore[no-untyped-def]
               result: Result) -> None:
    start, end = window
    while (began := time.monotonic()) < end:
        try:
            why = await operation(browser, client)
        except (httpx.HTTPError, ValueError) as exc:
            why = f"{type(exc).__name__}: {exc}"
        finished = time.monotonic()
        if why:
            result.fail(why)
        if start <= finished <= end:
            result.latencies.append(finished - began)


async def measure(operation, browsers: list[httpx.AsyncClient], client: dict, seconds: float,  # type: ignore[no-untyped-def]
                  server_pid: int) -> Result:
    result = Result()
    start = time.monotonic() + WARMUP_SECONDS
    window = (start, start + seconds)
    async with asyncio.TaskGroup() as group:
        for browser in browsers:
            group.create_task(loop(operation, browser, client, window, result))
        await sample_cpu(window, server_pid, result)
    return result


# --- the run -------------------------------------------------------------------------------

async def run_workloads(base_url: str, env: dict, tokens: dict, args, server_pid: int,  # type: ignore[no-untyped-def]
                        host_url: str) -> dict[str, Result]:
    async with httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT) as http:
        world = await set_up(http, env, tokens, host_url, args.concurrency)
    browsers = [await logged_in(base_url, email) for email in world["emails"]]
    try:
        return {"discovery": await measure(discovery, browsers, world["client"], args.seconds, server_pid),
                "login": await measure(sign_in, browsers, world["client"], args.seconds, server_pid)}
    finally:
        for browser in browsers:
            await browser.aclose()


def report(results: dict[str, Result], args, database_url: str) -> int:  # type: ignore[no-untyped-def]
    sqlite = database_url.startswith("sqlite")
    print(f"\n{'SQLite' if sqlite else 'PostgreSQL'}, {args.concurrency} connections, "
          f"{args.seconds:g} s per workload after {WARMUP_SECONDS:g} s warm-up\n")
    floor = len(results["discovery"].latencies) / args.seconds or float("nan")
    print(f"{'workload':<11}{'done':>8}{'per s':>9}{'p50 ms':>9}{'p99 ms':>9}{'x floor':>9}"
          f"{'fail':>6}{'srv cpu':>9}{'srv ms/op':>11}{'bench cpu':>11}")
    for name, r in results.items():
        rate = len(r.latencies) / args.seconds
        requests = 3 if name == "login" else 1
        print(f"{name:<11}{len(r.latencies):>8}{rate:>9.1f}{percentile(r.latencies, 50) * 1000:>9.1f}"
              f"{percentile(r.latencies, 99) * 1000:>9.1f}{rate * requests / floor:>9.2f}{r.failures:>6}"
              f"{r.server_cpu:>9.0%}{server_ms(r, args.seconds):>11.2f}{r.bench_cpu:>11.0%}")
    sys.stdout.flush()
    for name, r in results.items():
        for why in r.examples:
            print(f"  {name} failed: {why}", file=sys.stderr)
    failures = sum(r.failures for r in results.values())
    return 1 if failures else 0


async def bench_async(env: dict, port: int, data_dir: Path, tokens: dict, args) -> dict[str, Result]:  # type: ignore[no-untyped-def]
    runner, host_url = await start_product_host()
    server, log = None, data_dir / "server.log"
    try:
        server = start_server(env, port, log)
        await asyncio.to_thread(wait_healthy, server, f"http://{HOST}:{port}", log)
        return await run_workloads(f"http://{HOST}:{port}", env, tokens, args, server.pid, host_url)
    finally:
        stop_server(server)
        await runner.cleanup()


def bench(data_dir: Path, database_url: str, args) -> int:  # type: ignore[no-untyped-def]
    port = free_port()
    env = server_env(data_dir, database_url, port) | {
        "MARKETLINK_ALLOW_PRIVATE_URLS": "1", "MARKETLINK_WORKER_POLL_S": "0.1"}
    cli(env, "migrate")
    vendor = cli(env, "vendor", "create", "Bench Vendor")
    tokens = {"developer": cli(env, "token", "create", "--role", "DEVELOPER", "--vendor", vendor),
              "admin": cli(env, "token", "create", "--role", "ADMIN")}
    results = asyncio.run(bench_async(env, port, data_dir, tokens, args))
    return report(results, args, database_url)


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: signal.raise_signal(signal.SIGINT))
    data_dir = Path(tempfile.mkdtemp(prefix="marketlink-oidc-bench-"))
    database_url = create_database(args.database_url) if args.database_url else \
        f"sqlite+aiosqlite:///{data_dir / 'bench.db'}"
    try:
        return bench(data_dir, database_url, args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        if args.database_url:
            drop_database(args.database_url, database_url)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

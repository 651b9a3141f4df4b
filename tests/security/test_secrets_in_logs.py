"""Secrets are never logged and are shown once (STYLE §6, ADR 0004): realistic flows with every
kind of secret (outbound OAUTH2, BASIC and OAUTH1 secrets, a replaced one, webhook and inbound
client secrets, access tokens both ways, an OpenID Connect client secret, API tokens, a password
and a session, and wrong secrets at every door), with every log line captured, structlog's and
the standard library's at DEBUG (uvicorn, aiohttp, SQLAlchemy and aiosqlite included), and
every answer recorded. Then no form of any secret (as sent, percent-encoded, base64, inside an
HTTP Basic pair) is in any log line, and each secret is in the one answer that issued it at
most; reads afterwards and error answers never carry one.

Once in-process (MarketLink served by uvicorn on a loopback port, the worker driven by the
test, on SQLite and PostgreSQL), and once as a real ``marketlink serve`` process, whose own
output (its log) is scanned."""

import asyncio
import base64
import html
import json
import logging
import os
import signal
import subprocess
import sys
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote, quote_plus

import httpx
import pytest
import structlog
import uvicorn
from aiohttp import web
from structlog.testing import capture_logs

from marketlink.app import create_app
from marketlink.delivery.http_client import OutboundHttp
from marketlink.delivery.worker import Worker
from marketlink.domain.actors import Role
from marketlink.domain.logins import set_password
from marketlink.domain.passwords import Passwords
from marketlink.domain.vendors import create_token, create_vendor
from marketlink.storage.database import Database
from tests.e2e.server import free_port
from tests.helpers import TEST_SECRET_KEY, make_world, settings_for
from tests.security.secret_flows import (
    PASSWORD_EMAIL,
    STATUSES,
    ProductHost,
    Recorder,
    Secrets,
    Tokens,
    random_text,
    run_flows,
    web_logins,
)

FAST_HASHING = {"password_hash_memory_kib": 19_456, "password_hash_time_cost": 2,
                "password_hash_parallelism": 1}
EXPECTED_NOTIFICATIONS = {"oauth2": "Bearer ", "basic": "Basic ", "oauth1": "OAuth ", "direct": None}


async def issue_tokens(db: Database, services, found: Secrets) -> Tokens:
    async with db.write() as conn:
        vendor = await create_vendor(conn, services, "Vendor")
        other = await create_vendor(conn, services, "Other vendor")
        tokens = Tokens(await create_token(conn, services, Role.ADMIN, None, "admin"),
                        await create_token(conn, services, Role.DEVELOPER, vendor, "dev"),
                        await create_token(conn, services, Role.DEVELOPER, other, "other dev"))
    for token in (tokens.admin, tokens.developer, tokens.other_developer):
        found.add(token, "API token")
    return tokens


async def start_host(host: ProductHost) -> web.AppRunner:
    runner = web.AppRunner(host.app())
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    return runner


@asynccontextmanager
async def served(db: Database):
    """MarketLink (system clock) on a loopback port, allowed to call loopback hosts; its
    worker is driven by the test."""
    port = free_port()
    settings = settings_for(db.url, allow_private_urls=True, base_url=f"http://127.0.0.1:{port}",
                            run_worker=False, **FAST_HASHING)
    app = create_app(settings, db=db)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="debug",
                                           log_config=None, access_log=False))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    http = OutboundHttp(settings)
    try:
        yield app, Worker(db, app.state.services, http)
    finally:
        await http.close()
        server.should_exit = True
        await serving


# The test's own HTTP client (the developer's, the browser's, the host's calls) logs what it
# sends and receives; MarketLink does not use it.
CALLER_SIDE = ("httpx", "httpcore")


def captured_lines(structured: list[dict], records: list[logging.LogRecord]) -> list[str]:
    """Every captured log entry of the serving side as text: structlog's event dicts with
    their exceptions formatted, and standard library records as a handler formats them."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return ([json.dumps(entry, default=str) for entry in structured]
            + [formatter.format(record) for record in records
               if record.name.split(".")[0] not in CALLER_SIDE])


def leaks_in_logs(found: Secrets, lines: list[str]) -> list[tuple[str, str]]:
    return [(secret.kind, line[:300]) for secret in found.items for line in lines
            if any(form in line for form in secret.forms())]


def answers_with(secret, answers) -> list[str]:
    return [answer.label for answer in answers if any(form in answer.text for form in secret.forms())]


def misplaced_in_answers(found: Secrets, answers) -> list[tuple[str, list[str]]]:
    """Each secret whose answers are not exactly what it allows: none, the one that issued it,
    or (for what may be fetched again) only answers of that kind."""
    wrong = []
    for secret in found.items:
        labels = answers_with(secret, answers)
        allowed = [] if secret.allowed_in is None else [secret.allowed_in]
        if secret.once and labels != allowed or not secret.once and set(labels) != set(allowed):
            wrong.append((secret.kind, labels))
    return wrong


def assert_delivered(host: ProductHost, events: list[dict]) -> None:
    """The flows did what they are for: each host notified with its credentials, the refused
    OAUTH2 secret recorded as the token endpoint's refusal (never with the secret)."""
    assert {kind: (auth.split(" ", 1)[0] + " " if auth else None) for kind, auth in host.notifications} \
        == EXPECTED_NOTIFICATIONS
    outcomes = sorted((e["type"], e["status"], [a["error"] for a in e["attempts"]]) for e in events)
    assert outcomes == sorted([("SUBSCRIPTION_ORDER", "SUCCEEDED", [None])] * 4 + [
        ("SUBSCRIPTION_ORDER", "QUEUED", ["token endpoint: unexpected_status (HTTP 401): "
                                          "invalid_client"])])


def test_the_scan_finds_a_secret_in_each_form_it_travels_in():
    """The scan itself: a secret written as JSON escapes it, a form or URL percent-encodes it,
    HTTP Basic base64-encodes it with the user (RFC 6749 form-encodes both first)."""
    found = Secrets()
    value = found.add("s3cret/+&=\u00fc-value", "secret", user="client id")
    lines = [json.dumps({"event": value}), f"GET /x?s={quote(value, safe='')}", f"body s={quote_plus(value)}",
             "Authorization: Basic " + base64.b64encode(f"client id:{value}".encode()).decode(),
             "Authorization: Basic " + base64.b64encode(f"client+id:{quote_plus(value)}".encode()).decode(),
             html.escape(value), "nothing to see"]

    assert [line for _, line in leaks_in_logs(found, lines)] == lines[:-1]


async def test_no_secret_is_logged_and_each_is_shown_once(db, caplog):
    caplog.set_level(logging.DEBUG)
    found = Secrets()
    password = found.add(random_text("the-password"), "password")
    with capture_logs(processors=[structlog.contextvars.merge_contextvars,
                                  structlog.processors.format_exc_info]) as structured:
        async with served(db) as (app, worker):
            services = app.state.services
            tokens = await issue_tokens(db, services, found)
            api = Recorder(services.settings.base_url)
            host = ProductHost(api, found)
            runner = await start_host(host)
            try:
                events = await run_flows(api, host, tokens, found, worker.run_until_idle)
                await set_password(db, services, Passwords(services.settings), PASSWORD_EMAIL, password)
                await web_logins(services.settings.base_url, api, found, PASSWORD_EMAIL, password)
            finally:
                await runner.cleanup()
                await api.client.aclose()
    lines = captured_lines(structured, caplog.records)

    assert_delivered(host, events)
    assert len(found.items) >= 25 and len(lines) >= 60
    assert leaks_in_logs(found, lines) == []
    assert misplaced_in_answers(found, api.answers) == []


# --- errors name the mistake, not the refused value ------------------------------------------

CREATE = """mutation($input: CreateProductIntegrationInput!) { createProductIntegration(input: $input) {
  userErrors { code } } }"""


REFUSED_INPUTS = [  # (query, variables, the whole message)
    (CREATE, {"input": {"name": "x", "outboundCredentials": {"clientSecret": "s3cret-1"}}},
     "Variable '$input' has invalid value at .outboundCredentials: Expected value of type "
     "'OutboundCredentialsInput' to include required field 'type'."),
    (CREATE, {"input": {"name": "x", "outboundCredentials": {"type": "OAUTH2", "clientSecret": "s3cret-2",
                                                             "clientSecrets": "s3cret-2"}}},
     "Variable '$input' has invalid value at .outboundCredentials: Expected value of type "
     "'OutboundCredentialsInput' not to include unknown field 'clientSecrets'. Did you mean 'clientSecret'?"),
    (CREATE, {"input": "s3cret-3"},
     "Variable '$input' has invalid value: Expected value of type 'CreateProductIntegrationInput' to be an object."),
    ('mutation { createProductIntegration(input: {name: "x", outboundCredentials: {clientSecret: "s3cret-4"}}) '
     '{ userErrors { code } } }', None,
     "Expected value of type 'OutboundCredentialsInput' to include required field 'type'."),
]


async def test_a_refused_input_value_is_not_repeated_in_the_error(db):
    world, client = await make_world(db)
    async with client:
        answers = [await world.api.post(query, variables, world.dev_a) for query, variables, _ in REFUSED_INPUTS]

    assert [(a.status_code, [e["message"] for e in a.json()["errors"]]) for a in answers] == [
        (200, [message]) for _, _, message in REFUSED_INPUTS]
    assert not any("s3cret" in a.text for a in answers)


# --- a real `marketlink serve` process and its log ---------------------------------------------

BIN = Path(sys.executable).parent


async def prepared_database(path: Path, sqlite_template: Path, found: Secrets, password: str) -> Tokens:
    path.write_bytes(sqlite_template.read_bytes())
    db = Database(f"sqlite:///{path}")
    settings = settings_for(db.url, **FAST_HASHING)
    app = create_app(settings, db=db)
    try:
        tokens = await issue_tokens(db, app.state.services, found)
        async with db.write() as conn:  # the buyer who logs in, with a password
            from marketlink.domain import companies
            from marketlink.domain.actors import Actor
            admin = Actor(Role.ADMIN, None)
            company = await companies.create_company(conn, admin, app.state.services,
                                                     {"name": "Login Co", "country": "US"})
            await companies.create_user(conn, admin, app.state.services, {
                "companyId": company.value.id, "email": "login@buyer.example", "firstName": "L",
                "lastName": "U", "language": "en"})
        await set_password(db, app.state.services, Passwords(settings), "login@buyer.example", password)
    finally:
        await db.dispose()
    return tokens


@pytest.mark.parametrize("log_json", ["true"])
async def test_a_served_process_logs_no_secret(tmp_path, sqlite_template, log_json):
    found = Secrets()
    password = found.add(random_text("served-password"), "password")
    tokens = await prepared_database(tmp_path / "served.db", sqlite_template, found, password)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARKETLINK_")} | {
        "MARKETLINK_DATABASE_URL": f"sqlite:///{tmp_path / 'served.db'}",
        "MARKETLINK_SECRET_KEY": TEST_SECRET_KEY, "MARKETLINK_PORT": str(port),
        "MARKETLINK_BASE_URL": base_url, "MARKETLINK_ALLOW_PRIVATE_URLS": "true",
        "MARKETLINK_LOG_LEVEL": "DEBUG", "MARKETLINK_LOG_JSON": log_json,
        "MARKETLINK_RETRY_SCHEDULE_S": "[600]", "MARKETLINK_WORKER_POLL_S": "0.1",
        **{f"MARKETLINK_{k.upper()}": str(v) for k, v in FAST_HASHING.items()}}
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen([str(BIN / "marketlink"), "serve"], env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    api = Recorder(base_url)
    host = ProductHost(api, found)
    runner = await start_host(host)
    try:
        await until_healthy(api, process, log)
        events = await run_flows(api, host, tokens, found, lambda: until_delivered(api, tokens))
        await web_logins(base_url, api, found, "login@buyer.example", password)
    finally:
        await runner.cleanup()
        await api.client.aclose()
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    lines = log.read_text().splitlines()

    assert_delivered(host, events)
    assert len(lines) >= 50
    assert leaks_in_logs(found, lines) == []
    assert misplaced_in_answers(found, api.answers) == []


async def until_healthy(api: Recorder, process: subprocess.Popen, log: Path) -> None:
    for _ in range(600):
        if process.poll() is not None:
            raise AssertionError(f"marketlink serve exited:\n{log.read_text()}")
        try:
            if (await api.send("health", "GET", "/healthz")).status_code == 200:
                return
        except httpx.TransportError:  # not listening yet
            pass
        await asyncio.sleep(0.05)
    raise AssertionError(f"marketlink serve did not start:\n{log.read_text()}")


async def until_delivered(api: Recorder, tokens: Tokens) -> None:
    """The server's own worker has tried every event once."""
    for _ in range(600):
        data = await api.data("poll", STATUSES.replace("status", "status attemptCount"), {}, tokens.admin)
        if all(e["attemptCount"] >= 1 and e["status"] != "DELIVERING" for e in data["events"]["nodes"]):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the events were not delivered")

"""Browser tests of the console: Debian's Chromium driven by Playwright (sync API), against
MarketLink served by uvicorn with its delivery worker on a loopback port, on SQLite and on
PostgreSQL like every other test, with product hosts as real aiohttp servers on loopback.

Without Chromium (``/usr/bin/chromium``, or ``MARKETLINK_CHROMIUM``) every test here is
skipped, and pytest's summary says why (``-ra``); ``.ci/run`` installs Chromium first.

What a test gets:
- ``console``: a ``ConsoleServer`` (``base_url``, ``call(fn)`` to run ``await fn(db, services)``
  on the server's own event loop, ``user(...)`` to create a user with a password and a console
  role, ``host()`` to start a loopback product host);
- ``page``: a fresh Playwright page (its own browser context) on that server;
- ``log_in(page, email)`` and ``screenshot(page, name)`` (writes ``docs/screenshots/<name>.png``,
  on the SQLite run only, so both runs do not race for the file).
"""

import asyncio
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from marketlink.domain.actors import Role
from marketlink.domain.companies import create_company
from marketlink.domain.console_access import grant_console_role
from marketlink.domain.logins import create_user_with_password
from marketlink.domain.passwords import Passwords
from marketlink.domain.services import Services
from marketlink.storage.database import Database
from tests.conftest import BACKENDS
from tests.threaded_server import ThreadedServer, database_for

CHROMIUM = os.environ.get("MARKETLINK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "correct horse battery staple"

if not Path(CHROMIUM).exists():
    pytest.skip(f"browser tests skipped: no Chromium at {CHROMIUM} (install Debian's chromium "
                f"package, or set MARKETLINK_CHROMIUM)", allow_module_level=True)

from playwright.sync_api import Page, sync_playwright  # noqa: E402


@dataclass
class LoopbackHost:
    """A product host: answers every GET and POST on any path with ``status`` and ``body``
    (JSON), after ``delay_s``; keeps what it received (method, path and query, headers)."""

    status: int = 200
    body: str = '{"success": true, "accountIdentifier": "acct-1"}'
    delay_s: float = 0.0
    received: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append({"method": request.method, "path_qs": request.path_qs,
                              "headers": dict(request.headers)})
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        return web.Response(status=self.status, text=self.body, content_type="application/json")


class ConsoleServer(ThreadedServer):
    """MarketLink (API, console, worker) on its own thread and event loop."""

    def __init__(self, database_url: str, search_path: str | None) -> None:
        super().__init__(database_url, search_path, allow_private_urls=True, run_worker=True,
                         password_hash_memory_kib=19_456, password_hash_time_cost=2,
                         retry_schedule_s=(1.0, 2.0), retry_jitter=0.0)
        self._runners: list[web.AppRunner] = []

    async def on_stop(self) -> None:
        for runner in self._runners:
            await runner.cleanup()

    def host(self, **answer: Any) -> LoopbackHost:
        """Start a loopback product host (on the server's loop); its ``url`` is set."""
        host = LoopbackHost(**answer)

        async def start(_db: Database, _services: Services) -> None:
            app = web.Application()
            app.router.add_route("*", "/{tail:.*}", host.handle)
            runner = web.AppRunner(app)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            self._runners.append(runner)
            host.url = f"http://127.0.0.1:{runner.addresses[0][1]}"

        self.call(start)
        return host

    def user(self, email: str, role: Role | None, vendor_id: str | None = None,
             company: str = "Console Users", company_id: str | None = None) -> str:
        """A user who can log in with ``PASSWORD``, with this console role; the user's id. With
        ``company_id`` the user is one of that company's (and a COMPANY_ADMIN is bound to it);
        else of a new company named ``company``."""
        from marketlink.domain.actors import Actor

        operator = Actor(Role.ADMIN, None)

        async def create(db: Database, services: Services) -> str:
            if company_id is None:
                made = await db.command(lambda conn: create_company(
                    conn, operator, services, {"name": company, "country": "GB"}))
                assert made.errors == []
            created = await create_user_with_password(
                db, operator, services, Passwords(self.settings),
                {"companyId": company_id or made.value.id, "email": email, "firstName": "Test",
                 "lastName": "User", "language": "en"}, PASSWORD)
            assert created.errors == []
            if role is not None:
                granted = await db.command(lambda conn: grant_console_role(
                    conn, services, email, role, vendor_id,
                    company_id if role is Role.COMPANY_ADMIN else None))
                assert granted.errors == []
            return created.value.id

        return self.call(create)


@pytest.fixture(params=BACKENDS)
def console(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path,
            pg_schema: str | None) -> Iterator[ConsoleServer]:
    server = ConsoleServer(*database_for(request.param, tmp_path, sqlite_template, pg_schema))
    server.backend = request.param
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def page(console: ConsoleServer) -> Iterator[Page]:
    """A page in a browser of its own. Playwright's sync API runs an event loop on this thread
    while it is open, so it starts after the server (whose setup uses ``asyncio.run``) and
    stops before the next test's."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=console.base_url,
                                      viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        yield context.new_page()
        context.close()
        browser.close()


def log_in(page: Page, email: str, password: str = PASSWORD, path: str = "/console") -> None:
    """Log in through the login form, starting from ``path``."""
    page.goto(path)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


@pytest.fixture
def screenshot(console: ConsoleServer) -> Callable[[Page, str], None]:
    def take(page: Page, name: str) -> None:
        if console.backend == "sqlite":
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    return take

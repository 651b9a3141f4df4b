"""MarketLink served by uvicorn on a loopback port, on a thread and event loop of its own: for
tests whose client blocks the test's thread (Playwright's sync API, schemathesis's requests)."""

import asyncio
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import uvicorn

from marketlink.app import create_app
from marketlink.clock import Clock
from marketlink.domain.services import Services
from marketlink.storage.database import Database
from tests.conftest import empty_database
from tests.e2e.server import free_port
from tests.helpers import settings_for


class ThreadedServer:
    """``start()``, ``call(fn)`` to run ``await fn(db, services)`` on the server's loop,
    ``stop()``; ``on_stop`` is awaited on that loop once the server has stopped."""

    def __init__(self, database_url: str, search_path: str | None, clock: Clock | None = None,
                 **settings: Any) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.settings = settings_for(database_url, base_url=self.base_url, **settings)
        self.search_path, self.clock = search_path, clock
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.db = Database(self.settings.database_url, search_path=self.search_path)
        self.app = create_app(self.settings, clock=self.clock, db=self.db)
        self.services: Services = self.app.state.services
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port,
                                                   log_level="warning"))
        self.loop.run_until_complete(self._serve())

    async def _serve(self) -> None:
        serving = asyncio.create_task(self.server.serve())
        while not self.server.started and not serving.done():
            await asyncio.sleep(0.01)
        self.ready.set()
        await serving
        await self.on_stop()
        await self.db.dispose()

    async def on_stop(self) -> None:
        """What a subclass started on the server's loop, to clean up."""

    def start(self) -> None:
        self.thread.start()
        if not self.ready.wait(30) or not self.server.started:
            raise RuntimeError(f"{type(self).__name__} did not start")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)

    def call(self, work: Callable[[Database, Services], Awaitable[Any]]) -> Any:
        """Run ``await work(db, services)`` on the server's loop; its result."""
        return asyncio.run_coroutine_threadsafe(work(self.db, self.services), self.loop).result(60)


def database_for(backend: str, tmp_path: Path, sqlite_template: Path, pg_schema: str | None
                 ) -> tuple[str, str | None]:
    """URL and search path of an empty, migrated database of ``backend`` for one server
    (``tests.conftest.empty_database``)."""
    async def empty() -> str:
        database = await empty_database(backend, tmp_path, sqlite_template, pg_schema)
        await database.dispose()
        return database.url

    return asyncio.run(empty()), None if backend == "sqlite" else pg_schema

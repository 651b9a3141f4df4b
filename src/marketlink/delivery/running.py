"""Running a worker as a background task of a process (``serve``) or as the process itself
(``marketlink worker``)."""

import asyncio

from marketlink.delivery.http_client import OutboundHttp
from marketlink.delivery.wakeups import Listener, listen
from marketlink.delivery.worker import Worker
from marketlink.domain.services import Services
from marketlink.storage.database import Database


class RunningWorker:
    def __init__(self, worker: Worker, task: asyncio.Task[None], stopping: asyncio.Event,
                 listener: Listener) -> None:
        self.worker, self._task, self._stopping, self._listener = worker, task, stopping, listener

    async def stop(self) -> None:
        """Stop claiming, let deliveries in flight finish, close the HTTP client."""
        self._stopping.set()
        self.worker.services.events_queued.notify()
        await self._task
        await self._listener.close()
        await self.worker.http.close()


async def start_worker(db: Database, services: Services) -> RunningWorker:
    worker = Worker(db, services, OutboundHttp(services.settings))
    listener = await listen(db, services.events_queued)
    stopping = asyncio.Event()
    return RunningWorker(worker, asyncio.create_task(worker.run(stopping)), stopping, listener)

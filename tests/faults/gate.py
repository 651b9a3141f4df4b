"""The run's own database calls (the producer's mutations, the killer's and the monitor's reads)
pass a gate that a PostgreSQL restart closes: it waits for the calls under way, and holds new
ones until the server is back. So no call of the run itself spans the outage, and a mutation
never has to be retried without knowing whether it committed (the workers get no such care)."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class Gate:
    def __init__(self) -> None:
        self._open = asyncio.Event()
        self._open.set()
        self._idle = asyncio.Event()
        self._idle.set()
        self._passing = 0

    @asynccontextmanager
    async def passing(self) -> AsyncIterator[None]:
        await self._open.wait()
        self._passing += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._passing -= 1
            if not self._passing:
                self._idle.set()

    @asynccontextmanager
    async def closed(self) -> AsyncIterator[None]:
        self._open.clear()
        await self._idle.wait()
        try:
            yield
        finally:
            self._open.set()

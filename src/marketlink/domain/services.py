"""What domain commands need besides a connection: made once at start, passed explicitly."""

import asyncio
from dataclasses import dataclass, field

from marketlink.clock import Clock
from marketlink.config import Settings
from marketlink.crypto import Keyring
from marketlink.metrics import Metrics


class Signal:
    """Wakes the in-process delivery worker when a command has queued events (polling covers
    events queued by other processes)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()  # binds to a loop only when first awaited

    def notify(self) -> None:
        self._event.set()

    async def wait(self, timeout_s: float) -> None:
        """Return when notified or after ``timeout_s``, whichever comes first."""
        try:
            await asyncio.wait_for(self._event.wait(), timeout_s)
        except TimeoutError:
            pass
        self._event.clear()


@dataclass(frozen=True)
class Services:
    settings: Settings
    keyring: Keyring
    clock: Clock
    events_queued: Signal = field(default_factory=Signal)
    metrics: Metrics = field(default_factory=Metrics)  # this process's (marketlink/metrics.py)

"""Time as the rest of the code sees it. The only thing tests fake."""

import time
from typing import Protocol


class Clock(Protocol):
    def now_ms(self) -> int:
        """Milliseconds since the epoch."""


class SystemClock:
    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


class FrozenClock:
    """A clock that moves only when told to (tests)."""

    def __init__(self, now_ms: int) -> None:
        self.current = now_ms

    def now_ms(self) -> int:
        return self.current

    def advance(self, ms: int) -> None:
        self.current += ms

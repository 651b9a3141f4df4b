"""Replay guard for OAuth 1.0a requests: a bounded memory of recently used nonces.

**Per process.** Each process remembers only what it has seen itself, so with several
``marketlink serve`` processes (SPEC §6) a captured request can be replayed once against each of
them within the window. A multi-process deployment needs a shared store (a table with a unique
key on consumer key, timestamp and nonce, or Redis ``SET NX EX``) behind the same ``check``.
Not thread-safe; meant for one event loop.
"""

import heapq
from enum import StrEnum

DEFAULT_WINDOW_S = 300
DEFAULT_MAX_ENTRIES = 100_000

_Entry = tuple[str, int, str]  # consumer key, oauth_timestamp, oauth_nonce


class NonceFailure(StrEnum):
    NONCE_REUSED = "nonce_reused"
    NONCE_CACHE_FULL = "nonce_cache_full"
    TIMESTAMP_OUT_OF_WINDOW = "timestamp_out_of_window"


class NonceCache:
    """Remembers ``(consumer_key, timestamp, nonce)`` until ``timestamp + window_s`` has passed.

    After that the timestamp check refuses the request anyway, so forgetting is safe as long as
    ``window_s`` is at least the verifier's window. At most ``max_entries`` are held: expired ones
    are evicted first; when every entry is still live a new one is **refused** (reported as not
    new). Evicting a live entry would let its request be replayed; refusing fails closed, and
    since only correctly signed requests get here, only holders of a valid key and secret can
    fill it. ``refused`` counts those refusals for monitoring.
    """

    def __init__(self, window_s: int = DEFAULT_WINDOW_S, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        if window_s <= 0 or max_entries <= 0:
            raise ValueError("window_s and max_entries must be positive")
        self.window_s = window_s
        self.max_entries = max_entries
        self.refused = 0
        self._expiry: dict[_Entry, int] = {}
        self._by_expiry: list[tuple[int, _Entry]] = []

    def __len__(self) -> int:
        return len(self._expiry)

    def seen_before(self, consumer_key: str, timestamp: int, nonce: str, now: float) -> bool:
        """False when the triple is new (and is now remembered); True for a replay, for a
        timestamp outside the window, or when the cache is full of live entries."""
        return self.check(consumer_key, timestamp, nonce, now) is not None

    def check(self, consumer_key: str, timestamp: int, nonce: str, now: float) -> NonceFailure | None:
        """Like ``seen_before`` but says why: ``None`` for a new triple, else a ``NonceFailure``."""
        if abs(now - timestamp) > self.window_s:
            return NonceFailure.TIMESTAMP_OUT_OF_WINDOW
        self._evict_expired(now)
        entry = (consumer_key, timestamp, nonce)
        if entry in self._expiry:
            return NonceFailure.NONCE_REUSED
        if len(self._expiry) >= self.max_entries:
            self.refused += 1
            return NonceFailure.NONCE_CACHE_FULL
        self._remember(entry, timestamp + self.window_s)
        return None

    def _remember(self, entry: _Entry, expires_at: int) -> None:
        self._expiry[entry] = expires_at
        heapq.heappush(self._by_expiry, (expires_at, entry))

    def _evict_expired(self, now: float) -> None:
        while self._by_expiry and self._by_expiry[0][0] < now:
            _, entry = heapq.heappop(self._by_expiry)
            del self._expiry[entry]

"""Failed-login limits: per email and per client address, within a sliding window.

The policy is one pure function, :func:`locked_out`; :class:`LoginThrottle` keeps the recent
failures of each key in memory, bounded in keys and in failures per key. Being in memory, the
limits are per process (docs/adr/0011 says why that is acceptable).
"""

import asyncio
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from marketlink.config import Settings

MAX_TRACKED_KEYS = 50_000
MAX_WAIT_S = 10.0  # how long a check may wait for a slot under its key's limit before it is refused


@dataclass(frozen=True)
class ThrottlePolicy:
    max_failures_per_email: int
    max_failures_per_ip: int
    window_ms: int

    @classmethod
    def from_settings(cls, settings: Settings) -> "ThrottlePolicy":
        return cls(settings.login_max_failures, settings.login_max_failures_per_ip,
                   int(settings.login_window_s * 1000))

    @classmethod
    def for_token_endpoint(cls, settings: Settings) -> "ThrottlePolicy":
        """The same rule for clients authenticating at ``/oauth2/token`` (the client id in the
        place of the email)."""
        return cls(settings.token_max_failures_per_client, settings.token_max_failures_per_ip,
                   int(settings.login_window_s * 1000))


def recent_failures(failures_ms: Sequence[int], now_ms: int, window_ms: int) -> int:
    """How many of the failure times fall within the window that ends now."""
    return sum(1 for at in failures_ms if at > now_ms - window_ms)


def locked_out(failures_ms: Sequence[int], now_ms: int, max_failures: int, window_ms: int) -> bool:
    """True when at least ``max_failures`` of the failure times fall within the window that
    ends now."""
    return recent_failures(failures_ms, now_ms, window_ms) >= max_failures


class LoginThrottle:
    """Remembers recent failures; refuses a key that reached its limit until the window passes."""

    def __init__(self, policy: ThrottlePolicy, max_keys: int = MAX_TRACKED_KEYS) -> None:
        self.policy, self._max_keys = policy, max_keys
        self._failures: OrderedDict[str, list[int]] = OrderedDict()
        self._checking: Counter[str] = Counter()  # checks under way per key (none kept at 0)
        self._settled = asyncio.Condition()  # a check ended: its slot is free, its failure counted

    def refused(self, email: str, client_ip: str, now_ms: int) -> bool:
        return any(locked_out(self._failures.get(key, ()), now_ms, limit, self.policy.window_ms)
                   for key, limit in self._keys(email, client_ip))

    def admit(self, email: str, client_ip: str, now_ms: int) -> bool:
        """Whether an attempt may go on. An admitted attempt counts as a failure until
        :meth:`succeeded` says otherwise, so concurrent attempts cannot overrun a limit."""
        if self.refused(email, client_ip, now_ms):
            return False
        self.failed(email, client_ip, now_ms)
        return True

    async def enter(self, email: str, client_ip: str, now_ms: Callable[[], int],
                    max_wait_s: float = MAX_WAIT_S) -> bool:
        """Take a slot for a check whose failure is known only once it happened (the token
        endpoint's). Per key, failures in the window plus checks under way stay below the
        limit, so concurrent guesses cannot overrun it; a check beyond waits for one under
        way to :meth:`leave`. False (refuse) when the key is locked out, or after
        ``max_wait_s``. A burst of right answers only waits its turn."""
        keys, loop = self._keys(email, client_ip), asyncio.get_running_loop()
        deadline = loop.time() + max_wait_s
        async with self._settled:
            while True:
                now = now_ms()
                usage = [(recent_failures(self._failures.get(key, ()), now, self.policy.window_ms),
                          self._checking[key], limit) for key, limit in keys]
                if any(failed >= limit for failed, _, limit in usage):
                    return False  # locked out
                if all(failed + checking < limit for failed, checking, limit in usage):
                    for key, _ in keys:
                        self._checking[key] += 1
                    return True
                try:
                    await asyncio.wait_for(self._settled.wait(), deadline - loop.time())
                except TimeoutError:
                    return False

    async def leave(self, email: str, client_ip: str) -> None:
        """The check :meth:`enter` admitted has ended, its failure (if any) already counted."""
        async with self._settled:
            for key, _ in self._keys(email, client_ip):
                self._checking[key] -= 1
                if self._checking[key] <= 0:
                    del self._checking[key]
            self._settled.notify_all()

    def _keys(self, email: str, client_ip: str) -> tuple[tuple[str, int], tuple[str, int]]:
        return (("email:" + email, self.policy.max_failures_per_email),
                ("ip:" + client_ip, self.policy.max_failures_per_ip))

    def failed(self, email: str, client_ip: str, now_ms: int) -> None:
        """Count a failure (the token endpoint's, known once it happened, between
        :meth:`enter` and :meth:`leave`)."""
        for key, limit in self._keys(email, client_ip):
            self._record(key, now_ms, limit)

    def succeeded(self, email: str, client_ip: str, admitted_ms: int) -> None:
        """The attempt admitted at ``admitted_ms`` succeeded: the email's failures are cleared,
        and the attempt no longer counts against the address (its other failures still do)."""
        self._failures.pop("email:" + email, None)
        if admitted_ms in (recent := self._failures.get("ip:" + client_ip, [])):
            recent.remove(admitted_ms)

    def _record(self, key: str, now_ms: int, keep: int) -> None:
        # Only the newest ``keep`` failures can decide a lockout, so older ones are dropped;
        # the least recently failed keys go first when there are too many.
        recent = [at for at in self._failures.pop(key, []) if at > now_ms - self.policy.window_ms]
        self._failures[key] = (recent + [now_ms])[-keep:]
        while len(self._failures) > self._max_keys:
            self._failures.popitem(last=False)

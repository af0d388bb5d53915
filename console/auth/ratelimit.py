"""Login throttling: a progressive delay per account and per client address (in memory).

Each key (an account, an address, or a browser that has signed in to the account before) gets
a few free tries; after that every further try must wait twice as long as the one before, up
to a ceiling. Nothing is ever locked: the real user waits at most the ceiling, and a browser
that signed in to the account before has its own key, so an attack on the account from
elsewhere does not slow that browser at all. Tries in flight count as failures until they
finish, so a burst of simultaneous tries gets no more free guesses than one at a time.
Refused tries are answered at once (429 + Retry-After): nothing sleeps, nothing holds a
database connection while it waits.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

# Keys kept at most; beyond it the stalest are forgotten first (an attacker cycling user
# names or addresses cannot grow memory without bound).
MAX_KEYS = 100_000


@dataclass
class _Key:
    fails: deque[float] = field(default_factory=deque)
    inflight: int = 0
    last: float = 0.0


@dataclass(slots=True)
class Attempt:
    """A reserved try: report how it went with `failed` or `succeeded`; `release` otherwise."""

    keys: tuple[str, ...]
    account_keys: tuple[str, ...]
    done: bool = False


class LoginThrottle:
    """Failed-login bookkeeping and the delay each key must wait before its next try."""

    def __init__(
        self,
        per_account: int,
        per_address: int,
        window_s: float,
        delay_s: float = 1.0,
        max_delay_s: float = 60.0,
    ) -> None:
        self.per_account = per_account
        self.per_address = per_address
        self.window_s = window_s
        self.delay_s = delay_s
        self.max_delay_s = max_delay_s
        self._keys: dict[str, _Key] = {}
        self._clock = time.monotonic

    def delay_after(self, tries: int, free: int) -> float:
        """The wait before a try once `tries` have failed (0 while free tries remain)."""
        if tries < free:
            return 0.0
        return float(min(self.max_delay_s, self.delay_s * 2 ** min(tries - free, 32)))

    def _entry(self, key: str, now: float) -> _Key:
        entry = self._keys.get(key)
        if entry is None:
            if len(self._keys) >= MAX_KEYS:
                self._sweep(now)
            entry = self._keys[key] = _Key()
        while entry.fails and now - entry.fails[0] > self.window_s:
            entry.fails.popleft()
        return entry

    def _sweep(self, now: float) -> None:
        idle = [
            k
            for k, e in self._keys.items()
            if not e.inflight and (not e.fails or now - e.fails[-1] > self.window_s)
        ]
        for k in idle:
            del self._keys[k]
        if len(self._keys) >= MAX_KEYS:
            for k in sorted(self._keys, key=lambda k: self._keys[k].last)[: MAX_KEYS // 10]:
                if not self._keys[k].inflight:
                    del self._keys[k]

    def _plan(self, account: str, address: str, device: str | None) -> list[tuple[str, int]]:
        acct = f"d:{device}" if device else f"a:{account.lower()}"
        return [(acct, self.per_account), (f"ip:{address}", self.per_address)]

    def begin(self, account: str, address: str, device: str | None = None) -> Attempt | float:
        """Reserve a try, or say how many seconds the caller must wait first."""
        now = self._clock()
        plan = self._plan(account, address, device)
        wait = 0.0
        for key, free in plan:
            entry = self._entry(key, now)
            tries = len(entry.fails) + entry.inflight
            delay = self.delay_after(tries, free)
            if delay:
                wait = max(wait, entry.last + delay - now)
        if wait > 0:
            return wait
        for key, _ in plan:
            entry = self._entry(key, now)
            entry.inflight += 1
            entry.last = now
        return Attempt(tuple(k for k, _ in plan), (plan[0][0],))

    def _finish(self, attempt: Attempt, failed: bool) -> None:
        if attempt.done:
            return
        attempt.done = True
        now = self._clock()
        for key in attempt.keys:
            entry = self._keys.get(key)
            if entry is None:
                continue
            entry.inflight = max(0, entry.inflight - 1)
            if failed:
                entry.fails.append(now)
                entry.last = now

    def failed(self, attempt: Attempt) -> None:
        """The password was wrong: the keys' next tries wait longer."""
        self._finish(attempt, failed=True)

    def succeeded(self, attempt: Attempt) -> None:
        """The password was right: the account's (or browser's) failures are forgotten."""
        if attempt.done:
            return
        self._finish(attempt, failed=False)
        for key in attempt.account_keys:
            entry = self._keys.get(key)
            if entry is not None and not entry.inflight:
                del self._keys[key]

    def release(self, attempt: Attempt) -> None:
        """The try ended without a verdict (an error): it counts neither way (no-op if done)."""
        self._finish(attempt, failed=False)

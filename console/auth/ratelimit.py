"""Login throttling per account and per client address (sliding window, in memory)."""

from __future__ import annotations

import time
from collections import defaultdict, deque


class LoginThrottle:
    """Counts failed logins; refuses further attempts while a key is over its limit."""

    def __init__(self, per_account: int, per_address: int, window_s: float) -> None:
        self.per_account = per_account
        self.per_address = per_address
        self.window_s = window_s
        self._fails: dict[str, deque[float]] = defaultdict(deque)

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._fails[key]
        while q and now - q[0] > self.window_s:
            q.popleft()
        if not q:
            self._fails.pop(key, None)
            q = self._fails[key]
        return q

    def retry_after(self, account: str, address: str) -> float:
        """Seconds until another attempt is allowed (0 when allowed now)."""
        now = time.monotonic()
        waits = [0.0]
        for key, limit in (
            (f"a:{account.lower()}", self.per_account),
            (f"ip:{address}", self.per_address),
        ):
            q = self._recent(key, now)
            if len(q) >= limit:
                waits.append(self.window_s - (now - q[0]))
        return max(waits)

    def failed(self, account: str, address: str) -> None:
        """Record a failed attempt."""
        now = time.monotonic()
        self._fails[f"a:{account.lower()}"].append(now)
        self._fails[f"ip:{address}"].append(now)

    def succeeded(self, account: str) -> None:
        """Forget an account's failures after a good login."""
        self._fails.pop(f"a:{account.lower()}", None)

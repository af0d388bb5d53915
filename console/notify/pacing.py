"""Pacing of one channel: sliding-window rate limits and exponential back-off with jitter."""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable


class SlidingLimiter:
    """At most `count` sends in any `period` seconds, for each (count, period) pair.

    A sliding window rather than a token bucket: robots count messages per rolling minute
    (WeCom, DingTalk 20/min), and a full bucket plus its refill would allow twice that.
    """

    def __init__(self, limits: list[tuple[int, float]], clock: Callable[[], float]) -> None:
        self.clock = clock
        self._sent: deque[float] = deque()
        self.set_limits(limits)

    def set_limits(self, limits: list[tuple[int, float]]) -> None:
        """Change the limits, keeping the sends already counted."""
        self.limits = [(c, p) for c, p in limits if c > 0]
        self._longest = max((p for _, p in self.limits), default=0.0)

    def wait_time(self) -> float:
        """Seconds until one more send is allowed (0: now)."""
        now = self.clock()
        while self._sent and self._sent[0] <= now - self._longest:
            self._sent.popleft()
        wait = 0.0
        for count, period in self.limits:
            recent = [t for t in self._sent if t > now - period]
            if len(recent) >= count:
                wait = max(wait, recent[-count] + period - now)
        return wait

    def record(self) -> None:
        """Count a send made now."""
        self._sent.append(self.clock())


def backoff(
    attempt: int,
    initial_s: float,
    max_s: float,
    jitter: float,
    retry_after: float | None = None,
    rand: Callable[[], float] = random.random,
) -> float:
    """Wait before retry number `attempt` (1-based): initial*2^(attempt-1), capped, jittered.

    The jitter takes off a random share (up to `jitter`) so channels that failed together do
    not retry together; a server's Retry-After is honoured as a floor (capped at max_s).
    """
    wait: float = min(max_s, initial_s * 2.0 ** (attempt - 1)) * (1 - jitter * rand())
    if retry_after is not None:
        wait = max(wait, min(retry_after, max_s))
    return wait

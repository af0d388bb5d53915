"""Pieces of a camera link: state, backoff, counters, consumer queues, thread joins."""

from __future__ import annotations

import asyncio
import logging
import random
import threading
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from streams.packets import Packet

log = logging.getLogger(__name__)


class Owner(Protocol):
    """What a subscription needs of its hub."""

    def unsubscribe(self, sub: Subscription) -> None:
        """Remove a consumer."""


class LinkState(StrEnum):
    """Where the upstream connection is."""

    idle = "idle"
    connecting = "connecting"
    connected = "connected"
    backoff = "backoff"
    closed = "closed"


@dataclass
class Backoff:
    """Exponential backoff with jitter, capped; reset after a healthy spell."""

    base_s: float = 1.0
    cap_s: float = 60.0
    attempt: int = 0

    def next_delay(self) -> float:
        """Delay before the next attempt."""
        delay = min(self.cap_s, self.base_s * (2**self.attempt))
        self.attempt += 1
        return float(delay * random.uniform(0.5, 1.0))

    def reset(self) -> None:
        """After a connection that delivered for a while."""
        self.attempt = 0


class Subscription:
    """A consumer's bounded queue; when full it drops to the next keyframe."""

    def __init__(self, hub: Owner, maxsize: int, name: str) -> None:
        self.hub = hub
        self.name = name
        self.queue: asyncio.Queue[Packet | None] = asyncio.Queue(maxsize)
        self.waiting_for_key = False
        self.dropped = 0

    def offer(self, pkt: Packet) -> None:
        """Queue a packet without ever blocking the hub."""
        if self.waiting_for_key:
            if not pkt.keyframe:
                self.dropped += 1
                return
            self.waiting_for_key = False
        try:
            self.queue.put_nowait(pkt)
        except asyncio.QueueFull:
            # Behind: empty the queue and resume at the next keyframe so decoding stays valid.
            self.dropped += self.queue.qsize() + 1
            while not self.queue.empty():
                self.queue.get_nowait()
            self.waiting_for_key = not pkt.keyframe
            if pkt.keyframe:
                self.queue.put_nowait(pkt)

    async def get(self) -> Packet | None:
        """Next packet; None once the hub closed."""
        return await self.queue.get()

    def __aiter__(self) -> AsyncIterator[Packet]:
        return self._iter()

    async def _iter(self) -> AsyncIterator[Packet]:
        while (pkt := await self.queue.get()) is not None:
            yield pkt

    def close(self) -> None:
        """Leave the hub (closing the upstream when this was the last consumer)."""
        self.hub.unsubscribe(self)


@dataclass
class HubStats:
    """Counters for health and metrics."""

    connects: int = 0
    failures: int = 0
    stalls_replaced: int = 0
    connect_times: list[float] = field(default_factory=list)
    last_error: str | None = None  # masked detail, for logs and tooltips
    last_reason: str | None = None  # stable code: timeout, unauthorized, refused, stalled...


def join_threads(threads: Iterable[threading.Thread], within_s: float) -> list[str]:
    """Join threads against one shared deadline (blocking); return the names still running."""
    threads = list(threads)
    deadline = time.monotonic() + within_s
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    left = [t.name for t in threads if t.is_alive()]
    if left:
        # Daemon threads blocked inside FFmpeg end at their read timeout or with the process.
        log.warning("reader threads still running after %.1f s: %s", within_s, ", ".join(left))
    return left

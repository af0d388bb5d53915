"""Typed, versioned events; a bus interface a NATS or Redis backend can implement later."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Audience:
    """Who may receive an event: a permission and/or a set of units (None: no restriction)."""

    permission: str | None = None
    unit_ids: frozenset[int] | None = None
    user_ids: frozenset[int] | None = None
    # Users who can still see the object under other units are left out (e.g. a camera that
    # stopped being shared with some units: only those who lost it hear it went).
    except_unit_ids: frozenset[int] | None = None


EVERYONE = Audience()


@dataclass(frozen=True, slots=True)
class Event:
    """One event as sent to clients: {type, v, id, ts, data}."""

    id: int
    type: str
    data: dict[str, Any]
    v: int = 1
    ts: datetime = field(default_factory=lambda: datetime.now(UTC))
    audience: Audience = EVERYONE

    def wire(self) -> dict[str, Any]:
        """The JSON-ready form sent over /ws."""
        return {
            "type": self.type,
            "v": self.v,
            "id": self.id,
            "ts": self.ts.isoformat(),
            "data": self.data,
        }


class Subscription:
    """A bounded queue of events for one consumer; overflow marks it dropped."""

    def __init__(self, maxsize: int) -> None:
        self.queue: asyncio.Queue[Event] = asyncio.Queue(maxsize)
        self.dropped = asyncio.Event()

    def offer(self, event: Event) -> bool:
        """Queue without waiting; on overflow drop the subscription instead of blocking."""
        if self.dropped.is_set():
            return False
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped.set()
            return False
        return True

    async def get(self) -> Event | None:
        """Next event, or None once the subscription has been dropped as too slow."""
        if self.dropped.is_set():
            return None
        getter = asyncio.ensure_future(self.queue.get())
        dropper = asyncio.ensure_future(self.dropped.wait())
        try:
            done, _ = await asyncio.wait({getter, dropper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for fut in (getter, dropper):
                if not fut.done():
                    fut.cancel()
        if getter in done and not getter.cancelled():
            return getter.result()
        return None


class EventBus(Protocol):
    """Publish/subscribe with replay from an event id."""

    async def publish(
        self, type: str, data: dict[str, Any], *, audience: Audience = EVERYONE, v: int = 1
    ) -> Event:
        """Publish an event to every subscriber."""

    def subscribe(self, since: int | None = None, maxsize: int = 256) -> tuple[Subscription, bool]:
        """Subscribe; replay events after `since`. The flag is False when `since` is too old."""

    def unsubscribe(self, sub: Subscription) -> None:
        """Stop delivering to `sub`."""

    @property
    def last_id(self) -> int:
        """Id of the newest event published."""

    async def close(self) -> None:
        """Release resources."""


class InProcessBus:
    """Single-node bus: fan-out to bounded queues, a replay ring for resuming clients."""

    def __init__(self, replay: int = 2048, start_id: int = 0) -> None:
        self._ids = itertools.count(start_id + 1)
        self._last = start_id
        self._ring: deque[Event] = deque(maxlen=replay)
        self._subs: set[Subscription] = set()

    @property
    def last_id(self) -> int:
        """Id of the newest event published."""
        return self._last

    async def publish(
        self, type: str, data: dict[str, Any], *, audience: Audience = EVERYONE, v: int = 1
    ) -> Event:
        """Publish to all subscribers without ever waiting on one of them."""
        event = Event(id=next(self._ids), type=type, data=data, v=v, audience=audience)
        self._last = event.id
        self._ring.append(event)
        for sub in list(self._subs):
            if not sub.offer(event):
                self._subs.discard(sub)
                log.warning("event subscriber dropped: queue full at event %s", event.id)
        return event

    def subscribe(self, since: int | None = None, maxsize: int = 256) -> tuple[Subscription, bool]:
        """Subscribe, replaying buffered events after `since` when they are still held."""
        complete = True
        backlog: list[Event] = []
        if since is not None and since < self._last:
            oldest = self._ring[0].id if self._ring else self._last + 1
            complete = since >= oldest - 1
            backlog = [e for e in self._ring if e.id > since]
        # Room for the backlog on top of the live allowance, so resuming never overflows.
        sub = Subscription(maxsize + len(backlog))
        for event in backlog:
            sub.offer(event)
        self._subs.add(sub)
        return sub, complete

    def unsubscribe(self, sub: Subscription) -> None:
        """Stop delivering to a subscription."""
        self._subs.discard(sub)

    async def close(self) -> None:
        """Drop every subscription."""
        for sub in self._subs:
            sub.dropped.set()
        self._subs.clear()

"""The in-process bus: the embedded implementation of `EventBus` for a single node."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections import deque
from typing import Any

from console.events.bus import EVERYONE, Audience, Event, Handler, Subscription, matches

log = logging.getLogger(__name__)
CONSUMER_QUEUE = 4096


class LocalConsumer:
    """A task handing matching events of this process's bus to a handler."""

    def __init__(self, bus: InProcessBus, group: str, types: tuple[str, ...], handler: Handler):
        self.bus, self.group, self.types, self.handler = bus, group, types, handler
        # Subscribe now, not when the task first runs: events published right after
        # consume() returns must reach the handler.
        self._sub, _ = bus.subscribe(maxsize=CONSUMER_QUEUE)
        self.task = asyncio.create_task(self._run(), name=f"consume-{group}")

    async def _run(self) -> None:
        sub = self._sub
        while True:
            try:
                while (event := await sub.get()) is not None:
                    if not matches(self.types, event.type):
                        continue
                    try:
                        await self.handler(event)
                    except Exception:
                        log.exception("consumer %s failed on event %s", self.group, event.id)
            finally:
                self.bus.unsubscribe(sub)
            log.warning("consumer %s fell behind the event bus; events were missed", self.group)
            await asyncio.sleep(0.1)
            sub, _ = self.bus.subscribe(maxsize=CONSUMER_QUEUE)
            self._sub = sub

    async def stop(self) -> None:
        """Cancel the task and wait for it."""
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        self.bus.unsubscribe(self._sub)


class InProcessBus:
    """Single-node bus: fan-out to bounded queues, a replay ring for resuming clients."""

    def __init__(self, replay: int = 2048, start_id: int = 0) -> None:
        self._ids = itertools.count(start_id + 1)
        self._last = start_id
        self._ring: deque[Event] = deque(maxlen=replay)
        self._subs: set[Subscription] = set()
        self._consumers: list[LocalConsumer] = []

    @property
    def last_id(self) -> int:
        """Id of the newest event published."""
        return self._last

    @property
    def connected(self) -> bool:
        """Always: nothing to lose a connection to."""
        return True

    async def start(self) -> None:
        """Nothing to connect."""

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

    async def resume(self, since: int | None, maxsize: int = 256) -> tuple[Subscription, bool]:
        """The ring is all the history there is."""
        return self.subscribe(since, maxsize)

    def unsubscribe(self, sub: Subscription) -> None:
        """Stop delivering to a subscription."""
        self._subs.discard(sub)

    def consume(self, group: str, types: tuple[str, ...], handler: Handler) -> LocalConsumer:
        """One process is the whole group: every matching event goes to `handler`."""
        consumer = LocalConsumer(self, group, types, handler)
        self._consumers.append(consumer)
        return consumer

    async def close(self) -> None:
        """Stop consumers and drop every subscription."""
        for consumer in self._consumers:
            await consumer.stop()
        self._consumers.clear()
        for sub in self._subs:
            sub.dropped.set()
        self._subs.clear()

"""Per-process caches, invalidated on every node when one node changes what they hold.

A node that changes cached data calls `await caches.invalidate(name)`: it reloads its own copy,
then publishes `cluster.invalidate {cache, node}`; every other node reloads on that event. A node
whose subscription was dropped (it fell behind) reloads everything, as it may have missed one.

`settled(id)` waits until the invalidations up to event `id` are reloaded: the websocket endpoint
awaits it before sending later events, so a client that saw event N from a node finds that
node's caches at least as fresh as N (a unit created on node A is in node B's tree by the time
B's clients hear of it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from console.events.bus import NOBODY, EventBus

log = logging.getLogger(__name__)
INVALIDATE = "cluster.invalidate"
Reload = Callable[[], Awaitable[None]]
SETTLE_S = 5.0


class Caches:
    """The registry of reloadable caches of this node."""

    def __init__(self, bus: EventBus, node: str) -> None:
        self.bus, self.node = bus, node
        self._reloads: dict[str, Reload] = {}
        self._task: asyncio.Task[None] | None = None
        self.reloaded: dict[str, int] = {}
        self._done_until = 0
        self._progress = asyncio.Condition()

    def register(self, name: str, reload: Reload) -> None:
        """Make `name` reloadable (one reload per name; a later one replaces it)."""
        self._reloads[name] = reload

    async def reload(self, name: str) -> None:
        """Reload one cache of this node now."""
        fn = self._reloads.get(name)
        if fn is None:
            return
        try:
            await fn()
            self.reloaded[name] = self.reloaded.get(name, 0) + 1
        except Exception:
            log.exception("reloading cache %s failed", name)

    async def invalidate(self, name: str, *, reload_here: bool = True) -> None:
        """Reload here (unless the caller just did), then tell every other node to."""
        if reload_here:
            await self.reload(name)
        await self.bus.publish(INVALIDATE, {"cache": name, "node": self.node}, audience=NOBODY)

    def start(self) -> None:
        """Listen for other nodes' invalidations."""
        self._task = asyncio.create_task(self._listen(), name="cache-invalidations")

    async def _listen(self) -> None:
        while True:
            sub, _ = self.bus.subscribe(maxsize=1024)
            try:
                while (event := await sub.get()) is not None:
                    if event.type == INVALIDATE and event.data.get("node") != self.node:
                        await self.reload(str(event.data.get("cache")))
                    if event.type == INVALIDATE:
                        await self._advance(event.id)
            finally:
                self.bus.unsubscribe(sub)
            log.warning("cache invalidations fell behind; reloading every cache")
            for name in list(self._reloads):
                await self.reload(name)

    async def _advance(self, event_id: int) -> None:
        async with self._progress:
            self._done_until = max(self._done_until, event_id)
            self._progress.notify_all()

    async def settled(self, event_id: int) -> None:
        """Wait (bounded) until invalidation event `event_id` has been reloaded here."""
        if self._task is None or self._done_until >= event_id:
            return
        async with self._progress:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._progress.wait_for(lambda: self._done_until >= event_id), SETTLE_S
                )

    async def stop(self) -> None:
        """Stop listening."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

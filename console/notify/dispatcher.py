"""The dispatcher: `notify(notification)` routes to channels and their workers.

Producers (the health adapter today, incidents and drills later) call
`await dispatcher.notify(Notification(...))`; it never waits on a network: matching channels
get the message queued and their workers deliver in the background.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from cryptography.exceptions import InvalidTag
from sqlalchemy import select

from console.events import EventBus
from console.notify.log import DeliveryLog, delivery_dict
from console.notify.models import NotifyChannel, NotifyRule
from console.notify.notification import Notification
from console.notify.render import RenderContext, probe_notification, render
from console.notify.routing import Route, channel_receives
from console.notify.targets import Target, open_secrets, vault
from console.notify.worker import ChannelWorker, Deps, Pace
from console.settings import Settings
from console.store.engine import Store
from console.units import UnitTree

log = logging.getLogger(__name__)
PRUNE_EVERY_S = 3600.0


class RateLimited(Exception):
    """The channel's rate limit allows no send right now."""

    def __init__(self, wait_s: float) -> None:
        super().__init__(f"rate limit reached; next send in {wait_s:.0f} s")
        self.wait_s = wait_s


def target_of(channel: NotifyChannel, secret: bytes) -> Target:
    """The runtime form of a stored channel (decrypts its secrets)."""
    values = open_secrets(vault(secret), channel.secrets_enc)
    return Target(
        id=channel.id,
        name=channel.name,
        kind=channel.kind,
        unit_id=channel.unit_id,
        locale=channel.locale,
        url=values.get("url", ""),
        secret=values.get("secret", ""),
        password=values.get("password", ""),
        config=dict(channel.config),
    )


class Dispatcher:
    """Routes notifications to channel workers; reloads when channels or rules change."""

    def __init__(
        self,
        store: Store,
        bus: EventBus,
        units: UnitTree,
        secret: bytes,
        settings: Settings,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.store = store
        self.units = units
        self.secret = secret
        self.settings = settings.notify
        self.log = DeliveryLog(store, bus)
        self.deps = Deps(
            settings=settings.notify,
            ctx=RenderContext(settings.notify.public_url, settings.site.timezone),
            log=self.log,
            client=httpx.AsyncClient(follow_redirects=False, trust_env=False),
            clock=clock,
            sleep=sleep,
        )
        self.workers: dict[int, ChannelWorker] = {}
        self._lock = asyncio.Lock()
        self._janitor: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Close out rows a stopped server left open, load channels, start the log pruner."""
        stale = await self.log.abandon_open("server restarted before delivery")
        if stale:
            log.warning("%s notification deliveries were cut short by a restart", stale)
        await self.reload()
        self._janitor = asyncio.create_task(self._prune_loop(), name="notify-prune")

    async def _prune_loop(self) -> None:
        while True:
            try:
                removed = await self.log.prune(self.settings.log_retention_days)
                if removed:
                    log.info("pruned %s old notification deliveries", removed)
            except Exception:
                log.exception("pruning the notification log failed")
            await asyncio.sleep(PRUNE_EVERY_S)

    async def reload(self) -> None:
        """Re-read enabled channels and rules; keep the queues of unchanged channels."""
        async with self._lock:
            async with self.store.session() as db:
                channels = list(
                    await db.scalars(select(NotifyChannel).where(NotifyChannel.enabled.is_(True)))
                )
                rules = list(
                    await db.scalars(select(NotifyRule).where(NotifyRule.enabled.is_(True)))
                )
            keep: set[int] = set()
            for ch in channels:
                try:
                    target = target_of(ch, self.secret)
                except (InvalidTag, ValueError):
                    log.error(
                        "channel %s: its secrets cannot be decrypted (server secret changed?)",
                        ch.id,
                    )
                    continue
                routes = [Route.of(r) for r in rules if r.channel_id == ch.id]
                pace = Pace(
                    ch.rate_per_minute,
                    ch.digest_threshold or self.settings.digest_threshold,
                    float(ch.digest_window_s or self.settings.digest_window_s),
                )
                keep.add(ch.id)
                worker = self.workers.get(ch.id)
                if worker is None:
                    worker = ChannelWorker(self.deps, target, routes, pace)
                    self.workers[ch.id] = worker
                    worker.start()
                else:
                    worker.configure(target, routes, pace)
            for cid in [c for c in self.workers if c not in keep]:
                await self.workers.pop(cid).close()

    def channels_for(self, n: Notification) -> list[ChannelWorker]:
        """Workers of the channels that receive `n` (unit visibility, then rules)."""
        return [
            w
            for w in self.workers.values()
            if channel_receives(n, w.target.unit_id, w.routes, self.units)
        ]

    async def notify(self, notification: Notification) -> int:
        """Queue a notification for every channel that receives it; return how many."""
        queued = 0
        for worker in self.channels_for(notification):
            queued += worker.offer(notification)
        return queued

    async def send_test(self, channel: NotifyChannel) -> dict[str, Any]:
        """Send the test message once, now, and return its log row (rate limit applies)."""
        target = target_of(channel, self.secret)
        worker = self.workers.get(channel.id)
        temp = worker is None
        if worker is None:
            # A disabled or new channel: a throw-away worker (no task) paces and sends.
            worker = ChannelWorker(
                self.deps, target, [], Pace(channel.rate_per_minute, 1_000_000, 60.0)
            )
        wait = worker.limiter.wait_time()
        if wait > 0:
            raise RateLimited(wait)
        m = render(probe_notification(channel.name), channel.locale, self.deps.ctx)
        if not temp:
            worker.target = target
        row = await self.log.open(channel.id, channel.unit_id, m, is_test=True)
        await worker.attempt(row, m, retries=False)
        return delivery_dict(row)

    async def close(self) -> None:
        """Stop every worker and the pruner; close the HTTP client."""
        if self._janitor is not None:
            self._janitor.cancel()
            await asyncio.gather(self._janitor, return_exceptions=True)
        for worker in list(self.workers.values()):
            await worker.close()
        self.workers.clear()
        await self.deps.client.aclose()

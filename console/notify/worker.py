"""One channel's delivery worker: a bounded queue, flood digests, rate limit, retries."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

import httpx

from console.notify.log import DeliveryLog
from console.notify.models import NotifyDelivery
from console.notify.notification import Notification
from console.notify.pacing import SlidingLimiter, backoff
from console.notify.render import Message, RenderContext, render, render_digest
from console.notify.routing import Route
from console.notify.senders import deliver
from console.notify.targets import DeliveryError, Target, mask_url
from console.settings import NotifySettings
from console.store.models import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Queued:
    """A notification waiting for its channel, with when it arrived."""

    n: Notification
    at: float
    wall: datetime


@dataclass(slots=True)
class Pace:
    """A channel's rate limit and digest settings."""

    rate_per_minute: int
    digest_threshold: int
    digest_window_s: float


@dataclass(frozen=True, slots=True)
class Deps:
    """What workers share: settings, log, HTTP client, clock and sleep."""

    settings: NotifySettings
    ctx: RenderContext
    log: DeliveryLog
    client: httpx.AsyncClient
    clock: Callable[[], float]
    sleep: Callable[[float], Awaitable[None]]


class ChannelWorker:
    """Delivers one channel's messages in order; floods become digests."""

    def __init__(self, deps: Deps, target: Target, routes: list[Route], pace: Pace) -> None:
        self.deps = deps
        self.target = target
        self.routes = routes
        self.pace = pace
        self.queue: asyncio.Queue[Queued] = asyncio.Queue(deps.settings.queue_size)
        self.limiter = self._limiter()
        # Real and exercise messages are counted and digested apart: never mixed in a message.
        self.arrivals: dict[bool, deque[float]] = {False: deque(), True: deque()}
        self.digest: dict[bool, list[Queued]] = {False: [], True: []}
        self.due: dict[bool, float] = {}
        self.dropped: list[Queued] = []
        self.task: asyncio.Task[None] | None = None

    def _limits(self) -> list[tuple[int, float]]:
        limits = [(self.pace.rate_per_minute, 60.0)]
        if self.target.kind == "feishu":
            limits.append((5, 1.0))  # Feishu also allows only 5 messages a second.
        return limits

    def _limiter(self) -> SlidingLimiter:
        return SlidingLimiter(self._limits(), self.deps.clock)

    def configure(self, target: Target, routes: list[Route], pace: Pace) -> None:
        """Take new settings after an edit, keeping the queue and counters."""
        self.target, self.routes, self.pace = target, routes, pace
        self.limiter.set_limits(self._limits())

    def start(self) -> None:
        """Run the worker task."""
        self.task = asyncio.create_task(self._run(), name=f"notify-channel-{self.target.id}")

    def offer(self, n: Notification) -> bool:
        """Queue without waiting; a full queue drops the message (logged as suppressed)."""
        item = Queued(n, self.deps.clock(), utcnow())
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            if len(self.dropped) < self.deps.settings.queue_size:
                self.dropped.append(item)
            return False
        return True

    async def close(self) -> None:
        """Stop the task; log what was still waiting as suppressed."""
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        waiting = [*self.digest[False], *self.digest[True], *self.dropped]
        while not self.queue.empty():
            waiting.append(self.queue.get_nowait())
        self.digest = {False: [], True: []}
        self.dropped = []
        await self._log_suppressed(
            waiting, None, "server stopped or channel changed before delivery"
        )

    def _scrub(self, text: str) -> str:
        # Library errors may quote the target URL; its token must not reach the log.
        for value in (self.target.url, self.target.secret, self.target.password):
            if value:
                text = text.replace(value, mask_url(value) if value == self.target.url else "***")
        return text

    def _message(self, n: Notification) -> Message:
        return render(n, self.target.locale, self.deps.ctx)

    async def _log_suppressed(
        self, items: list[Queued], digest_id: int | None, reason: str
    ) -> None:
        if items:
            await self.deps.log.suppressed(
                self.target.id,
                self.target.unit_id,
                [(self._message(q.n), q.wall) for q in items],
                digest_id,
                reason,
            )

    def _next_due(self) -> float | None:
        if not self.due:
            return None
        return max(0.0, min(self.due.values()) - self.deps.clock())

    async def _run(self) -> None:
        getter: asyncio.Task[Queued] | None = None
        try:
            while True:
                if getter is None:
                    getter = asyncio.ensure_future(self.queue.get())
                done, _ = await asyncio.wait({getter}, timeout=self._next_due())
                try:
                    await self._flush_due()
                    if getter in done:
                        item, getter = getter.result(), None
                        await self._handle(item)
                    if self.dropped:
                        dropped, self.dropped = self.dropped, []
                        await self._log_suppressed(dropped, None, "queue full: message dropped")
                except Exception:
                    log.exception("notification channel %s: delivery step failed", self.target.id)
        finally:
            if getter is not None:
                getter.cancel()

    async def _handle(self, item: Queued) -> None:
        pace, cls = self.pace, item.n.is_exercise
        if not self.deps.settings.enabled:
            reason = "notifications are switched off ([notify] enabled = false)"
            await self._log_suppressed([item], None, reason)
            return
        arrivals = self.arrivals[cls]
        arrivals.append(item.at)
        while arrivals and arrivals[0] <= item.at - pace.digest_window_s:
            arrivals.popleft()
        if self.digest[cls]:
            self.digest[cls].append(item)
        elif len(arrivals) > pace.digest_threshold:
            self.digest[cls] = [item]
            self.due[cls] = item.at + pace.digest_window_s
        else:
            row = await self.deps.log.open(
                self.target.id, self.target.unit_id, self._message(item.n), created_at=item.wall
            )
            await self.attempt(row, self._message(item.n))

    async def _flush_due(self) -> None:
        now = self.deps.clock()
        for cls, due in sorted(self.due.items()):
            if due > now:
                continue
            del self.due[cls]
            items, self.digest[cls] = self.digest[cls], []
            if not items:
                continue
            s = self.deps.settings
            m = render_digest(
                [q.n for q in items],
                self.target.locale,
                self.deps.ctx,
                self.pace.digest_window_s,
                s.digest_max_items,
            )
            row = await self.deps.log.open(
                self.target.id, self.target.unit_id, m, digest_count=len(items)
            )
            await self._log_suppressed(items, row.id, f"folded into digest #{row.id}")
            await self.attempt(row, m)

    async def attempt(self, row: NotifyDelivery, m: Message, *, retries: bool = True) -> None:
        """Send with the rate limit, retrying retryable failures with back-off."""
        s, deps = self.deps.settings, self.deps
        attempts = s.max_attempts if retries else 1
        last_error = ""
        for attempt in range(1, attempts + 1):
            wait = self.limiter.wait_time()
            if wait > 0:
                await deps.log.update(row, last_error=f"rate limit: next send in {wait:.0f} s")
            while wait > 0:
                await deps.sleep(wait)
                wait = self.limiter.wait_time()
            self.limiter.record()
            try:
                code = await deliver(
                    self.target, m, row.id, deps.client, s.allowed_hosts, s.request_timeout_s
                )
            except DeliveryError as exc:
                final = not exc.retryable or attempt == attempts
                last_error = self._scrub(str(exc))
                await deps.log.update(
                    row,
                    status="failed" if final else "retrying",
                    attempts=attempt,
                    last_error=last_error,
                    response_code=exc.status,
                )
                if final:
                    log.warning(
                        "notification %s to channel %s failed: %s", row.id, self.target.id, exc
                    )
                    return
                await deps.sleep(
                    backoff(
                        attempt,
                        s.backoff_initial_s,
                        s.backoff_max_s,
                        s.backoff_jitter,
                        exc.retry_after,
                    )
                )
                continue
            await deps.log.update(
                row,
                status="sent",
                attempts=attempt,
                response_code=code,
                sent_at=utcnow(),
                last_error=last_error,
            )
            return

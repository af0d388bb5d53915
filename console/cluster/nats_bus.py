"""`EventBus` on NATS JetStream: events shared by every console node (and, later, workers).

Publishing waits for JetStream's acknowledgement and retries for `publish_retry_s` under one
message id (JetStream drops the duplicate of a retried publish), then raises
EventBusUnavailable. Each node reads EOC_EVENTS with one `Tail` and fans events out to its
own subscribers (websockets, in-process listeners) exactly like the in-process bus; a ring of
recent events serves resuming clients, older ones are read back from the stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import deque
from typing import Any

from nats.aio.client import Client as NATS
from nats.errors import ConnectionClosedError, NoServersError
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy
from nats.js.errors import NoStreamResponseError

from console.cluster.groups import GroupConsumer
from console.cluster.layout import Layout, decode, encode, ensure_streams
from console.cluster.tail import Tail
from console.errors import StartupError
from console.events.bus import (
    EVERYONE,
    Audience,
    Event,
    EventBusUnavailable,
    Handler,
    Subscription,
)
from console.settings import ClusterSettings

log = logging.getLogger(__name__)
RETRYABLE = (NatsTimeout, TimeoutError, NoStreamResponseError, ConnectionClosedError, OSError)


class NatsBus:
    """The clustered bus (see module docstring)."""

    def __init__(self, cfg: ClusterSettings, node: str, replay: int = 2048) -> None:
        self.cfg, self.node = cfg, node
        self.layout = Layout(cfg)
        self._ring: deque[Event] = deque(maxlen=replay)
        self._subs: set[Subscription] = set()
        self._groups: list[GroupConsumer] = []
        self._last = 0
        self._history_until = 0
        self._nc: NATS | None = None
        self._js: JetStreamContext | None = None
        self._tail: Tail | None = None
        self._background: set[asyncio.Task[Any]] = set()
        self._closing = False

    # -- connection -------------------------------------------------------------------------
    @property
    def js(self) -> JetStreamContext:
        """The JetStream context (after start)."""
        if self._js is None:
            raise RuntimeError("the NATS bus is not started")
        return self._js

    async def start(self) -> None:
        """Connect, create or update the streams, start reading EOC_EVENTS."""
        servers = [s.strip() for s in self.cfg.nats_url.split(",") if s.strip()]
        nc = NATS()
        try:
            # Reconnecting forever once connected; the first connection gets connect_timeout_s.
            await asyncio.wait_for(
                nc.connect(
                    servers=servers,
                    name=f"eoc-{self.node}",
                    connect_timeout=2,
                    allow_reconnect=True,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=1,
                    error_cb=self._on_error,
                    disconnected_cb=self._on_disconnected,
                    reconnected_cb=self._on_reconnected,
                ),
                self.cfg.connect_timeout_s,
            )
        except (NoServersError, OSError, NatsTimeout, TimeoutError) as exc:
            self._closing = True
            with contextlib.suppress(Exception):
                await nc.close()
            raise StartupError(
                f"cannot reach NATS at {self.cfg.nats_url} ({exc or type(exc).__name__}); "
                "start it or set [cluster] nats_url (or bus = 'memory' for one node)"
            ) from exc
        self._nc = nc
        self._js = self._nc.jetstream(timeout=self.cfg.publish_timeout_s)
        try:
            await ensure_streams(self._js, self.layout)
            info = await self._js.stream_info(self.layout.events)
        except Exception as exc:
            await self._nc.close()
            raise StartupError(
                f"NATS at {self.cfg.nats_url} refused the JetStream set-up ({exc}); "
                "is JetStream enabled (nats-server -js)?"
            ) from exc
        first, last = info.state.first_seq, info.state.last_seq
        # Events already in the stream fill the resume ring but are not delivered as news.
        self._history_until = self._last = last
        self._tail = Tail(self._nc, self._js, self.layout.events, self._on_event)
        self._tail.start(max(first, last - (self._ring.maxlen or 0) + 1, 1))
        log.info(
            "event bus on NATS %s (streams %s_*), node %s",
            servers[0],
            self.layout.prefix,
            self.node,
        )

    async def _on_error(self, exc: Exception) -> None:
        log.debug("NATS client error: %s", exc)

    async def _on_disconnected(self) -> None:
        if not self._closing:
            log.warning("lost the connection to NATS; reconnecting")

    async def _on_reconnected(self) -> None:
        log.info("reconnected to NATS")
        task = asyncio.create_task(self._after_reconnect(), name="nats-reconnected")
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _after_reconnect(self) -> None:
        # A restarted server may have lost memory-stored streams and ephemeral consumers.
        with contextlib.suppress(Exception):
            await ensure_streams(self.js, self.layout)
            await self._check_numbering()
        if self._tail is not None:
            self._tail.reset("reconnected")
        for group in self._groups:
            with contextlib.suppress(Exception):
                await group.check()

    async def _check_numbering(self) -> None:
        """A stream that lost its events (memory storage, deleted) numbers from 1 again."""
        info = await self.js.stream_info(self.layout.events)
        tail = self._tail
        if tail is None or info.state.last_seq >= tail.next_seq - 1:
            return
        log.error(
            "%s numbers events from %s again (it was lost or re-created; this node had read to "
            "%s): every client resyncs",
            self.layout.events,
            info.state.first_seq,
            tail.next_seq - 1,
        )
        self._ring.clear()
        self._last = self._history_until = info.state.last_seq
        tail.next_seq = info.state.last_seq + 1
        # Their ids (and floors) belong to the old numbering: drop them so they come back.
        for sub in list(self._subs):
            sub.dropped.set()
        self._subs.clear()

    @property
    def connected(self) -> bool:
        """Whether NATS is reachable and this node's reader is running."""
        return bool(self._nc and self._nc.is_connected and self._tail and self._tail.connected)

    # -- publishing -------------------------------------------------------------------------
    async def publish(
        self, type: str, data: dict[str, Any], *, audience: Audience = EVERYONE, v: int = 1
    ) -> Event:
        """Store the event in its family stream (acknowledged), retrying within the allowance."""
        subject = self.layout.subject(type)
        payload = encode(type, data, audience, v, self.node)
        headers = {"Nats-Msg-Id": uuid.uuid4().hex}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.cfg.publish_retry_s
        wait, attempts = 0.1, 0
        while True:
            attempts += 1
            try:
                await self.js.publish(
                    subject, payload, timeout=self.cfg.publish_timeout_s, headers=dict(headers)
                )
                break
            except RETRYABLE as exc:
                if isinstance(exc, NoStreamResponseError):
                    with contextlib.suppress(Exception):
                        await ensure_streams(self.js, self.layout)
                left = deadline - loop.time()
                if left <= 0:
                    log.error("event %s not stored after %s attempts: %s", type, attempts, exc)
                    raise EventBusUnavailable(
                        f"NATS did not acknowledge event {type} within "
                        f"{self.cfg.publish_retry_s:.0f} s ({attempts} attempts)"
                    ) from exc
                await asyncio.sleep(min(wait, left))
                wait = min(wait * 2, 1.0)
        return Event(id=0, type=type, data=data, v=v, audience=audience)

    # -- this node's fan-out ----------------------------------------------------------------
    def _on_event(self, seq: int, payload: bytes) -> None:
        try:
            event, _node = decode(seq, payload)
        except (ValueError, KeyError, TypeError):
            log.exception("unreadable event %s skipped", seq)
            return
        self._ring.append(event)
        self._last = max(self._last, seq)
        if seq <= self._history_until:
            return
        for sub in list(self._subs):
            if not sub.offer(event):
                self._subs.discard(sub)
                log.warning("event subscriber dropped: queue full at event %s", seq)

    @property
    def last_id(self) -> int:
        """The newest event id this node knows of."""
        return self._last

    def subscribe(self, since: int | None = None, maxsize: int = 256) -> tuple[Subscription, bool]:
        """Subscribe to this node's fan-out, replaying what the ring holds after `since`."""
        complete = True
        backlog: list[Event] = []
        if since is not None:
            oldest = self._ring[0].id if self._ring else self._last + 1
            complete = since >= oldest - 1
            backlog = [e for e in self._ring if e.id > since]
        sub = Subscription(maxsize + len(backlog), floor=since or 0)
        for event in backlog:
            sub.offer(event)
        self._subs.add(sub)
        return sub, complete

    async def resume(self, since: int | None, maxsize: int = 256) -> tuple[Subscription, bool]:
        """Subscribe after `since`, reading events older than the ring back from EOC_EVENTS."""
        if since is None:
            return self.subscribe(None, maxsize)
        try:
            info = await self.js.stream_info(self.layout.events)
        except Exception as exc:
            log.warning("cannot read the event stream to resume (%s); using the local buffer", exc)
            return self.subscribe(since, maxsize)
        first, last = info.state.first_seq, info.state.last_seq
        self._last = max(self._last, last)
        if since > last:
            # An id this stream never issued (another bus, a recreated stream): start afresh.
            sub, _ = self.subscribe(None, maxsize)
            return sub, False
        complete = since >= first - 1
        start = max(since + 1, first)
        backlog: list[Event] = []
        for _round in range(5):
            oldest = self._ring[0].id if self._ring else (self._tail.next_seq if self._tail else 1)
            if start >= oldest:
                break
            if oldest - start > self.cfg.resume_max_events:
                complete = False
                start = oldest - self.cfg.resume_max_events
                backlog.clear()
            backlog.extend(await self._read(start, oldest))
            start = oldest
        # From here on nothing awaits: the ring cannot move between reading it and subscribing.
        replay = [*backlog, *(e for e in self._ring if e.id >= start)]
        sub = Subscription(maxsize + len(replay), floor=since)
        for event in replay:
            sub.offer(event)
        sub.floor = max(since, replay[-1].id if replay else 0)
        self._subs.add(sub)
        return sub, complete

    async def _read(self, start: int, stop: int) -> list[Event]:
        """Events with start <= id < stop from EOC_EVENTS."""
        out: list[Event] = []
        psub = await self.js.subscribe(
            f"{self.layout.root}.>",
            stream=self.layout.events,
            ordered_consumer=True,
            config=ConsumerConfig(
                deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=start
            ),
        )
        try:
            while True:
                try:
                    msg = await psub.next_msg(timeout=self.cfg.publish_timeout_s)
                except (NatsTimeout, TimeoutError):
                    break  # nothing more in the stream
                meta = msg.metadata
                if meta.sequence.stream >= stop:
                    break
                with contextlib.suppress(ValueError, KeyError, TypeError):
                    out.append(decode(meta.sequence.stream, msg.data)[0])
                if meta.num_pending == 0 or meta.sequence.stream >= stop - 1:
                    break
        finally:
            with contextlib.suppress(Exception):
                await psub.unsubscribe()
        return out

    def unsubscribe(self, sub: Subscription) -> None:
        """Stop delivering to a subscription."""
        self._subs.discard(sub)

    def consume(self, group: str, types: tuple[str, ...], handler: Handler) -> GroupConsumer:
        """Join the durable consumer `group` (see EventBus.consume)."""
        consumer = GroupConsumer(self.js, self.layout, group, types, handler)
        self._groups.append(consumer)
        return consumer

    async def close(self) -> None:
        """Stop consumers and the reader, drop subscriptions, close the connection."""
        self._closing = True
        for group in self._groups:
            await group.stop()
        self._groups.clear()
        for task in list(self._background):
            task.cancel()
        if self._tail is not None:
            await self._tail.stop()
        for sub in self._subs:
            sub.dropped.set()
        self._subs.clear()
        if self._nc is not None and not self._nc.is_closed:
            with contextlib.suppress(Exception):
                await self._nc.drain()

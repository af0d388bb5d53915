"""Durable group consumers on EOC_EVENTS: each event handled once per group, cluster-wide.

Every node of a group binds a queue subscription to one durable push consumer, so JetStream
hands each event to one node; the consumer's position lives in JetStream, so events published
while every node was down are handled when one comes back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from datetime import UTC, datetime

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from console.cluster.layout import Layout, decode
from console.events.bus import Handler, matches

log = logging.getLogger(__name__)
MAX_DELIVER = 5
ACK_WAIT_S = 60.0
_NAME = re.compile(r"^[A-Za-z0-9_-]+$")


class GroupConsumer:
    """One node's share of a durable group consumer."""

    def __init__(
        self,
        js: JetStreamContext,
        layout: Layout,
        group: str,
        types: tuple[str, ...],
        handler: Handler,
    ) -> None:
        if not _NAME.match(group):
            raise ValueError(f"consumer group {group!r}: use letters, digits, - and _")
        self.js, self.layout, self.group = js, layout, group
        self.types, self.handler = types, handler
        self.subject = layout.filter(types)
        self._sub: JetStreamContext.PushSubscription | None = None
        self._lock = asyncio.Lock()
        # A group created now starts at now: events published after consume() returned count.
        self._since = datetime.now(UTC)
        self._task = asyncio.create_task(self._bind_until_bound(), name=f"group-{group}")

    async def _bind_until_bound(self) -> None:
        backoff, attempts = 0.05, 0
        while True:
            try:
                await self.bind()
                return
            except Exception as exc:
                # The first failure is usually another node creating the consumer at the same
                # moment; the next attempt binds to the one it made.
                attempts += 1
                level = logging.DEBUG if attempts == 1 else logging.WARNING
                log.log(level, "cannot join consumer group %s (%s); retrying", self.group, exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def bind(self) -> None:
        """Create the durable consumer if needed and subscribe this node to it."""
        async with self._lock:
            if self._sub is not None:
                with contextlib.suppress(Exception):
                    await self._sub.unsubscribe()
                self._sub = None
            await self._drop_if_changed()
            config = ConsumerConfig(
                ack_policy=AckPolicy.EXPLICIT,
                ack_wait=ACK_WAIT_S,
                max_deliver=MAX_DELIVER,
                deliver_policy=DeliverPolicy.BY_START_TIME,
                opt_start_time=self._since,
                max_ack_pending=256,
            )
            self._sub = await self.js.subscribe(
                self.subject,
                queue=self.group,
                stream=self.layout.events,
                cb=self._on_msg,
                manual_ack=True,
                config=config,
            )

    async def _drop_if_changed(self) -> None:
        """A group whose event types changed (a new release) gets a new consumer."""
        try:
            info = await self.js.consumer_info(self.layout.events, self.group)
        except NotFoundError:
            return
        if info.config.filter_subject != self.subject:
            log.info(
                "consumer group %s now takes %s (was %s); re-creating it",
                self.group,
                self.subject,
                info.config.filter_subject,
            )
            with contextlib.suppress(NotFoundError):
                await self.js.delete_consumer(self.layout.events, self.group)

    async def check(self) -> None:
        """After a reconnect: re-create the durable consumer if the server lost it."""
        try:
            await self.js.consumer_info(self.layout.events, self.group)
        except NotFoundError:
            log.warning("durable consumer %s was lost by NATS; re-creating it", self.group)
            await self.bind()

    async def _on_msg(self, msg: Msg) -> None:
        meta = msg.metadata
        try:
            event, _node = decode(meta.sequence.stream, msg.data)
        except (ValueError, KeyError, TypeError):
            log.exception("consumer %s: unreadable event %s dropped", self.group, meta.sequence)
            await msg.term()
            return
        if not matches(self.types, event.type):
            await msg.ack()
            return
        try:
            await self.handler(event)
        except Exception:
            if meta.num_delivered >= MAX_DELIVER:
                log.exception(
                    "consumer %s gave up on event %s after %s attempts",
                    self.group,
                    event.id,
                    meta.num_delivered,
                )
                await msg.term()
            else:
                log.exception(
                    "consumer %s failed on event %s; it will be retried", self.group, event.id
                )
                await msg.nak(delay=min(2.0**meta.num_delivered, 30.0))
            return
        await msg.ack()

    async def stop(self) -> None:
        """Leave the group (the durable consumer stays for the other nodes)."""
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        async with self._lock:
            if self._sub is not None:
                with contextlib.suppress(Exception):
                    await self._sub.unsubscribe()
                self._sub = None

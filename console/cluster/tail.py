"""A node's reader of EOC_EVENTS: an ephemeral push consumer, re-created on any gap.

JetStream numbers what it delivers to a consumer (consumer sequence); a jump in that number,
a heartbeat naming a later one, silence longer than three heartbeats or a reconnect all mean
events may have been missed, so the consumer is replaced by one starting at the next stream
sequence not yet delivered. Events are handed on in stream order, each once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription as NatsSubscription
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

log = logging.getLogger(__name__)
CTRL = "100"
PENDING_MSGS = 65536


class Tail:
    """Delivers every message of one stream from a sequence on, in order, surviving restarts."""

    def __init__(
        self,
        nc: NATS,
        js: JetStreamContext,
        stream: str,
        deliver: Callable[[int, bytes], None],
        heartbeat_s: float = 2.0,
    ) -> None:
        self.nc, self.js, self.stream = nc, js, stream
        self.deliver = deliver
        self.heartbeat_s = heartbeat_s
        self.next_seq = 1
        self.resets = 0
        self._dseq = 0
        self._inbox: str | None = None
        self._sub: NatsSubscription | None = None
        self._consumer: str | None = None
        self._wake = asyncio.Event()
        self._healthy = False
        self._activity = 0.0
        self._task: asyncio.Task[None] | None = None

    @property
    def connected(self) -> bool:
        """Whether a consumer is open and delivering."""
        return self._healthy

    def start(self, from_seq: int) -> None:
        """Begin at stream sequence `from_seq`."""
        self.next_seq = max(1, from_seq)
        self._task = asyncio.create_task(self._supervise(), name=f"tail-{self.stream}")

    def reset(self, why: str) -> None:
        """Replace the consumer soon, resuming after the last delivered event."""
        if self._inbox is not None:
            log.info(
                "event stream reader resets after %s (next %s): %s", self.stream, self.next_seq, why
            )
        self._inbox = None  # ignore whatever the old consumer still sends
        self._healthy = False
        self._wake.set()

    async def _supervise(self) -> None:
        loop = asyncio.get_running_loop()
        backoff = 0.2
        while True:
            if self._inbox is None:
                try:
                    await self._open()
                    backoff = 0.2
                except Exception as exc:
                    log.warning("cannot open a reader on %s (%s); retrying", self.stream, exc)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 5.0)
                    continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.heartbeat_s)
            self._wake.clear()
            if self._inbox is not None and loop.time() - self._activity > 3 * self.heartbeat_s:
                self.reset("no heartbeat")

    async def _open(self) -> None:
        await self._close_consumer()
        inbox = self.nc.new_inbox()

        async def on_msg(msg: Msg) -> None:
            # Data messages carry their stream subject, not the inbox: tell consumers apart here.
            if inbox == self._inbox:
                await self._on_msg(msg)

        sub = await self.nc.subscribe(inbox, cb=on_msg, pending_msgs_limit=PENDING_MSGS)
        config = ConsumerConfig(
            deliver_subject=inbox,
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=self.next_seq,
            ack_policy=AckPolicy.NONE,
            flow_control=True,
            idle_heartbeat=self.heartbeat_s,
            mem_storage=True,
            num_replicas=1,
            inactive_threshold=max(30.0, 10 * self.heartbeat_s),
        )
        self._inbox, self._sub, self._dseq = inbox, sub, 0
        self._activity = asyncio.get_running_loop().time()
        try:
            info = await self.js.add_consumer(self.stream, config)
        except BaseException:
            self._inbox = None
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
            raise
        self._consumer = info.name
        self._healthy = True
        self.resets += 1

    async def _on_msg(self, msg: Msg) -> None:
        self._activity = asyncio.get_running_loop().time()
        headers = msg.headers or {}
        if headers.get("Status") == CTRL:
            stalled = headers.get("Nats-Consumer-Stalled")
            if msg.reply or stalled:  # flow control: tell the server we keep up
                await self.nc.publish(msg.reply or str(stalled), b"")
            last = headers.get("Nats-Last-Consumer")
            if last is not None and int(last) != self._dseq:
                self.reset(f"heartbeat names event {last}, last seen {self._dseq}")
            return
        meta = msg.metadata
        if meta.sequence.consumer != self._dseq + 1:
            self.reset(f"delivery {meta.sequence.consumer} after {self._dseq}")
            return
        self._dseq = meta.sequence.consumer
        seq = meta.sequence.stream
        if seq < self.next_seq:
            return
        self.next_seq = seq + 1
        try:
            self.deliver(seq, msg.data)
        except Exception:
            log.exception("could not deliver event %s", seq)

    async def _close_consumer(self) -> None:
        sub, name = self._sub, self._consumer
        self._sub = self._consumer = None
        if sub is not None:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
        if name is not None and self.nc.is_connected:
            with contextlib.suppress(Exception):
                await self.js.delete_consumer(self.stream, name)

    async def stop(self) -> None:
        """Stop reading and delete the consumer."""
        self._inbox = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._close_consumer()

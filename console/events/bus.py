"""Typed, versioned events and the `EventBus` protocol every bus implements.

Two implementations: `InProcessBus` (console.events.memory, one node, the embedded default)
and `NatsBus` (console.cluster.nats_bus, NATS JetStream, several nodes). Code reaches the bus
only through this protocol (`Services.bus: EventBus`).

Event ids: unique and increasing in the order subscribers receive events, so a websocket client
resumes with `?since=<last id it saw>`. The in-process bus counts from the start time in
microseconds; the NATS bus uses the sequence of the EOC_EVENTS stream, which every node reads,
so an id seen on one node resumes on any other.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol


class EventBusUnavailable(Exception):
    """The bus did not accept an event (NATS down longer than the retry allowance)."""


@dataclass(frozen=True, slots=True)
class Audience:
    """Who may receive an event: a permission and/or a set of units (None: no restriction).

    `user_ids=frozenset()` names nobody: such events reach bus consumers, never a websocket.
    """

    permission: str | None = None
    unit_ids: frozenset[int] | None = None
    user_ids: frozenset[int] | None = None
    # Users who can still see the object under other units are left out (e.g. a camera that
    # stopped being shared with some units: only those who lost it hear it went).
    except_unit_ids: frozenset[int] | None = None

    def wire(self) -> dict[str, Any]:
        """The JSON form carried with the event between nodes."""
        return {
            "permission": self.permission,
            "unit_ids": None if self.unit_ids is None else sorted(self.unit_ids),
            "user_ids": None if self.user_ids is None else sorted(self.user_ids),
        }

    @classmethod
    def from_wire(cls, raw: dict[str, Any] | None) -> Audience:
        """Rebuild an audience from `wire()`; a missing one means everyone."""
        if not raw:
            return EVERYONE
        units, users = raw.get("unit_ids"), raw.get("user_ids")
        return cls(
            permission=raw.get("permission"),
            unit_ids=None if units is None else frozenset(int(u) for u in units),
            user_ids=None if users is None else frozenset(int(u) for u in users),
        )


EVERYONE = Audience()
NOBODY = Audience(user_ids=frozenset())


@dataclass(frozen=True, slots=True)
class Event:
    """One event as sent to clients: {type, v, id, ts, data}.

    `id` is 0 on the event `publish` returns from a bus that numbers events on delivery
    (NATS); subscribers always see the final id.
    """

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
    """A bounded queue of events for one consumer; overflow marks it dropped.

    Events at or below `floor` are skipped: a client resuming after id N on a node that has
    not yet delivered N never gets an event twice.
    """

    def __init__(self, maxsize: int, floor: int = 0) -> None:
        self.queue: asyncio.Queue[Event] = asyncio.Queue(maxsize)
        self.dropped = asyncio.Event()
        self.floor = floor

    def offer(self, event: Event) -> bool:
        """Queue without waiting; on overflow drop the subscription instead of blocking."""
        if self.dropped.is_set():
            return False
        if event.id <= self.floor:
            return True
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


Handler = Callable[[Event], Awaitable[None]]


def matches(types: Iterable[str], event_type: str) -> bool:
    """Whether an event type is one of `types` (exact, or `family.*` for a prefix)."""
    return any(
        t == event_type or (t.endswith(".*") and event_type.startswith(t[:-1])) for t in types
    )


class Consumer(Protocol):
    """A running `EventBus.consume` loop."""

    async def stop(self) -> None:
        """Stop consuming; an event being handled finishes first."""


class EventBus(Protocol):
    """Publish/subscribe with replay from an event id, and durable group consumers."""

    async def start(self) -> None:
        """Connect and begin delivering (before any module starts)."""

    async def publish(
        self, type: str, data: dict[str, Any], *, audience: Audience = EVERYONE, v: int = 1
    ) -> Event:
        """Publish an event to every subscriber; raise EventBusUnavailable if it was not kept."""

    def subscribe(self, since: int | None = None, maxsize: int = 256) -> tuple[Subscription, bool]:
        """Subscribe to this node's fan-out; replay buffered events after `since`.

        The flag is False when `since` is too old (or unknown) and the client must resync.
        """

    async def resume(self, since: int | None, maxsize: int = 256) -> tuple[Subscription, bool]:
        """Like `subscribe`, but may read further back than the local buffer (the bus's log)."""

    def unsubscribe(self, sub: Subscription) -> None:
        """Stop delivering to `sub`."""

    def consume(self, group: str, types: tuple[str, ...], handler: Handler) -> Consumer:
        """Hand each event of `types` to `handler` once per group across every node.

        At least once: an event whose handler raises is offered again (NATS: redelivered,
        also to another node; in process: logged). Events published while no node of the
        group ran are delivered when one starts (NATS; the in-process bus has no history).
        """

    @property
    def last_id(self) -> int:
        """Id of the newest event this node has seen."""

    @property
    def connected(self) -> bool:
        """Whether events flow (always, in process; NATS reachable and read, clustered)."""

    async def close(self) -> None:
        """Stop consumers and release resources."""

"""What live view consumes from a camera: the hub surface, as a Protocol (no hub import)."""

from __future__ import annotations

import asyncio
from typing import Protocol

from streams.packets import Packet, StreamInfo
from streams.params import StreamParams


class PacketFeed(Protocol):
    """A bounded per-consumer queue of Annex-B packets that drops to the next keyframe."""

    queue: asyncio.Queue[Packet | None]
    dropped: int

    async def get(self) -> Packet | None:
        """Next packet; None once the source closed."""

    def close(self) -> None:
        """Leave the source (its upstream closes when the last consumer leaves)."""


class PacketSource(Protocol):
    """One camera's single upstream, fanned out; `streams.hub.CameraHub` satisfies it.

    A new subscription starts with the cached keyframe and the GOP since it (instant start).
    """

    camera_id: str
    info: StreamInfo | None
    info_ready: asyncio.Event
    gop: list[Packet]
    params: StreamParams  # parameter sets and the reordering verdict of the connection

    @property
    def consumers(self) -> int:
        """How many consumers hold the upstream open."""

    def subscribe(self, maxsize: int = 256, name: str = "", with_gop: bool = True) -> PacketFeed:
        """Start receiving packets, first the cached keyframe and GOP when `with_gop`."""

    def gop_has_b_frames(self) -> bool | None:
        """Whether the cached GOP holds B-frames; None before a GOP is cached."""

"""Live view over Media Source Extensions: the camera's own frames as fragmented MP4.

A second browser path beside WebRTC that needs no transcoding: H.264 with B-frames, and H.265
where the browser decodes it, play as they are. One fragment per frame, from the hub's cached
GOP on (the browser jumps to the live edge), then live.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from streams.fmp4 import CodecUnknown, Fragmenter, init_segment, mime_type
from streams.packets import Packet
from streams.webrtc.offers import OfferError
from streams.webrtc.source import PacketFeed, PacketSource

TICKS = 90_000


@dataclass
class MseView:
    """One MSE live view: who watches which camera, and what was sent."""

    id: int
    camera_id: str
    user: str
    mode: str = "mse"
    started: float = field(default_factory=time.monotonic)
    started_at: float = field(default_factory=time.time)
    first_sent_at: float | None = None
    frames_sent: int = 0
    keyframes_sent: int = 0
    bytes_sent: int = 0
    dropped: int = 0
    closed_reason: str | None = None
    stop: asyncio.Event = field(default_factory=asyncio.Event)  # set: end the view

    @property
    def seconds(self) -> float:
        """How long the view lasted so far."""
        return time.monotonic() - self.started

    def stats(self) -> dict[str, Any]:
        """Figures for the audit and the live-view list (as WebRTC viewers give them)."""
        return {
            "viewer_id": self.id,
            "camera_id": self.camera_id,
            "user": self.user,
            "mode": self.mode,
            "started_at": self.started_at,
            "seconds": round(self.seconds, 1),
            "offer_to_connected_s": None,
            "offer_to_first_frame_s": None
            if self.first_sent_at is None
            else round(self.first_sent_at - self.started, 3),
            "frames_sent": self.frames_sent,
            "keyframes_sent": self.keyframes_sent,
            "bytes_sent": self.bytes_sent,
            "dropped": self.dropped,
            "closed_reason": self.closed_reason,
            "group": None,
        }


class MseFeed:
    """Init segment and media segments of one camera for one MSE viewer."""

    def __init__(self, hub: PacketSource, view: MseView, instant: bool = True) -> None:
        self.hub = hub
        self.view = view
        self.sub: PacketFeed = hub.subscribe(maxsize=240, name="mse", with_gop=instant)
        self._first: Packet | None = None
        self._units: dict[int, bytes] = {}
        self._fragmenter: Fragmenter | None = None
        self._last_pts = 0

    async def open(self, timeout_s: float) -> str:
        """The stream's MIME type, once its parameter sets are known (OfferError if never)."""
        hub = self.hub
        try:
            if hub.info is None:
                await asyncio.wait_for(hub.info_ready.wait(), timeout_s)
            if hub.info is None:
                raise TimeoutError
            try:
                return mime_type(hub.params)
            except CodecUnknown:
                pass
            # Parameter sets only in the stream (files): the first keyframe brings them.
            self._first = await asyncio.wait_for(self.sub.get(), timeout_s)
        except TimeoutError as exc:
            raise OfferError("camera_offline", "the camera sends no video", 503) from exc
        if self._first is None:
            raise OfferError("camera_offline", "the camera stream ended", 503)
        try:
            return mime_type(hub.params)
        except CodecUnknown as exc:
            raise OfferError("unsupported_codec", str(exc)) from exc

    def _init(self) -> bytes:
        params = self.hub.params
        self._units = dict(params.units)
        self._fragmenter = Fragmenter(params.codec, params.max_reorder)
        if self.hub.info is not None and self.hub.info.fps:
            self._fragmenter.frame_ticks = round(TICKS / self.hub.info.fps)
        return init_segment(params)

    async def segments(self) -> AsyncIterator[bytes]:
        """The init segment, then one media segment per frame, until the hub closes."""
        while True:
            pkt = self._first or await self.sub.get()
            self._first = None
            if pkt is None:
                return
            if self._fragmenter is None and not pkt.keyframe:
                continue
            if pkt.keyframe and (self._fragmenter is None or self.hub.params.units != self._units):
                yield self._init()  # first, or the camera's parameter sets changed
            assert self._fragmenter is not None
            pts = (
                self._last_pts + self._fragmenter.frame_ticks
                if pkt.pts is None
                else round(pkt.pts * pkt.time_base * TICKS)
            )
            self._last_pts = pts
            out = self._fragmenter.fragment(pkt.data, pts, pkt.keyframe)
            view = self.view
            if view.first_sent_at is None:
                view.first_sent_at = time.monotonic()
            view.frames_sent += 1
            view.keyframes_sent += pkt.keyframe
            view.bytes_sent += len(out)
            view.dropped = self.sub.dropped
            yield out

    def close(self) -> None:
        """Leave the hub."""
        self.sub.close()

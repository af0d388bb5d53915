"""A video track that hands the hub's H.264 packets to aiortc without decoding them."""

from __future__ import annotations

import time
from fractions import Fraction
from typing import Any

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from streams.webrtc.h264 import ParameterSets
from streams.webrtc.source import PacketFeed, PacketSource

RTP_RATE = 90_000
RTP_TB = Fraction(1, RTP_RATE)
BURST_STEP = 90  # 1 ms between cached frames: decoded at once, the newest shown


class PassthroughTrack(MediaStreamTrack):
    """Instant start from the hub's cached GOP, then live packets with RTP timestamps."""

    kind = "video"

    def __init__(self, hub: PacketSource, maxsize: int = 120, instant: bool = True) -> None:
        super().__init__()
        self.hub = hub
        # instant=False waits for the camera's next keyframe (only for measuring the cache).
        self.sub: PacketFeed = hub.subscribe(maxsize=maxsize, name="webrtc", with_gop=instant)
        # Everything queued right now is the cached GOP (history); it is fast-forwarded.
        self._burst = self.sub.queue.qsize()
        self._params = ParameterSets()
        extradata = hub.info.extradata if hub.info is not None else None
        if extradata and extradata[:3] in (b"\x00\x00\x01", b"\x00\x00\x00"):
            # RTSP cameras may send SPS/PPS only in the SDP; FFmpeg hands them over as Annex-B.
            self._params.fix(extradata)
        self._cursor = 0
        self._offset: int | None = None
        self._last_ts = 0
        self._frame_ticks = 3600
        self.created_at = time.monotonic()
        self.first_sent_at: float | None = None
        self.frames_sent = 0
        self.bytes_sent = 0
        self.keyframes_sent = 0

    def _ticks(self, pts_s: float) -> int:
        return round(pts_s * RTP_RATE)

    async def recv(self) -> Any:  # an av.Packet, which aiortc packs without encoding
        """The next encoded frame for the RTP sender."""
        if self.readyState != "live":
            raise MediaStreamError
        pkt = await self.sub.get()
        if pkt is None:
            self.stop()
            raise MediaStreamError
        info = pkt.info or self.hub.info
        if info is not None and info.fps:
            self._frame_ticks = round(RTP_RATE / info.fps)
        if self._burst > 0:
            self._burst -= 1
            ts = self._cursor
            self._cursor += BURST_STEP
        else:
            pts_s = pkt.pts_s
            if pts_s is None:
                # RTSP's first keyframe can come without a timestamp: place it one frame on.
                ts = self._last_ts + self._frame_ticks
            else:
                if self._offset is None:
                    self._offset = self._cursor + self._frame_ticks - self._ticks(pts_s)
                ts = self._ticks(pts_s) + self._offset
        ts = max(ts, self._last_ts + 1) if self.frames_sent else ts
        self._last_ts = ts
        data = self._params.fix(pkt.data, pkt.keyframe)
        out = av.Packet(data)
        out.pts = ts
        out.time_base = RTP_TB
        if self.first_sent_at is None:
            self.first_sent_at = time.monotonic()
        self.frames_sent += 1
        self.bytes_sent += len(data)
        self.keyframes_sent += pkt.keyframe
        return out

    @property
    def dropped(self) -> int:
        """Packets skipped because this viewer fell behind (dropped to the next keyframe)."""
        return self.sub.dropped

    def stop(self) -> None:
        """Leave the hub (its upstream closes when the last consumer leaves)."""
        if self.readyState == "live":
            self.sub.close()
        super().stop()

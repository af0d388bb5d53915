"""Packet-level health without decoding: rate, bitrate, GOP, B-frames, gaps, reconnects."""

from __future__ import annotations

import itertools
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from streams.bitstream import has_b_slices
from streams.packets import Packet, StreamInfo

WINDOW_S = 10.0
# GOP structure does not change within a connection; after this many packets it is settled.
B_FRAME_PROBE = 600


@dataclass
class PacketHealth:
    """Rolling packet statistics for one camera (fed by a hub tap)."""

    window_s: float = WINDOW_S
    _arrivals: deque[tuple[float, int]] = field(default_factory=deque)
    _key_pts: deque[float] = field(default_factory=lambda: deque(maxlen=8))
    _reconnects: deque[float] = field(default_factory=deque)
    info: StreamInfo | None = None
    last_arrival: float | None = None
    stalls: int = 0
    b_frames: bool = False
    _last_pts: int | None = None
    _probed: int = 0
    _gap_limit_s: float = 2.0

    def feed(self, pkt: Packet) -> None:
        """Account one packet."""
        now = pkt.arrival
        if pkt.info is not None and pkt.info is not self.info:
            self.info = pkt.info
            self._probed = 0
            self._last_pts = None
            if pkt.info.fps:
                # A stall is a gap longer than two frame intervals, and never less than 2 s.
                self._gap_limit_s = max(2.0 / pkt.info.fps, 2.0)
        if self.last_arrival is not None and now - self.last_arrival > self._gap_limit_s:
            self.stalls += 1
        self.last_arrival = now
        self._arrivals.append((now, pkt.size))
        while self._arrivals and now - self._arrivals[0][0] > self.window_s:
            self._arrivals.popleft()
        if pkt.keyframe and pkt.pts_s is not None:
            self._key_pts.append(pkt.pts_s)
        if not self.b_frames and self._probed < B_FRAME_PROBE:
            self._probed += 1
            self.b_frames = self._shows_b_frames(pkt)

    def _shows_b_frames(self, pkt: Packet) -> bool:
        # Slice headers say it outright; RTSP's dts is only FFmpeg's guess, so pts != dts
        # would flag every camera.
        found = has_b_slices(pkt.data, self.info.codec) if self.info else None
        if found is not None:
            return found
        # Other codecs: timestamps arriving out of order mean frames are reordered.
        last, self._last_pts = self._last_pts, pkt.pts
        return last is not None and pkt.pts is not None and pkt.pts < last

    def reconnected(self, at: float | None = None) -> None:
        """Count a (re)connection made at `at`; rates start afresh from it."""
        now = time.monotonic() if at is None else at
        self._reconnects.append(now)
        while self._reconnects and now - self._reconnects[0] > 3600:
            self._reconnects.popleft()
        # A window spanning the outage would read as a low frame rate after recovery, and
        # the new connection's timestamps are unrelated to the old ones.
        while self._arrivals and self._arrivals[0][0] < now:
            self._arrivals.popleft()
        self._key_pts.clear()

    def snapshot(self, now: float | None = None) -> dict[str, Any]:
        """Metrics for the status report (JSON-ready)."""
        now = time.monotonic() if now is None else now
        recent = [(t, n) for t, n in self._arrivals if now - t <= self.window_s]
        span = (recent[-1][0] - recent[0][0]) if len(recent) > 1 else 0.0
        fps = (len(recent) - 1) / span if span > 0 else 0.0
        # Over the time actually covered, so a camera that just connected is not under-read.
        covered = min(self.window_s, max(span + (1 / fps if fps else 0.0), 1.0))
        bitrate = sum(n for _, n in recent) * 8 / 1000 / covered if recent else 0.0
        keys = list(self._key_pts)
        gops = [b - a for a, b in itertools.pairwise(keys) if b > a]
        info = self.info
        return {
            "fps": round(fps, 2),
            "nominal_fps": round(info.fps, 2) if info and info.fps else None,
            "bitrate_kbps": round(bitrate, 1),
            "width": info.width if info else None,
            "height": info.height if info else None,
            "codec": info.codec if info else None,
            "profile": info.profile if info else None,
            "keyframe_interval_s": round(sum(gops) / len(gops), 2) if gops else None,
            "b_frames": self.b_frames,
            "last_packet_age_s": round(now - self.last_arrival, 2) if self.last_arrival else None,
            "stalls": self.stalls,
            "reconnects_per_h": len(self._reconnects),
        }

    def packet_faults(self, now: float | None = None) -> list[str]:
        """Degradations visible without decoding."""
        snap = self.snapshot(now)
        faults = []
        nominal = snap["nominal_fps"]
        age = snap["last_packet_age_s"]
        # Packets that stopped altogether are "offline", not a low frame rate.
        fresh = age is not None and age < 1.0
        if (
            fresh
            and nominal
            and snap["fps"]
            and snap["fps"] < 0.5 * nominal
            and len(self._arrivals) > 5
        ):
            faults.append("low_fps")
        if snap["reconnects_per_h"] >= 6:
            faults.append("stalls")
        return faults

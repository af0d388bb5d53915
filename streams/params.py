"""What one connection's parameter sets and first slice headers say about its frames.

Live view must decide before the first viewer's answer whether a camera's frames can go to a
browser as they are. B-frames (pictures output in another order than decoded) cannot: the
SPS usually says so outright (profile, POC type, VUI max_num_reorder_frames); when it does
not, the picture order counts of the first frames in decoding order show it.
"""

from __future__ import annotations

import asyncio
import contextlib

from streams.sps import (
    H264_SLICE,
    H264_SPS,
    HEVC_PPS,
    HEVC_SPS,
    HEVC_VPS,
    H264Sps,
    annexb_units,
    parameter_units,
    parse_h264_sps,
    parse_slice_head,
)
from streams.sps_hevc import HevcSps, parse_hevc_sps

H264_PPS, H264_IDR = 8, 5
IN_ORDER_FRAMES = 12  # frames in rising picture order, no B slice: no reordering


class StreamParams:
    """Parameter sets of a stream and whether it reorders frames (None: not known yet)."""

    def __init__(self, codec: str = "", extradata: bytes | None = None) -> None:
        self.codec = codec
        self.h264: H264Sps | None = None
        self.hevc: HevcSps | None = None
        self.units: dict[int, bytes] = {}  # latest SPS, PPS (and VPS) by NAL type
        self.reorder: bool | None = None
        self.decided = asyncio.Event()
        self.complete = asyncio.Event()  # set once the SPS and PPS (and VPS) are known
        self._in_order = 0
        self._prev_poc: int | None = None
        self._take(parameter_units(extradata, codec))

    @property
    def max_reorder(self) -> int:
        """How many frames output order may lag decoding order (0 without reordering)."""
        if not self.reorder:
            return 0
        if self.h264 is not None and self.h264.max_num_reorder_frames:
            return self.h264.max_num_reorder_frames
        if self.hevc is not None and self.hevc.max_reorder:
            return self.hevc.max_reorder
        return 2

    def _decide(self, verdict: bool) -> None:
        if self.reorder is None:
            self.reorder = verdict
            self.decided.set()

    def _take(self, units: list[bytes]) -> None:
        for unit in units:
            if self.codec == "h264" and unit:
                kind = unit[0] & 0x1F
                if kind == H264_SPS:
                    try:
                        self.h264 = parse_h264_sps(unit)
                    except ValueError:
                        continue
                    self.units[kind] = unit
                    if self.h264.reorders is not None:
                        self._decide(self.h264.reorders)
                elif kind == H264_PPS:
                    self.units[kind] = unit
            elif self.codec == "hevc" and len(unit) > 2:
                kind = (unit[0] >> 1) & 0x3F
                if kind == HEVC_SPS:
                    try:
                        self.hevc = parse_hevc_sps(unit)
                    except ValueError:
                        continue
                    self._decide(self.hevc.max_reorder > 0)
                if kind in (HEVC_VPS, HEVC_SPS, HEVC_PPS):
                    self.units[kind] = unit
        if self.codec not in ("h264", "hevc"):
            self._decide(False)  # MJPEG and the like: every picture stands alone
        need = {7, 8} if self.codec == "h264" else {32, 33, 34}
        if need <= self.units.keys() and (self.h264 or self.hevc):
            self.complete.set()

    def feed(self, data: bytes, keyframe: bool) -> None:
        """Read one access unit's parameter sets and, until decided, its slice header."""
        if keyframe or not self.units:
            self._take(_params_only(data, self.codec))
        if self.reorder is not None or self.h264 is None:
            return
        head = _first_slice(data)
        if head is None:
            return
        try:
            s = parse_slice_head(head, self.h264)
        except ValueError:
            return
        if s.slice_type == 1:
            self._decide(True)
            return
        if s.poc_lsb is not None and not s.idr and self._prev_poc is not None:
            span = 1 << self.h264.log2_max_poc_lsb
            step = (s.poc_lsb - self._prev_poc) % span
            if step > span // 2:  # went back: a later-decoded frame is shown earlier
                self._decide(True)
                return
        self._prev_poc = s.poc_lsb
        self._in_order += 1
        if self._in_order >= IN_ORDER_FRAMES:
            self._decide(False)


def _first_slice(data: bytes) -> bytes | None:
    """The first coded slice NAL unit's first bytes (H.264)."""
    i = data.find(b"\x00\x00\x01")
    while i >= 0:
        kind = data[i + 3] & 0x1F if i + 3 < len(data) else 0
        if kind in (H264_SLICE, H264_IDR):
            return data[i + 3 : i + 64]
        i = data.find(b"\x00\x00\x01", i + 3)
    return None


def _params_only(data: bytes, codec: str) -> list[bytes]:
    """Parameter set units of an access unit, without splitting its slices."""
    wanted = {H264_SPS, H264_PPS} if codec == "h264" else {HEVC_VPS, HEVC_SPS, HEVC_PPS}
    return [
        u
        for u in annexb_units(data[:4096])
        if u and ((u[0] & 0x1F) if codec == "h264" else (u[0] >> 1) & 0x3F) in wanted
    ]


async def frames_reorder(params: StreamParams, wait_s: float) -> bool:
    """Whether frames are reordered; waits up to `wait_s` to find out, and an undecided
    stream counts as reordering (never hand a browser what it may not play)."""
    if params.reorder is None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(params.decided.wait(), wait_s)
    return params.reorder is not False

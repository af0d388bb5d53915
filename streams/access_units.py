"""Access units from an RTSP demuxer's raw pieces, each handed on as soon as it is complete.

With FFmpeg's parser off (fflags noparse), the RTSP demuxer returns what each RTP packet
carried: whole NAL units, aggregates, or FU-A/FU fragments (a continuation fragment has no
start code). FFmpeg's parser, and joining pieces "until the time changes", both finish a frame
only when the next one begins: one frame interval late each. Here a frame ends at the first
of: the next access unit beginning (AUD, parameter sets, SEI, a slice with first_mb == 0, a
new timestamp) or, once the stream's shape is learned, its last slice being complete: as many
slices as every recent frame had, the last one ending in a fragment shorter than the
packetizer's full size (the RTP marker bit itself never reaches us through FFmpeg). The early
cut is proven on the stream's own frames before it is used, and switched off for the
connection the first time a frame turns out to continue after it was cut.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

# Access unit delimiters. Parameter sets and SEI may also sit between the slices of one
# picture, so they begin a new access unit only when a new picture's first slice follows.
_H264_AUD, _HEVC_AUD = 9, 35
LEARN_FRAMES = 8  # frames that must agree on their shape before cutting early
LEARN_FRAGMENTED = 3  # of which fragmented ones (where a short fragment has to mean the end)


@dataclass
class AccessUnit:
    """The pieces of one frame, its timestamp and whether it starts a GOP."""

    parts: list[bytes]
    pts: int | None
    keyframe: bool
    early: bool = False  # handed on at its last slice, not at the next frame


@dataclass
class _Pending:
    parts: list[bytes] = field(default_factory=list)
    pts: int | None = None
    slices: int = 0
    keyframe: bool = False
    frag_lens: list[int] = field(default_factory=list)  # per piece: bytes of NAL payload
    starts: list[bool] = field(default_factory=list)  # per piece: began a NAL unit
    vcl: list[int] = field(default_factory=list)  # per piece: slices it began
    cut_early: bool = False

    def take_tail(self, n: int) -> list[tuple[bytes, int, bool, int]]:
        """Remove the last n pieces (none of them slices) and return them."""
        if n <= 0:
            return []
        tail = list(
            zip(
                self.parts[-n:],
                self.frag_lens[-n:],
                self.starts[-n:],
                self.vcl[-n:],
                strict=True,
            )
        )
        del self.parts[-n:], self.frag_lens[-n:], self.starts[-n:], self.vcl[-n:]
        return tail

    def adopt(self, pieces: list[tuple[bytes, int, bool, int]]) -> None:
        """Begin with pieces taken from the previous access unit."""
        for part, frag, start, vcl in pieces:
            self.parts.append(part)
            self.frag_lens.append(frag)
            self.starts.append(start)
            self.vcl.append(vcl)


def _start_code(chunk: bytes) -> int:
    if chunk.startswith(b"\x00\x00\x01"):
        return 3
    if chunk.startswith(b"\x00\x00\x00\x01"):
        return 4
    return 0


class AccessUnitJoiner:
    """Joins H.264/H.265 RTSP pieces into access units (one instance per connection)."""

    def __init__(self, codec: str) -> None:
        self.hevc = codec == "hevc"
        self.header = 2 if self.hevc else 1
        self.aud = _HEVC_AUD if self.hevc else _H264_AUD
        self._cur = _Pending()
        self._shapes: deque[int] = deque(maxlen=LEARN_FRAMES)
        self.full_fragment = 0  # the packetizer's fragment size: the largest piece seen
        self.early_ok = True  # False once a frame continued after an early cut
        self._proven = 0  # frames in a row on which the early cut would have been right
        self._proven_fragmented = 0  # of those, frames sent in several pieces
        self.early_cuts = 0
        self.misfires = 0

    def _kind(self, byte: int) -> int:
        return (byte >> 1) & 0x3F if self.hevc else byte & 0x1F

    def _is_vcl(self, kind: int) -> bool:
        return kind < 32 if self.hevc else kind in (1, 5)

    def _is_key(self, kind: int) -> bool:
        return 16 <= kind <= 23 if self.hevc else kind == 5

    def _units(self, chunk: bytes) -> list[tuple[int, int]]:
        """(type, offset of the NAL header) of each NAL unit that begins in the chunk."""
        out = []
        i = chunk.find(b"\x00\x00\x01")
        while i >= 0 and i + 3 + self.header < len(chunk):
            out.append((self._kind(chunk[i + 3]), i + 3))
            i = chunk.find(b"\x00\x00\x01", i + 3 + self.header)
        return out

    def _starts_picture(self, chunk: bytes, at: int) -> bool:
        # H.264 first_mb_in_slice == 0 and H.265 first_slice_segment_in_pic_flag both show
        # as the first bit after the NAL header.
        pos = at + self.header
        return pos < len(chunk) and bool(chunk[pos] & 0x80)

    def push(self, chunk: bytes, pts: int | None) -> list[AccessUnit]:
        """Take one demuxer packet; return the access units it completed (0, 1 or 2)."""
        out: list[AccessUnit] = []
        cur = self._cur
        sc = _start_code(chunk)
        units = self._units(chunk) if sc else []
        if sc and (cur.slices or cur.cut_early):
            first_kind, at = units[0] if units else (-1, 0)
            new_time = pts is not None and cur.pts is not None and pts != cur.pts
            picture = self._is_vcl(first_kind) and self._starts_picture(chunk, at)
            if new_time or first_kind == self.aud or picture:
                # Parameter sets and SEI just before a new picture's first slice are its own.
                carry = 0
                if picture and not new_time and not cur.cut_early:
                    while carry < len(cur.parts) - 1 and cur.starts[-1 - carry]:
                        if cur.vcl[-1 - carry]:
                            break
                        carry += 1
                moved = cur.take_tail(carry)
                done = self._close()
                if done is not None:
                    out.append(done)
                cur = self._cur
                cur.adopt(moved)
        if cur.cut_early:
            # More of a frame already handed on: the early cut was wrong for this stream. The
            # rest of that frame is dropped; frames are cut at the next one from now on.
            self.misfires += 1
            if self.early_ok:
                log.warning("a frame continued after its last slice; cutting at the next frame")
            self.early_ok = False
            return out
        cur.parts.append(chunk)
        if cur.pts is None:
            cur.pts = pts
        frag = len(chunk) - (sc + self.header if sc else 0)
        cur.frag_lens.append(frag)
        cur.starts.append(bool(sc))
        self.full_fragment = max(self.full_fragment, frag)
        vcl = 0
        for kind, _ in units:
            if self._is_vcl(kind):
                vcl += 1
            if self._is_key(kind):
                cur.keyframe = True
        cur.vcl.append(vcl)
        cur.slices += vcl
        if self._may_cut_early(cur, frag):
            cur.cut_early = True
            self.early_cuts += 1
            out.append(AccessUnit(list(cur.parts), cur.pts, cur.keyframe, early=True))
        return out

    def _learned_slices(self) -> int | None:
        if len(self._shapes) < LEARN_FRAMES or len(set(self._shapes)) != 1:
            return None
        return self._shapes[0]

    def _ends_nal(self, frag: int) -> bool:
        return 0 < frag < self.full_fragment

    def _may_cut_early(self, cur: _Pending, frag: int) -> bool:
        if (
            not self.early_ok
            or self._proven < LEARN_FRAMES
            or self._proven_fragmented < LEARN_FRAGMENTED
        ):
            return False
        slices = self._learned_slices()
        return slices is not None and cur.slices == slices and self._ends_nal(frag)

    def _would_cut_at(self, cur: _Pending, slices: int) -> int | None:
        """Which piece the early rule would have cut this frame after (None: never)."""
        seen = 0
        for n in range(len(cur.parts)):
            seen += cur.vcl[n]
            if seen == slices and self._ends_nal(cur.frag_lens[n]):
                return n
        return None

    def _close(self) -> AccessUnit | None:
        cur = self._cur
        self._cur = _Pending()
        if cur.cut_early:
            return None  # handed on already
        if not cur.parts:
            return None
        slices = self._learned_slices()
        if slices is not None and cur.slices == slices:
            # Would cutting early have been right on this frame? Only then count it as proof.
            at = self._would_cut_at(cur, slices)
            if at == len(cur.parts) - 1:
                self._proven += 1
                self._proven_fragmented += any(not start for start in cur.starts)
            else:  # e.g. a packetizer that splits evenly: a short fragment says nothing
                self._proven = self._proven_fragmented = 0
        self._shapes.append(cur.slices)
        if cur.slices == 0:
            return None  # parameter sets or SEI alone: they travel with the next frame
        return AccessUnit(cur.parts, cur.pts, cur.keyframe)

    def flush(self) -> AccessUnit | None:
        """The frame in progress, at the end of the stream."""
        return self._close()

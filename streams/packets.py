"""Encoded packets and stream facts passed from reader threads to the event loop."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction


@dataclass(frozen=True, slots=True)
class StreamInfo:
    """What the source carries: codec, profile, size, nominal rate, decoder extradata."""

    codec: str
    profile: str | None
    width: int
    height: int
    fps: float | None
    time_base: Fraction
    extradata: bytes | None = None
    annexb: bool = True


@dataclass(frozen=True, slots=True)
class Packet:
    """One encoded video packet (H.264/H.265 as Annex-B), stamped on arrival."""

    data: bytes
    pts: int | None
    dts: int | None
    time_base: Fraction
    keyframe: bool
    arrival: float
    generation: int = 0
    info: StreamInfo | None = field(default=None, compare=False)

    @property
    def pts_s(self) -> float | None:
        """Presentation time in seconds."""
        return None if self.pts is None else float(self.pts * self.time_base)

    @property
    def size(self) -> int:
        """Bytes."""
        return len(self.data)

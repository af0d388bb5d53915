"""Real encoder output for bitstream tests: frames of the demo footage through libx264/x265,
as Annex-B access units (what an RTSP camera sends), with their presentation times."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from fractions import Fraction

import av
import numpy as np

from tests.paths import VIDEO


@dataclass(frozen=True)
class Unit:
    """One encoded access unit in decoding order."""

    data: bytes
    pts: int  # 1/90000 s
    key: bool


@functools.cache
def footage(n: int = 60, size: tuple[int, int] = (640, 360)) -> tuple[np.ndarray, ...]:
    """The first n frames of the road clip, scaled (decoded once per size)."""
    out = []
    with av.open(str(VIDEO / "car-detection.mp4")) as c:
        for frame in c.decode(video=0):
            out.append(frame.reformat(width=size[0], height=size[1], format="yuv420p").to_ndarray())
            if len(out) == n:
                break
    return tuple(out)


def encode(
    options: dict[str, str],
    *,
    codec: str = "libx264",
    n: int = 60,
    size: tuple[int, int] = (640, 360),
    fps: int = 25,
) -> list[Unit]:
    """Encode n frames with encoder options (profile, bf, slices...) into access units."""
    enc = av.CodecContext.create(codec, "w")
    enc.width, enc.height = size
    enc.pix_fmt = "yuv420p"
    enc.time_base = Fraction(1, 90_000)
    enc.framerate = Fraction(fps, 1)
    enc.gop_size = fps * 2
    # One thread: x264 would otherwise cut frames into one slice per thread.
    enc.options = {"threads": "1", **options} if codec == "libx264" else options
    units: list[Unit] = []
    step = 90_000 // fps
    for i, img in enumerate(footage(n, size)):
        frame = av.VideoFrame.from_ndarray(img, format="yuv420p")
        frame.pts = i * step
        frame.time_base = enc.time_base
        units += [Unit(bytes(p), int(p.pts), bool(p.is_keyframe)) for p in enc.encode(frame)]
    units += [Unit(bytes(p), int(p.pts), bool(p.is_keyframe)) for p in enc.encode(None)]
    return units

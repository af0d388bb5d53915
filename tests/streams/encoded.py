"""Real encoder output for bitstream tests: frames of the demo footage through libx264/x265,
as Annex-B access units (what an RTSP camera sends), with their presentation times."""

from __future__ import annotations

import functools
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from streams.sps import BitReader, annexb_units, rbsp
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


def write_clip(units: list[Unit], path: Path, fps: int = 25) -> Path:
    """Access units into an MP4 file (stream copy, as a camera recording would be)."""
    raw = path.with_suffix(".h264")
    raw.write_bytes(b"".join(u.data for u in units))
    subprocess.run(
        [
            *("ffmpeg", "-loglevel", "error", "-y", "-r", str(fps), "-f", "h264"),
            *("-i", str(raw), "-c", "copy", str(path)),
        ],
        check=True,
        timeout=60,
    )
    raw.unlink()
    return path


def sps_of(units: list[Unit]) -> bytes:
    return next(u for u in annexb_units(units[0].data) if u[0] & 0x1F == 7)


class BitWriter:
    def __init__(self) -> None:
        self.bits: list[str] = []

    def u(self, n: int, v: int) -> None:
        self.bits.append(format(v, f"0{n}b") if n else "")

    def ue(self, v: int) -> None:
        code = format(v + 1, "b")
        self.bits.append("0" * (len(code) - 1) + code)

    def se(self, v: int) -> None:
        self.ue(2 * v - 1 if v > 0 else -2 * v)

    def done(self) -> bytes:
        bits = "".join(self.bits) + "1"
        bits += "0" * (-len(bits) % 8)
        raw = int(bits, 2).to_bytes(len(bits) // 8, "big")
        out = bytearray()
        zeros = 0
        for b in raw:  # emulation prevention
            if zeros >= 2 and b <= 3:
                out.append(3)
                zeros = 0
            out.append(b)
            zeros = zeros + 1 if b == 0 else 0
        return bytes(out)


def without_vui(nal: bytes) -> bytes:
    """The same SPS with its VUI dropped, as many cameras send it (no bitstream restriction).

    Re-reads every field and writes it back, then vui_parameters_present_flag = 0.
    """
    r = BitReader(rbsp(nal[1:]))
    w = BitWriter()

    def copy_u(n: int) -> int:
        v = r.u(n)
        w.u(n, v)
        return v

    def copy_ue() -> int:
        v = r.ue()
        w.ue(v)
        return v

    def copy_se() -> int:
        v = r.se()
        w.se(v)
        return v

    profile = copy_u(8)
    copy_u(16)
    copy_ue()
    if profile in (100, 110, 122, 244, 44, 83, 86, 118, 128):
        chroma = copy_ue()
        if chroma == 3:
            copy_u(1)
        copy_ue()
        copy_ue()
        copy_u(1)
        assert copy_u(1) == 0  # no scaling matrices from x264
    copy_ue()
    poc = copy_ue()
    if poc == 0:
        copy_ue()
    elif poc == 1:
        copy_u(1)
        copy_se()
        copy_se()
        for _ in range(copy_ue()):
            copy_se()
    copy_ue()
    copy_u(1)
    copy_ue()
    copy_ue()
    if not copy_u(1):
        copy_u(1)
    copy_u(1)
    if copy_u(1):
        for _ in range(4):
            copy_ue()
    w.u(1, 0)  # no VUI
    return nal[:1] + w.done()


def strip_vui(units: list[Unit]) -> list[Unit]:
    """Every access unit with its SPS replaced by the VUI-less one."""
    sps = sps_of(units)
    bare = without_vui(sps)
    return [Unit(u.data.replace(sps, bare), u.pts, u.key) for u in units]

"""Fault injection on frames: the faulty looks a camera can have, for tests, demos and benches."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from streams.features import Image

LEVELS = ("weak", "normal", "strong")
Level = str


def _pick(level: Level, weak: float, normal: float, strong: float) -> float:
    return {"weak": weak, "normal": normal, "strong": strong}[level]


def _u8(values: Image) -> Image:
    out: Image = np.clip(values, 0, 255).astype(np.uint8)
    return out


def _dark(img: Image, rng: np.random.Generator, level: Level = "normal") -> Image:
    # Under-exposure: the sensor's gain drops (IR cut stuck, iris closed).
    f = _pick(level, 0.4, 0.25, 0.1) * rng.uniform(0.9, 1.1)
    return _u8(img.astype(np.float32) * f)


def _over(img: Image, rng: np.random.Generator, level: Level = "normal") -> Image:
    gain, lift = _pick(level, 1.6, 2.0, 2.5), _pick(level, 50, 80, 120)
    return _u8(img.astype(np.float32) * gain + lift)


def _low_contrast(img: Image, rng: np.random.Generator, level: Level = "normal") -> Image:
    k = _pick(level, 0.4, 0.25, 0.12)
    mean = img.mean()
    return _u8((img.astype(np.float32) - mean) * k + mean * 0.6 + 128 * 0.4)


def _blur(img: Image, rng: np.random.Generator, level: Level = "normal") -> Image:
    sigma = _pick(level, 2.0, 3.5, 7.0) * img.shape[1] / 640
    return cv2.GaussianBlur(img, (0, 0), sigma * rng.uniform(0.9, 1.1))


def _cast(img: Image, rng: np.random.Generator, level: Level = "normal") -> Image:
    tint = np.zeros_like(img)
    tint[..., int(rng.integers(0, 3))] = 255
    w = _pick(level, 0.15, 0.3, 0.5)
    return cv2.addWeighted(img, 1 - w, tint, w, 0)


def _noise(img: Image, rng: np.random.Generator, level: Level = "normal") -> Image:
    n = rng.normal(0, _pick(level, 8, 14, 28), img.shape[:2])[..., None]
    return _u8(img.astype(np.float32) + n)


def _stripes(img: Image, rng: np.random.Generator, level: Level = "normal") -> Image:
    h = img.shape[0]
    period = int(rng.integers(8, 24)) * h / 360
    amp = _pick(level, 12, 25, 50)
    band = (np.sin(np.arange(h) * 2 * np.pi / period) * amp).astype(np.float32)
    return _u8(img.astype(np.float32) + band[:, None, None])


def _occlusion(img: Image, rng: np.random.Generator, level: Level = "normal") -> Image:
    out = img.copy()
    _h, w = out.shape[:2]
    frac = _pick(level, 0.3, 0.45, 0.7)
    out[:, : int(w * frac)] = (15, 15, 15)
    return out


def _blank(img: Image, rng: np.random.Generator, level: Level = "normal") -> Image:
    colour = (0, 0, 0) if rng.random() < 0.5 else (200, 80, 20)
    return np.full_like(img, colour)


def _scene(img: Image, rng: np.random.Generator, level: Level = "normal") -> Image:
    # The camera turned: a mirrored, shifted and rotated view of somewhere else.
    h, w = img.shape[:2]
    angle = _pick(level, 15, 30, 60) * rng.uniform(0.9, 1.1)
    m = cv2.getRotationMatrix2D((w / 2, h / 2), float(angle), 1.4)
    return cv2.warpAffine(cv2.flip(img, 1), m, (w, h), borderMode=cv2.BORDER_REFLECT)


FAULTS: dict[str, Callable[[Image, np.random.Generator, Level], Image]] = {
    "too_dark": _dark,
    "overexposed": _over,
    "low_contrast": _low_contrast,
    "blur": _blur,
    "colour_cast": _cast,
    "noise": _noise,
    "stripes": _stripes,
    "occlusion": _occlusion,
    "blank": _blank,
    "scene_change": _scene,
}


def shake(img: Image, rng: np.random.Generator, level: Level = "normal") -> Image:
    """The image moved by several pixels (a loose mount in the wind)."""
    h, w = img.shape[:2]
    angle = rng.uniform(0, 2 * np.pi)
    size = rng.uniform(0.75, 1.25) * _pick(level, 0.025, 0.04, 0.06) * w
    dx, dy = size * np.cos(angle), size * np.sin(angle)
    m = np.array([[1, 0, dx], [0, 1, dy]], dtype=np.float32)
    return cv2.warpAffine(img, m, (w, h), borderMode=cv2.BORDER_REPLICATE)


ALL = (*FAULTS, "frozen", "shake")


def faulty_sequence(
    name: str, clean: list[Image], rng: np.random.Generator, level: Level = "normal"
) -> list[Image]:
    """The frames a camera with fault `name` would deliver instead of `clean`."""
    if name == "frozen":
        return [clean[0]] * len(clean)
    if name == "shake":
        return [shake(img, rng, level) if i % 2 else img for i, img in enumerate(clean)]
    return [FAULTS[name](img, rng, level) for img in clean]


def write_faulty_clip(
    src: Path,
    dst: Path,
    fault: str | None,
    gop_s: float = 2.0,
    seed: int = 1,
    level: Level = "strong",
) -> None:
    """Re-encode `src` as H.264 (baseline-like, no B-frames, GOP `gop_s`) with a fault applied.

    `fault` is a key of FAULTS, "frozen" (the first frame forever) or None (clean re-encode).
    Blocking; writes atomically.
    """
    rng = np.random.default_rng(seed)
    tmp = dst.with_suffix(".part.mp4")
    with av.open(str(src)) as inp, av.open(str(tmp), "w") as out:
        vin = inp.streams.video[0]
        rate = vin.average_rate or Fraction(25, 2)
        vout = out.add_stream("libx264", rate=rate)
        vout.width, vout.height, vout.pix_fmt = vin.width, vin.height, "yuv420p"
        vout.codec_context.gop_size = max(1, round(float(rate) * gop_s))
        vout.codec_context.options = {"preset": "veryfast", "bf": "0", "sc_threshold": "0"}
        first: Image | None = None
        for frame in inp.decode(vin):
            img = frame.to_ndarray(format="bgr24")
            if fault == "frozen":
                first = img if first is None else first
                img = first
            elif fault is not None:
                img = FAULTS[fault](img, rng, level)
            for packet in vout.encode(av.VideoFrame.from_ndarray(img, format="bgr24")):
                out.mux(packet)
        for packet in vout.encode(None):
            out.mux(packet)
    tmp.replace(dst)


def sample_frames(path: Path, every_s: float, limit: int) -> list[Image]:
    """Decoded frames of a clip, one every `every_s` seconds, at most `limit` (blocking)."""
    out: list[Image] = []
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        last = -1e9
        for fr in c.decode(s):
            if fr.pts is None or s.time_base is None:
                continue
            t = float(fr.pts * s.time_base)
            if t - last >= every_s:
                out.append(fr.to_ndarray(format="bgr24"))
                last = t
            if len(out) >= limit:
                break
    return out

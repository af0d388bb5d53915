"""Image features for video quality diagnosis, computed on a small downscaled keyframe.

Every measure is chosen to survive H.264 compression and to be compared with the same
measure of the camera's own healthy pictures: colour as the CIELAB a*/b* of a 10x10 grid of
cells (a median over cells ignores a red car), texture as fine-detail (high-frequency) energy
per cell, which noise raises and blur lowers, and per-cell brightness and texture for a
compact blocked region.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[Any]
Cells = npt.NDArray[np.float32]
WORK_W, WORK_H = 320, 180
# Fine texture is measured at sub-stream size: downscaling further would average noise away.
FINE_W, FINE_H = 640, 360
THUMB_W, THUMB_H = 64, 36
GRID = 10
SCALARS = (
    "brightness",
    "contrast",
    "spread",
    "sharpness",
    "saturated",
    "dark",
    "lab_a",
    "lab_b",
    "fine",
    "stripes",
)


@dataclass(frozen=True, slots=True)
class Features:
    """Scores for one keyframe; each detector reads one or two of them."""

    brightness: float  # mean luma 0..255
    contrast: float  # luma standard deviation
    spread: float  # 95th minus 5th luma percentile
    sharpness: float  # variance of the Laplacian
    saturated: float  # share of pixels >= 250
    dark: float  # share of pixels <= 16
    lab_a: float  # median over cells of mean CIELAB a* (green-red)
    lab_b: float  # median over cells of mean CIELAB b* (blue-yellow)
    fine: float  # median over cells of fine-texture energy (mean |luma - blurred luma|)
    stripes: float  # strongest periodic peak in row/column profiles, relative
    cell_mean: Cells  # 10x10 mean luma
    cell_std: Cells  # 10x10 luma std
    cell_fine: Cells  # 10x10 fine-texture energy
    cell_a: Cells  # 10x10 mean a*
    cell_b: Cells  # 10x10 mean b*
    thumb: Image  # 64x36 grey image for freeze and scene comparisons
    mid: Image  # 160x90 grey image for shake (global shift) and freeze estimates

    def scores(self) -> dict[str, float]:
        """JSON-ready scores."""
        return {name: round(float(getattr(self, name)), 3) for name in SCALARS}


def _stripe_score(gray: npt.NDArray[np.float32]) -> float:
    """Strength of a periodic pattern in the row or column means (interference bars).

    Amplitude in grey levels of the strongest component times its share of the detrended
    power: high only for a strong, single-frequency pattern, not for texture or blur.
    """
    best = 0.0
    for profile in (gray.mean(axis=0), gray.mean(axis=1)):
        trend = np.convolve(profile, np.ones(15) / 15, mode="same")
        p = (profile - trend)[8:-8]
        spec = np.abs(np.fft.rfft(p - p.mean()))[3:]
        if spec.size:
            power = spec**2
            k = int(power.argmax())
            share = float(power[max(0, k - 1) : k + 2].sum() / (power.sum() + 1e-6))
            amplitude = float(2 * spec[k] / p.size)
            best = max(best, amplitude * share)
    return best


def _cells(values: npt.NDArray[np.float32], fn: str) -> Cells:
    h, w = values.shape
    grid = values[: h - h % GRID, : w - w % GRID].reshape(GRID, h // GRID, GRID, w // GRID)
    out: Cells = getattr(grid, fn)(axis=(1, 3)).astype(np.float32)
    return out


def compute(bgr: Image) -> Features:
    """Features of one decoded frame (BGR)."""
    h, w = bgr.shape[:2]
    fine_src = (
        bgr
        if (w, h) == (FINE_W, FINE_H)
        else cv2.resize(bgr, (FINE_W, FINE_H), interpolation=cv2.INTER_AREA)
    )
    fine_gray = cv2.cvtColor(fine_src, cv2.COLOR_BGR2GRAY).astype(np.float32)
    detail = np.abs(fine_gray - cv2.GaussianBlur(fine_gray, (0, 0), 1.0))
    cell_fine = _cells(detail, "mean")
    small = cv2.resize(fine_src, (WORK_W, WORK_H), interpolation=cv2.INTER_AREA)
    gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    g32 = gray.astype(np.float32)
    lab = cv2.cvtColor(small, cv2.COLOR_BGR2LAB).astype(np.float32)
    # OpenCV's 8-bit CIELAB stores a* and b* offset by 128.
    cell_a = _cells(lab[..., 1] - 128.0, "mean")
    cell_b = _cells(lab[..., 2] - 128.0, "mean")
    lo, hi = np.percentile(g32, (5, 95))
    return Features(
        brightness=float(g32.mean()),
        contrast=float(g32.std()),
        spread=float(hi - lo),
        sharpness=float(cv2.Laplacian(gray, cv2.CV_32F).var()),
        saturated=float((gray >= 250).mean()),
        dark=float((gray <= 16).mean()),
        lab_a=float(np.median(cell_a)),
        lab_b=float(np.median(cell_b)),
        fine=float(np.median(cell_fine)),
        stripes=_stripe_score(g32),
        cell_mean=_cells(g32, "mean"),
        cell_std=_cells(g32, "std"),
        cell_fine=cell_fine,
        cell_a=cell_a,
        cell_b=cell_b,
        thumb=cv2.resize(gray, (THUMB_W, THUMB_H), interpolation=cv2.INTER_AREA),
        mid=cv2.resize(gray, (160, 90), interpolation=cv2.INTER_AREA),
    )


def frame_difference(a: Image, b: Image) -> float:
    """Mean absolute difference of two thumbnails (0 = identical)."""
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


def similarity(a: Image, b: Image, mask: npt.NDArray[np.bool_] | None = None) -> float:
    """Normalised correlation of two thumbnails' structure (1 = same view), optionally over
    the pixels of `mask` only."""
    ea = cv2.Sobel(a, cv2.CV_32F, 1, 0) + cv2.Sobel(a, cv2.CV_32F, 0, 1)
    eb = cv2.Sobel(b, cv2.CV_32F, 1, 0) + cv2.Sobel(b, cv2.CV_32F, 0, 1)
    if mask is not None:
        ea, eb = ea[mask], eb[mask]
    ea -= ea.mean()
    eb -= eb.mean()
    denom = float(np.sqrt((ea * ea).sum() * (eb * eb).sum())) + 1e-6
    return float((ea * eb).sum() / denom)


_WINDOW = cv2.createHanningWindow((160, 90), cv2.CV_32F)


def shift_vector(a: Image, b: Image) -> tuple[float, float, float]:
    """Global translation (dx, dy) between two 160x90 images in pixels, and its confidence."""
    (dx, dy), response = cv2.phaseCorrelate(
        a.astype(np.float32), b.astype(np.float32), window=_WINDOW
    )
    return float(dx), float(dy), float(response)


_QUARTER = cv2.createHanningWindow((80, 45), cv2.CV_32F)


def shift_quarters(a: Image, b: Image) -> list[tuple[float, float, float]]:
    """(dx, dy, confidence) of each quarter of two 160x90 images, for partly hidden views."""
    out = []
    for y in (0, 45):
        for x in (0, 80):
            qa = a[y : y + 45, x : x + 80].astype(np.float32)
            qb = b[y : y + 45, x : x + 80].astype(np.float32)
            (dx, dy), response = cv2.phaseCorrelate(qa, qb, window=_QUARTER)
            out.append((float(dx), float(dy), float(response)))
    return out


def shift(a: Image, b: Image) -> tuple[float, float]:
    """Global translation between two 160x90 images in pixels, and the peak's confidence."""
    dx, dy, response = shift_vector(a, b)
    return float(np.hypot(dx, dy)), response

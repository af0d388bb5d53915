"""Image features for video quality diagnosis, computed on a small downscaled keyframe."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[Any]
WORK_W, WORK_H = 320, 180
THUMB_W, THUMB_H = 64, 36


@dataclass(frozen=True, slots=True)
class Features:
    """Scores for one keyframe; each detector reads one or two of them."""

    brightness: float  # mean luma 0..255
    contrast: float  # luma standard deviation
    sharpness: float  # variance of the Laplacian
    saturated: float  # share of pixels >= 250
    cast: float  # colour cast factor (mean chroma offset / chroma spread)
    noise: float  # std of the residual after a median filter
    stripes: float  # strongest periodic peak in row/column profiles, relative
    flat_cells: float  # share of 10x10 grid cells with almost no texture
    dark_flat: float  # share of grid cells both dark and textureless (something on the lens)
    thumb: Image  # 64x36 grey image for freeze and scene comparisons
    mid: Image  # 160x90 grey image for shake (global shift) estimates

    def scores(self) -> dict[str, float]:
        """JSON-ready scores."""
        return {
            "brightness": round(self.brightness, 1),
            "contrast": round(self.contrast, 1),
            "sharpness": round(self.sharpness, 1),
            "saturated": round(self.saturated, 3),
            "cast": round(self.cast, 2),
            "noise": round(self.noise, 2),
            "stripes": round(self.stripes, 2),
            "flat_cells": round(self.flat_cells, 3),
            "dark_flat": round(self.dark_flat, 3),
        }


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


def compute(bgr: Image) -> Features:
    """Features of one decoded frame (BGR)."""
    small = cv2.resize(bgr, (WORK_W, WORK_H), interpolation=cv2.INTER_AREA)
    gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    g32 = gray.astype(np.float32)
    lab = cv2.cvtColor(small, cv2.COLOR_BGR2LAB).astype(np.float32)
    a, b = lab[..., 1] - 128.0, lab[..., 2] - 128.0
    da, db = float(a.mean()), float(b.mean())
    spread = float(np.mean(np.hypot(a - da, b - db))) + 1.0
    residual = g32 - cv2.medianBlur(gray, 3).astype(np.float32)
    grid = gray.reshape(10, WORK_H // 10, 10, WORK_W // 10)
    cells = grid.std(axis=(1, 3))
    means = grid.mean(axis=(1, 3))
    return Features(
        brightness=float(g32.mean()),
        contrast=float(g32.std()),
        sharpness=float(cv2.Laplacian(gray, cv2.CV_32F).var()),
        saturated=float((gray >= 250).mean()),
        cast=float(np.hypot(da, db) / spread),
        noise=float(residual.std()),
        stripes=_stripe_score(g32),
        flat_cells=float((cells < 3.0).mean()),
        dark_flat=float(((cells < 4.0) & (means < 40)).mean()),
        thumb=cv2.resize(gray, (THUMB_W, THUMB_H), interpolation=cv2.INTER_AREA),
        mid=cv2.resize(gray, (160, 90), interpolation=cv2.INTER_AREA),
    )


def frame_difference(a: Image, b: Image) -> float:
    """Mean absolute difference of two thumbnails (0 = identical)."""
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


def similarity(a: Image, b: Image) -> float:
    """Normalised correlation of two thumbnails' structure (1 = same view)."""
    ea = cv2.Sobel(a, cv2.CV_32F, 1, 0) + cv2.Sobel(a, cv2.CV_32F, 0, 1)
    eb = cv2.Sobel(b, cv2.CV_32F, 1, 0) + cv2.Sobel(b, cv2.CV_32F, 0, 1)
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

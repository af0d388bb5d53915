"""A camera's own healthy look: robust statistics of its features, kept and restored as JSON."""

from __future__ import annotations

import base64
from collections import deque
from dataclasses import dataclass, field
from statistics import median
from typing import Any

import numpy as np

from streams.features import (
    GRID,
    SCALARS,
    THUMB_H,
    THUMB_W,
    Cells,
    Features,
    Image,
    shift_quarters,
    shift_vector,
    similarity,
)

# A robust spread never below these (a scene so stable that its MAD is 0 still varies).
SPREAD_FLOOR = {
    "brightness": 2.0,
    "contrast": 1.0,
    "spread": 2.0,
    "sharpness": 5.0,
    "saturated": 0.01,
    "dark": 0.01,
    "lab_a": 0.6,
    "lab_b": 0.6,
    "fine": 0.05,
    "stripes": 0.1,
}
CELL_ARRAYS = ("cell_mean", "cell_std", "cell_fine", "cell_a", "cell_b")
# Per-cell robust spreads never below these (grey levels, texture energy, a*/b* units).
CELL_SPREAD_FLOOR = {
    "cell_mean": 2.0,
    "cell_std": 0.5,
    "cell_fine": 0.03,
    "cell_a": 0.8,
    "cell_b": 0.8,
}
FORMAT = 1


def _b64(a: Image) -> str:
    return base64.b64encode(np.ascontiguousarray(a, dtype=np.uint8).tobytes()).decode()


def _unb64(s: str, shape: tuple[int, ...]) -> Image:
    return np.frombuffer(base64.b64decode(s), np.uint8).reshape(shape).copy()


@dataclass
class Sample:
    """What the baseline keeps of one healthy keyframe."""

    scalars: dict[str, float]
    cells: dict[str, Cells]
    thumb: Image | None = None

    @classmethod
    def of(cls, f: Features) -> Sample:
        """From features."""
        return cls(
            {n: float(getattr(f, n)) for n in SCALARS},
            {n: getattr(f, n) for n in CELL_ARRAYS},
            f.thumb,
        )


@dataclass
class Baseline:
    """Healthy samples of one camera, and their median and robust spread (MAD)."""

    size: int = 6
    keep: int = 32
    samples: deque[Sample] = field(default_factory=lambda: deque(maxlen=32))
    diffs: deque[float] = field(default_factory=lambda: deque(maxlen=32))
    background: Image | None = None
    background_mid: Image | None = None
    mids: deque[Image] = field(default_factory=lambda: deque(maxlen=8))
    usual_similarity: float | None = None
    _stats: dict[str, tuple[float, float]] | None = None
    _cells: dict[str, Cells] | None = None
    _cell_spreads: dict[str, Cells] | None = None
    changed: bool = False  # learned something since it was last saved

    @property
    def ready(self) -> bool:
        """Enough samples to judge relative to."""
        return len(self.samples) >= self.size

    def med(self, name: str) -> float:
        """Median of one scalar feature."""
        return self.stats(name)[0]

    def stats(self, name: str) -> tuple[float, float]:
        """(median, robust spread) of one feature: 1.4826 x MAD, never below its floor."""
        if self._stats is None:
            self._stats = {}
            for n in SCALARS:
                values = np.array([s.scalars[n] for s in self.samples], dtype=np.float64)
                m = float(np.median(values)) if values.size else 0.0
                mad = float(np.median(np.abs(values - m))) * 1.4826 if values.size else 0.0
                self._stats[n] = (m, max(mad, SPREAD_FLOOR[n]))
        return self._stats[name]

    def z(self, name: str, value: float) -> float:
        """How many robust spreads `value` lies from the median."""
        m, s = self.stats(name)
        return (value - m) / s

    def cells(self, name: str) -> Cells:
        """Per-cell median of one grid measure."""
        if self._cells is None:
            self._cells = {
                n: np.median(np.stack([s.cells[n] for s in self.samples]), axis=0).astype(
                    np.float32
                )
                for n in CELL_ARRAYS
            }
        return self._cells[name]

    def cell_spread(self, name: str) -> Cells:
        """Per-cell robust spread (1.4826 x MAD over the healthy samples) of one grid measure."""
        if self._cell_spreads is None:
            self._cell_spreads = {}
            for n in CELL_ARRAYS:
                stack = np.stack([s.cells[n] for s in self.samples])
                mad = np.median(np.abs(stack - self.cells(n)), axis=0) * 1.4826
                self._cell_spreads[n] = np.maximum(mad, CELL_SPREAD_FLOOR[n]).astype(np.float32)
        return self._cell_spreads[name]

    def add(self, f: Features, diff: float | None) -> None:
        """Learn from a healthy sample."""
        self.samples.append(Sample.of(f))
        if diff is not None:
            self.diffs.append(diff)
        self._stats = None
        self._cells = None
        self._cell_spreads = None
        self.changed = True
        # The median of healthy frames drops passing traffic and keeps the fixed scene.
        thumbs = [s.thumb for s in self.samples if s.thumb is not None]
        if thumbs:
            self.background = np.median(np.stack(thumbs), axis=0).astype(np.uint8)
        self.mids.append(f.mid)
        self.background_mid = np.median(np.stack(list(self.mids)), axis=0).astype(np.uint8)
        if self.background is not None and len(thumbs) >= 2:
            self.usual_similarity = float(
                median(similarity(self.background, t) for t in thumbs[-12:])
            )

    def offset(self, f: Features) -> tuple[float, float] | None:
        """Where the picture sits against the usual view (dx, dy); None if unclear."""
        if not self.ready or self.background_mid is None:
            return None
        dx, dy, confidence = shift_vector(self.background_mid, f.mid)
        # Low confidence: traffic or a changed scene hides the fixed background; a far peak
        # is a repeated pattern matching itself, not where the view went.
        if confidence > 0.3 and np.hypot(dx, dy) < 20:
            return (dx, dy)
        # A lorry filling half the road hides only part of the view: two quarters that still
        # see the background and agree on where it went are enough.
        good = [
            (qx, qy)
            for qx, qy, c in shift_quarters(self.background_mid, f.mid)
            if c > 0.3 and np.hypot(qx, qy) < 20
        ]
        for i, (ax, ay) in enumerate(good):
            agree = [(bx, by) for bx, by in good[i:] if np.hypot(bx - ax, by - ay) < 1.5]
            if len(agree) >= 2:
                return (
                    float(np.mean([v[0] for v in agree])),
                    float(np.mean([v[1] for v in agree])),
                )
        return None

    def reset(self) -> None:
        """Forget everything (accept a new view: learn it from scratch)."""
        self.samples.clear()
        self.diffs.clear()
        self.mids.clear()
        self.background = self.background_mid = None
        self.usual_similarity = None
        self._stats = self._cells = self._cell_spreads = None
        self.changed = True

    def to_json(self) -> dict[str, Any]:
        """A compact, JSON-ready copy (about 40 KB) to persist."""
        return {
            "format": FORMAT,
            "size": self.size,
            "samples": [
                {
                    "s": {k: round(v, 4) for k, v in s.scalars.items()},
                    "c": {k: np.round(v, 2).ravel().tolist() for k, v in s.cells.items()},
                    "t": _b64(s.thumb) if s.thumb is not None else None,
                }
                for s in self.samples
            ],
            "diffs": [round(d, 3) for d in self.diffs],
            "background_mid": _b64(self.background_mid)
            if self.background_mid is not None
            else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Baseline:
        """Restore a saved baseline; raises ValueError on a foreign format."""
        if data.get("format") != FORMAT:
            raise ValueError(f"unknown baseline format {data.get('format')!r}")
        b = cls(size=int(data.get("size", 6)))
        for raw in data.get("samples", []):
            b.samples.append(
                Sample(
                    {k: float(raw["s"][k]) for k in SCALARS},
                    {
                        k: np.asarray(raw["c"][k], dtype=np.float32).reshape(GRID, GRID)
                        for k in CELL_ARRAYS
                    },
                    _unb64(raw["t"], (THUMB_H, THUMB_W)) if raw.get("t") else None,
                )
            )
        b.diffs.extend(float(d) for d in data.get("diffs", []))
        if data.get("background_mid"):
            mid = _unb64(data["background_mid"], (90, 160))
            b.mids.append(mid)
            b.background_mid = mid
        thumbs = [s.thumb for s in b.samples if s.thumb is not None]
        if thumbs:
            b.background = np.median(np.stack(thumbs), axis=0).astype(np.uint8)
            b.usual_similarity = float(median(similarity(b.background, t) for t in thumbs[-12:]))
        b.changed = False
        return b

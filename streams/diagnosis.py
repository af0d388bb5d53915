"""Verdicts from keyframe features: absolute guards, the camera's own baseline, hysteresis."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from statistics import median
from typing import Any

import av
import numpy as np

from streams.features import (
    Features,
    Image,
    compute,
    frame_difference,
    shift,
    shift_quarters,
    shift_vector,
    similarity,
)
from streams.packets import Packet, StreamInfo

FAULTS = (
    "blank",
    "frozen",
    "too_dark",
    "overexposed",
    "low_contrast",
    "blur",
    "colour_cast",
    "noise",
    "stripes",
    "occlusion",
    "shake",
    "scene_change",
)


def decode_keyframe(pkt: Packet, info: StreamInfo) -> Image | None:
    """Decode one keyframe on its own (blocking; run in a worker thread)."""
    ctx: Any = av.CodecContext.create(info.codec, "r")
    if info.extradata:
        ctx.extradata = info.extradata
    ctx.skip_frame = "NONKEY"
    frames = list(ctx.decode(av.Packet(pkt.data)))
    frames += list(ctx.decode(None))
    if not frames:
        return None
    img: Image = frames[0].to_ndarray(format="bgr24")
    return img


@dataclass
class Baseline:
    """The camera's own healthy look, learned from samples that passed the absolute checks."""

    size: int = 6
    samples: deque[Features] = field(default_factory=lambda: deque(maxlen=24))
    diffs: deque[float] = field(default_factory=lambda: deque(maxlen=24))
    background: Image | None = None
    background_mid: Image | None = None

    @property
    def ready(self) -> bool:
        """Enough samples to judge relative to."""
        return len(self.samples) >= self.size

    def med(self, name: str) -> float:
        """Median of one feature."""
        return float(median(getattr(s, name) for s in self.samples))

    def add(self, f: Features, diff: float | None) -> None:
        """Learn from a healthy sample."""
        self.samples.append(f)
        if diff is not None:
            self.diffs.append(diff)
        # The median of healthy frames drops passing traffic and keeps the fixed scene.
        stack = np.stack([s.thumb for s in self.samples])
        self.background = np.median(stack, axis=0).astype(np.uint8)
        mids = np.stack([s.mid for s in self.samples])
        self.background_mid = np.median(mids, axis=0).astype(np.uint8)

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


# A stronger finding explains weaker ones it implies (a black frame is also "blurred").
IMPLIES = {
    "blank": set(FAULTS) - {"blank"},
    "too_dark": {"low_contrast", "blur", "noise", "scene_change", "frozen", "shake"},
    # Too little picture left to tell a still scene from a frozen stream.
    "overexposed": {"low_contrast", "blur", "scene_change", "frozen", "shake"},
    "low_contrast": {"blur", "scene_change", "frozen", "shake"},
    "stripes": {"noise", "scene_change", "blur"},
    "noise": {"scene_change"},
    "colour_cast": {"low_contrast", "scene_change", "blur"},
    "occlusion": {"too_dark", "low_contrast", "scene_change"},
    "blur": {"scene_change"},
    "scene_change": {"blur"},
}
# Between raised faults only: a turned camera's view also seems to jump against the old one.
ACTIVE_IMPLIES = {"scene_change": {"shake"}}


def _explain(found: set[str]) -> set[str]:
    out = set(found)
    for fault in FAULTS:
        if fault in out:
            out -= IMPLIES.get(fault, set())
    return out


def _jolted(
    f: Features,
    prev: Features,
    offset: tuple[float, float] | None,
    prev_offset: tuple[float, float] | None,
    rel: bool,
) -> bool:
    """The whole picture moved by a few pixels since the previous sample: the mount moves."""
    if not rel or offset is None:
        # No learned view to measure against (or it is hidden): compare with the last sample,
        # asking for a clearer match when the learned view should have been there.
        moved, confidence = shift(prev.mid, f.mid)
        return 2.5 < moved < 15 and confidence > (0.5 if rel else 0.12)
    # Judged against the still background, which passing traffic and people do not move; a
    # view displaced once and staying there is not shaking.
    if prev_offset is None:
        return 2.5 < float(np.hypot(*offset)) < 20
    step = float(np.hypot(offset[0] - prev_offset[0], offset[1] - prev_offset[1]))
    return 2.5 < step < 20


def raw_faults(
    f: Features,
    base: Baseline,
    prev: Features | None,
    offset: tuple[float, float] | None = None,
    prev_offset: tuple[float, float] | None = None,
) -> set[str]:
    """Faults this single sample shows, before hysteresis."""
    if f.contrast < 0.6 and f.sharpness < 0.3:
        return {"blank"}
    out: set[str] = set()
    rel = base.ready
    if f.brightness < 30 or (
        rel and f.brightness < 0.4 * base.med("brightness") and f.brightness < 60
    ):
        out.add("too_dark")
    if f.brightness > 215 or f.saturated > 0.45:
        out.add("overexposed")
    if f.contrast < 8 or (rel and f.contrast < 0.3 * base.med("contrast")):
        out.add("low_contrast")
    if f.sharpness < 12 or (rel and f.sharpness < 0.08 * base.med("sharpness")):
        out.add("blur")
    if f.cast > 6 or (rel and f.cast > 4 * base.med("cast") + 3):
        out.add("colour_cast")
    if f.noise > 6.5 or (rel and f.noise > 2.5 * base.med("noise") + 3):
        out.add("noise")
    if f.stripes > 6:
        out.add("stripes")
    # Part of the view dark and textureless while the rest still shows detail: a covered lens.
    if (
        f.dark_flat > 0.35
        and f.contrast > 15
        and (not rel or f.dark_flat > base.med("dark_flat") + 0.3)
    ):
        out.add("occlusion")
    if prev is not None:
        if frame_difference(f.thumb, prev.thumb) < 0.15:
            out.add("frozen")
        if not out and _jolted(f, prev, offset, prev_offset, rel):
            out.add("shake")
    if rel and base.background is not None:
        # Busy scenes (traffic) match their own background less well; judge against that.
        usual = median(similarity(base.background, s.thumb) for s in base.samples)
        limit = min(0.25, 0.3 * usual)
        sim = similarity(base.background, f.thumb)
        if sim < limit:
            out.add("scene_change")
            if sim < 0.5 * limit:
                # Nothing of the usual view is left: the camera turned (a softer picture of
                # somewhere else is a consequence, not a second fault).
                out.discard("blur")
    return _explain(out)


# Keyframes in a row before a fault is raised: a camera that turned stays turned, while a
# lorry filling a featureless road for a few seconds does not.
RAISE_AFTER = {"scene_change": 4}
# A shaking mount is not displaced in every sample: raised on k of the last n samples, and
# cleared only when none of the last n moved.
RAISE_WITHIN = {"shake": (2, 4)}


@dataclass
class Diagnoser:
    """Per-camera state: baseline, previous sample, and hysteresis counters."""

    raise_after: int = 2
    clear_after: int = 2
    baseline: Baseline = field(default_factory=Baseline)
    previous: Features | None = None
    active: set[str] = field(default_factory=set)
    _bad: dict[str, int] = field(default_factory=dict)
    _good: dict[str, int] = field(default_factory=dict)
    last_scores: dict[str, float] = field(default_factory=dict)
    _offset: tuple[float, float] | None = None
    _recent: dict[str, deque[bool]] = field(default_factory=dict)

    def judge(self, f: Features) -> set[str]:
        """Feed one sample; return the faults now active (stable, not flapping)."""
        offset = self.baseline.offset(f)
        seen = raw_faults(f, self.baseline, self.previous, offset, self._offset)
        self._offset = offset
        for fault in FAULTS:
            if fault in RAISE_WITHIN:
                k, n = RAISE_WITHIN[fault]
                recent = self._recent.setdefault(fault, deque(maxlen=n))
                recent.append(fault in seen)
                if sum(recent) >= k:
                    self.active.add(fault)
                elif not any(recent):
                    self.active.discard(fault)
                continue
            if fault in seen:
                self._bad[fault] = self._bad.get(fault, 0) + 1
                self._good[fault] = 0
                if self._bad[fault] >= RAISE_AFTER.get(fault, self.raise_after):
                    self.active.add(fault)
            else:
                self._good[fault] = self._good.get(fault, 0) + 1
                self._bad[fault] = 0
                if self._good[fault] >= self.clear_after:
                    self.active.discard(fault)
        diff = frame_difference(f.thumb, self.previous.thumb) if self.previous is not None else None
        if not seen:
            self.baseline.add(f, diff)
        self.previous = f
        self.last_scores = f.scores()
        if diff is not None:
            self.last_scores["motion"] = round(diff, 2)
        shown = set(self.active)
        for fault, hidden in ACTIVE_IMPLIES.items():
            if fault in shown:
                shown -= hidden
        return shown

    def judge_image(self, bgr: Image) -> set[str]:
        """Compute features of a frame and judge them."""
        return self.judge(compute(np.ascontiguousarray(bgr)))

"""Verdicts from keyframe features against the camera's own learned distribution.

Each detector asks two things of a measure: is it far outside what this camera usually shows
(in robust spreads: median and MAD of its healthy samples), and is the change large enough to
matter to a person (an effect size). Sensitivity per fault scales both; a check switched off
for a camera is still computed (a dark lift shaft still explains its low contrast) but never
reported. Thresholds were chosen on the tuning footage of bench/health_eval.py only.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

import av
import cv2
import numpy as np
import numpy.typing as npt

from streams.baseline import Baseline
from streams.features import Features, Image, compute, frame_difference, shift, similarity
from streams.packets import Packet, StreamInfo

log = logging.getLogger(__name__)

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
Sensitivity = Literal["low", "normal", "high"]
# Low sensitivity asks for a bigger change before raising, high for a smaller one.
SENSITIVITY: dict[str, float] = {"low": 1.5, "normal": 1.0, "high": 0.7}


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


# A stronger finding explains weaker ones it implies (a black frame is also "blurred").
IMPLIES = {
    "blank": set(FAULTS) - {"blank"},
    "too_dark": {"low_contrast", "blur", "noise", "scene_change", "frozen", "shake", "colour_cast"},
    # Too little picture left to tell a still scene from a frozen stream.
    "overexposed": {"low_contrast", "blur", "scene_change", "frozen", "shake", "colour_cast"},
    "low_contrast": {"blur", "scene_change", "frozen", "shake", "occlusion"},
    "stripes": {"noise", "scene_change", "blur"},
    "noise": {"scene_change"},
    # A tint over the picture also flattens it.
    "colour_cast": {"scene_change", "low_contrast"},
    # Only raised when the rest of the view looks as usual, so the darkness, colour and lost
    # detail come from what covers the lens.
    "occlusion": {"too_dark", "colour_cast", "scene_change", "blur", "shake", "noise"},
    "blur": {"scene_change"},
    "scene_change": {"blur", "shake"},
    "frozen": {"scene_change", "blur"},
    # A mount moving during the exposure smears the picture.
    "shake": {"blur"},
}
# Between raised faults only: a turned camera's view also seems to jump against the old one.
ACTIVE_IMPLIES = {"scene_change": {"shake"}}


def _explain(found: set[str]) -> set[str]:
    out = set(found)
    for fault in FAULTS:
        if fault in out:
            out -= IMPLIES.get(fault, set())
    return out


@dataclass(frozen=True)
class Limits:
    """Detector thresholds (effect sizes and robust z-scores) at normal sensitivity."""

    z: float = 3.0
    dark_ratio: float = 0.55  # brightness below this share of the usual
    dark_abs: float = 18.0
    bright_gain: float = 40.0  # grey levels above the usual
    bright_abs: float = 225.0
    saturated_gain: float = 0.15
    contrast_ratio: float = 0.5  # 5-95 % luma spread below this share of the usual
    blur_ratio: float = 0.55  # fine texture below this share of the usual
    blur_sharp: float = 0.3  # Laplacian variance below this share of the usual
    noise_ratio: float = 1.45  # fine texture above this multiple of the usual
    cast_delta_e: float = 5.0  # a*b* distance from the usual colour
    stripes_gain: float = 2.0
    stripes_abs: float = 6.0
    occlusion_share: float = 0.16  # of the grid, one compact region
    occlusion_rest_sim: float = 0.3  # structure of the uncovered part against the usual view
    frozen_diff: float = 0.12


LIMITS = Limits()


def _ratio(value: float, usual: float, floor: float) -> float:
    return (value + floor) / (usual + floor)


def _blocked(f: Features, base: Baseline) -> tuple[float, float]:
    """Share of the view hidden by one compact, textureless region (0 if none), and how well
    the rest of the view still matches the learned one."""
    mean0 = base.cells("cell_mean")
    # Exposure changes scale every cell alike; an object in front of the lens does not. When
    # the object covers most cells, the median is the object's: try the view unscaled too.
    gain = float(np.median((f.cell_mean + 1.0) / (mean0 + 1.0)))
    found = [_region(f, base, 1.0)]
    if abs(gain - 1) > 0.05:
        found.append(_region(f, base, gain))
    share, region = max(found, key=lambda r: r[0])
    if region is None:
        return 0.0, 0.0
    return share, _rest_similarity(f, base, region)


def _region(f: Features, base: Baseline, gain: float) -> tuple[float, npt.NDArray[np.bool_] | None]:
    std0, fine0, mean0 = base.cells("cell_std"), base.cells("cell_fine"), base.cells("cell_mean")
    lost_texture = (f.cell_std < 0.35 * gain * std0 + 1.0) & (f.cell_fine < 0.45 * fine0 + 0.1)
    changed = np.abs(f.cell_mean - gain * mean0) > 25
    flat = f.cell_std < 3.0
    # The cell's own fine texture (asphalt grain, a wall's plaster) gone far below its usual
    # range: something smooth is in front of it, even if its brightness is the road's.
    fine_sd = base.cell_spread("cell_fine")
    vanished = (f.cell_fine < 0.35 * fine0) & (f.cell_fine < fine0 - 4.0 * fine_sd) & (fine0 > 0.2)
    # Or its brightness or colour moved far outside the cell's own range (a grey sheet over
    # a pale wall): colour against the picture's overall shift, so a tint is not an object.
    a0, b0 = base.cells("cell_a"), base.cells("cell_b")
    da = f.cell_a - a0
    db = f.cell_b - b0
    tint = np.hypot(da - np.median(da), db - np.median(db))
    tint_sd = np.hypot(base.cell_spread("cell_a"), base.cell_spread("cell_b"))
    departed = (
        np.abs(f.cell_mean - gain * mean0) > np.maximum(10.0, 4.0 * base.cell_spread("cell_mean"))
    ) | (tint > np.maximum(4.0, 4.0 * tint_sd))
    blocked = (lost_texture & (changed | vanished | departed | (std0 > 4.0) | (fine0 > 0.6))) | (
        flat & changed
    )
    if not blocked.any():
        return 0.0, None
    n, labels, stats, _ = cv2.connectedComponentsWithStats(blocked.astype(np.uint8), connectivity=4)
    k = 1 + int(np.argmax(stats[1:n, cv2.CC_STAT_AREA]))
    region = labels == k
    share = float(region.mean())
    if share < 0.1:
        return share, None
    if region.mean() > 0.8:
        log.debug("occlusion: %.2f of the view changed, not an object", share)
        return 0.0, None  # nearly all of the picture changed: exposure or a blank, not an object
    # Judged away from the region: cells on its border are partly covered.
    rest = ~_grow(region)
    if rest.sum() < 8:
        rest = ~region
    # The rest of the view must look as usual: a dark scene is "too dark", not "covered",
    # and fog or a soft focus takes the detail out of every part, not of one region.
    usual = float(np.median(mean0[rest]) + 1.0)
    now = float(np.median(f.cell_mean[rest]) + 1.0)
    if not 0.7 < now / usual < 1.4 or abs(now / usual / gain - 1) > 0.15:
        log.debug("occlusion: rest brightness %.2f of usual (gain %.2f)", now / usual, gain)
        return 0.0, None
    if np.median((f.cell_fine[rest] + 0.05) / (fine0[rest] + 0.05)) < 0.6:
        log.debug("occlusion: rest lost its fine texture too")
        return 0.0, None
    textured = rest & (std0 > 3.0)
    if textured.sum() >= 5:
        kept = np.median((f.cell_std[textured] + 0.5) / (std0[textured] + 0.5))
        if kept < 0.6:
            log.debug("occlusion: rest lost its contrast too (%.2f)", kept)
            return 0.0, None
    ys, xs = np.nonzero(region)
    box = (ys.max() - ys.min() + 1) * (xs.max() - xs.min() + 1)
    if region.sum() / box < 0.5:
        log.debug("occlusion: region of %.2f is scattered", share)
        return 0.0, None  # scattered cells (a textureless road), not one object
    return share, region


def _grow(region: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """The region and the cells around it."""
    out: npt.NDArray[np.bool_] = cv2.dilate(region.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    return out


def _rest_similarity(f: Features, base: Baseline, region: npt.NDArray[np.bool_]) -> float:
    """How well the part of the view away from `region` matches the learned background."""
    if base.background is None:
        return 0.0
    # One cell away from the region: its border is new structure, not the usual view.
    h, w = f.thumb.shape[:2]
    mask = cv2.resize((~_grow(region)).astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST)
    if mask.sum() < 0.08 * mask.size:
        # A large object leaves little beyond its border: judge what is left.
        mask = cv2.resize((~region).astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST)
    if mask.sum() < 0.08 * mask.size:
        return 0.0
    return similarity(base.background, f.thumb, mask.astype(bool))


def raw_faults(
    f: Features,
    base: Baseline,
    prev: Features | None,
    offset: tuple[float, float] | None = None,
    prev_offset: tuple[float, float] | None = None,
    sensitivity: dict[str, float] | None = None,
    limits: Limits = LIMITS,
) -> set[str]:
    """Faults this single sample shows, before hysteresis."""
    sens = sensitivity or {}

    def m(fault: str) -> float:
        return sens.get(fault, 1.0)

    L = limits
    covered = rest_sim = 0.0
    # A single flat colour (black or a "no video" screen). A very dark or washed-out scene
    # keeps some texture through compression, and a white-out is overexposure.
    if f.contrast < 0.8 and f.spread < 2.0 and f.saturated < 0.5:
        return {"blank"}
    out: set[str] = set()
    rel = base.ready
    if f.brightness < L.dark_abs / m("too_dark"):
        out.add("too_dark")
    if f.brightness > L.bright_abs + 10 * (m("overexposed") - 1) or f.saturated > 0.5:
        out.add("overexposed")
    if rel:
        z = L.z
        bm = base.med("brightness")
        if f.brightness / (bm + 1) < 1 - (1 - L.dark_ratio) * m("too_dark") ** -1 and base.z(
            "brightness", f.brightness
        ) < -z * m("too_dark"):
            out.add("too_dark")
        gain = f.brightness - bm
        sat_gain = f.saturated - base.med("saturated")
        if (
            (gain > L.bright_gain * m("overexposed") and f.brightness > 150)
            and base.z("brightness", f.brightness) > z * m("overexposed")
        ) or (
            sat_gain > L.saturated_gain * m("overexposed")
            and base.z("saturated", f.saturated) > z * m("overexposed")
        ):
            out.add("overexposed")
        if _ratio(f.spread, base.med("spread"), 2.0) < L.contrast_ratio ** m(
            "low_contrast"
        ) and base.z("spread", f.spread) < -z * m("low_contrast"):
            out.add("low_contrast")
        # Texture measures scale with contrast (and the Laplacian's variance with its square):
        # judged per unit of contrast, fog is not blur.
        c = min(1.0, max(0.05, _ratio(f.contrast, base.med("contrast"), 1.0)))
        # The floor keeps a flat wall's near-zero texture from turning compression jitter
        # into large ratios.
        fine = float(np.median((f.cell_fine + 0.25) / (base.cells("cell_fine") + 0.25)))
        sharp = _ratio(f.sharpness, base.med("sharpness"), 2.0)
        # Sharpness (Laplacian) falls first; fine texture confirms it is the whole picture.
        fine_c, sharp_c = fine / c, sharp / (c * c)
        if (sharp_c < L.blur_sharp ** m("blur") and fine_c < 0.85) or (
            fine_c < L.blur_ratio ** m("blur") and sharp_c < L.blur_ratio ** m("blur")
        ):
            out.add("blur")
        if (
            fine > L.noise_ratio ** m("noise")
            and sharp > 1.2 ** m("noise")
            and base.z("fine", f.fine) > z * m("noise")
        ):
            out.add("noise")
        da = float(np.median(f.cell_a - base.cells("cell_a")))
        db = float(np.median(f.cell_b - base.cells("cell_b")))
        spread_ab = float(np.hypot(base.stats("lab_a")[1], base.stats("lab_b")[1]))
        shift_e = float(np.hypot(da, db))
        if shift_e > max(L.cast_delta_e * m("colour_cast"), z * m("colour_cast") * spread_ab):
            out.add("colour_cast")
        if (
            f.stripes - base.med("stripes") > L.stripes_gain * m("stripes")
            and base.z("stripes", f.stripes) > z * m("stripes")
        ) or f.stripes > L.stripes_abs * m("stripes"):
            out.add("stripes")
        covered, rest_sim = _blocked(f, base)
        # What is left uncovered must still show the usual view (busy scenes match their own
        # background less well): otherwise the whole view changed, and that is no object.
        usual_sim = base.usual_similarity if base.usual_similarity is not None else 1.0
        if covered >= L.occlusion_share * m("occlusion") and rest_sim >= min(
            L.occlusion_rest_sim, 0.4 * usual_sim
        ):
            out.add("occlusion")
    elif f.stripes > L.stripes_abs * m("stripes"):
        out.add("stripes")
    if prev is not None:
        if frame_difference(f.thumb, prev.thumb) < L.frozen_diff / m("frozen"):
            out.add("frozen")
        if not out and _jolted(f, prev, offset, prev_offset, rel):
            out.add("shake")
    turned = False
    if rel and base.background is not None:
        # Busy scenes (traffic) match their own background less well; judge against that.
        usual = base.usual_similarity if base.usual_similarity is not None else 1.0
        limit = min(0.25, 0.3 * usual) / m("scene_change")
        sim = similarity(base.background, _recentre(f.thumb, offset))
        if sim < limit:
            out.add("scene_change")
            # Nothing of the usual view is left: the camera turned (a softer, flatter picture
            # of somewhere else, or a plain wall where the road was, is a consequence).
            turned = sim < 0.5 * limit
            if "occlusion" in out:
                # What is left of the view is the usual one: something covers the lens.
                turned = False
    found = _explain(out)
    if turned and not found & {"blank", "frozen", "too_dark", "overexposed"}:
        # Measures against the learned view (colour, texture, regions) mean nothing for a
        # view of somewhere else.
        found = {"scene_change"}
    return found


def _recentre(thumb: Image, offset: tuple[float, float] | None) -> Image:
    """The thumbnail moved back by a known displacement of the view (mid to thumb scale)."""
    if offset is None:
        return thumb
    k = thumb.shape[1] / 160
    m = np.array([[1, 0, -offset[0] * k], [0, 1, -offset[1] * k]], dtype=np.float32)
    out: Image = cv2.warpAffine(
        thumb, m, (thumb.shape[1], thumb.shape[0]), borderMode=cv2.BORDER_REPLICATE
    )
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
        return 2.5 < moved < 20 and confidence > (0.2 if rel else 0.12)
    # Judged against the still background, which passing traffic and people do not move; a
    # view displaced once and staying there is not shaking.
    if prev_offset is None:
        return 2.5 < float(np.hypot(*offset)) < 20
    step = float(np.hypot(offset[0] - prev_offset[0], offset[1] - prev_offset[1]))
    return 2.5 < step < 20


# Keyframes in a row before a fault is raised: a camera that turned stays turned, while a
# lorry filling a featureless road for a few seconds does not.
RAISE_AFTER = {"scene_change": 4, "occlusion": 3}
# A shaking mount is not displaced in every sample: raised on k of the last n samples, and
# cleared only when none of the last n moved.
RAISE_WITHIN = {"shake": (2, 4)}


@dataclass
class Tuning:
    """Per-camera choices: sensitivity per fault and checks switched off."""

    sensitivity: dict[str, Sensitivity] = field(default_factory=dict)
    disabled: frozenset[str] = frozenset()

    def factors(self) -> dict[str, float]:
        """Threshold multipliers per fault."""
        return {k: SENSITIVITY[v] for k, v in self.sensitivity.items()}


@dataclass
class Diagnoser:
    """Per-camera state: baseline, previous sample, and hysteresis counters."""

    raise_after: int = 2
    clear_after: int = 2
    baseline: Baseline = field(default_factory=Baseline)
    tuning: Tuning = field(default_factory=Tuning)
    limits: Limits = LIMITS
    previous: Features | None = None
    active: set[str] = field(default_factory=set)
    judged: int = 0
    _bad: dict[str, int] = field(default_factory=dict)
    _good: dict[str, int] = field(default_factory=dict)
    last_scores: dict[str, float] = field(default_factory=dict)
    _offset: tuple[float, float] | None = None
    _recent: dict[str, deque[bool]] = field(default_factory=dict)

    @property
    def learning(self) -> bool:
        """Still learning what this camera's healthy picture looks like."""
        return not self.baseline.ready

    def relearn(self) -> None:
        """Forget the learned view and every raised fault (a maintainer accepted a new view)."""
        self.baseline.reset()
        self.previous = None
        self.active.clear()
        self._bad.clear()
        self._good.clear()
        self._recent.clear()
        self._offset = None

    def judge(self, f: Features) -> set[str]:
        """Feed one sample; return the faults now active (stable, not flapping)."""
        offset = self.baseline.offset(f)
        seen = raw_faults(
            f,
            self.baseline,
            self.previous,
            offset,
            self._offset,
            self.tuning.factors(),
            self.limits,
        )
        self._offset = offset
        self.judged += 1
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
        # A fault switched off for this camera (a lift shaft is always dark) is its normal look.
        if not (seen - self.tuning.disabled):
            self.baseline.add(f, diff)
        self.previous = f
        self.last_scores = f.scores()
        if diff is not None:
            self.last_scores["motion"] = round(diff, 2)
        shown = set(self.active) - self.tuning.disabled
        for fault, hidden in ACTIVE_IMPLIES.items():
            if fault in shown:
                shown -= hidden
        return shown

    def judge_image(self, bgr: Image) -> set[str]:
        """Compute features of a frame and judge them."""
        return self.judge(compute(np.ascontiguousarray(bgr)))

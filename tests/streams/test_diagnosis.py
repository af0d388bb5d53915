"""Detection quality on fault-injected frames of the real footage, and no flapping on clean."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from streams import faults as F
from streams.diagnosis import Diagnoser
from streams.features import Image, compute
from tests.paths import VIDEO


def frames(name: str, every_s: float, limit: int) -> list[np.ndarray]:
    """Frames of one shared clip."""
    return F.sample_frames(VIDEO / name, every_s, limit)


@pytest.fixture(scope="module")
def clips() -> dict[str, list[Image]]:
    return {n: frames(n, 1.0, 30) for n in ("car-detection.mp4", "bottle-detection.mp4")}


def test_precision_and_recall_per_fault(clips: dict[str, list[Image]]) -> None:
    counts = F.evaluate(list(clips.values()), np.random.default_rng(7))
    assert counts["_clean"]["alarms"] == 0
    for name in F.ALL:
        c = counts[name]
        precision = c["tp"] / max(1, c["tp"] + c["fp"])
        recall = c["tp"] / max(1, c["tp"] + c["fn"])
        assert precision >= 0.9 and recall >= 0.9, (name, c)


def test_displacement_found_when_traffic_hides_half_the_view(
    clips: dict[str, list[Image]],
) -> None:
    """A lorry covering half the picture must not hide that the mount moved."""
    d = Diagnoser()
    for img in clips["car-detection.mp4"][:8]:
        d.judge(compute(img))
    base = clips["car-detection.mp4"][3]
    h, w = base.shape[:2]
    moved = cv2.warpAffine(
        base,
        np.float32([[1, 0, 0.05 * w], [0, 1, 0.03 * h]]),
        (w, h),
        borderMode=cv2.BORDER_REPLICATE,
    )
    covered = moved.copy()
    covered[:, : w // 2] = 90  # the flat grey side of a lorry
    dx, dy = d.baseline.offset(compute(covered)) or (0.0, 0.0)
    # 5 % and 3 % of a 160x90 thumbnail.
    assert abs(dx - 8.0) < 1.5 and abs(dy - 2.7) < 1.5, (dx, dy)


def test_clean_footage_does_not_alarm_and_faults_clear(clips: dict[str, list[Image]]) -> None:
    for imgs in clips.values():
        d = Diagnoser()
        alarms = [d.judge(compute(i)) for i in imgs]
        assert all(not a for a in alarms), alarms
        # A fault needs two keyframes in a row to raise, and two clean ones to clear.
        dark = [F.FAULTS["too_dark"](i, np.random.default_rng(1)) for i in imgs[:3]]
        assert d.judge(compute(dark[0])) == set()
        assert d.judge(compute(dark[1])) == {"too_dark"}
        assert d.judge(compute(imgs[5])) == {"too_dark"}
        assert d.judge(compute(imgs[6])) == set()

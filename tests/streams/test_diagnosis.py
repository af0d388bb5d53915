"""Detection quality on fault-injected frames of the real footage, and no flapping on clean."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from streams import faults as F
from streams.diagnosis import Diagnoser
from streams.features import Image, compute

VIDEO = Path(__file__).resolve().parents[3] / "shared" / "data" / "video"


def frames(name: str, every_s: float, limit: int) -> list[Image]:
    out: list[Image] = []
    with av.open(str(VIDEO / name)) as c:
        s = c.streams.video[0]
        last = -1e9
        for fr in c.decode(s):
            t = float(fr.pts * s.time_base)
            if t - last >= every_s:
                out.append(fr.to_ndarray(format="bgr24"))
                last = t
            if len(out) >= limit:
                break
    return out


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
        # Shake on a featureless road crossed by large cars is the hard case (see bench/RESULTS.md).
        floor = 0.7 if name == "shake" else 0.9
        assert precision >= floor and recall >= floor, (name, c)


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

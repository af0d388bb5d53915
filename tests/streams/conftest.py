"""Faulty clips derived once per session from the shared footage."""

from __future__ import annotations

from pathlib import Path

import pytest

from streams.faults import write_faulty_clip
from tests.paths import VIDEO


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """clean (GOP 2 s), too_dark and frozen versions of the road clip, first 12 s."""
    out = tmp_path_factory.mktemp("clips")
    made = {}
    for fault in (None, "too_dark", "frozen"):
        dst = out / f"road-{fault or 'clean'}.mp4"
        write_faulty_clip(VIDEO / "car-detection.mp4", dst, fault)
        made[fault or "clean"] = dst
    return made

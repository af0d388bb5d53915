"""Continuous and patrol watching end to end: real RTSP peers, real decode, status reports."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from streams.hub import HubRegistry
from streams.source import OpenOptions
from streams.urls import parse_source_url
from streams.watch import CameraStatus, Watcher, WatchSettings
from tests.peers.fixtures import RtspPeer

pytestmark = pytest.mark.slow
FAST = OpenOptions(open_timeout_s=2.0, read_timeout_s=2.0)


class Reports:
    def __init__(self) -> None:
        self.items: list[tuple[float, CameraStatus]] = []
        self.grace = 60.0  # accept reports made this long before the wait began

    async def __call__(self, status: CameraStatus) -> None:
        self.items.append((time.monotonic(), status))

    def statuses(self, cam: str) -> list[tuple[str, tuple[str, ...]]]:
        out: list[tuple[str, tuple[str, ...]]] = []
        for _, s in self.items:
            if s.camera_id == cam and (not out or out[-1] != (s.status, s.reasons)):
                out.append((s.status, s.reasons))
        return out

    async def wait(
        self, cam: str, status: str, reason: str | None = None, timeout: float = 20
    ) -> float:
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            for t, s in self.items:
                if (
                    t >= start - self.grace
                    and s.camera_id == cam
                    and s.status == status
                    and (reason is None or reason in s.reasons)
                ):
                    return t
            await asyncio.sleep(0.1)
        raise AssertionError(f"{cam} never {status} {reason}: {self.statuses(cam)}")


@pytest.mark.asyncio
async def test_continuous_ok_offline_recover_and_image_faults(
    rtsp_peer: type[RtspPeer], clips: dict[str, Path]
) -> None:
    peer = rtsp_peer(
        {
            "clean": str(clips["clean"]),
            "dark": str(clips["too_dark"]),
            "frozen": str(clips["frozen"]),
        }
    ).start()
    reports = Reports()
    registry = HubRegistry(options=FAST, stall_timeout_s=3.0)
    watcher = Watcher(registry, reports, WatchSettings(diagnose_every_s=0.0, offline_after_s=4.0))
    for name in ("clean", "dark", "frozen"):
        watcher.watch(name, parse_source_url(peer.url(name), media_root=None), "continuous")
    try:
        await reports.wait("clean", "ok")
        await reports.wait("dark", "degraded", "too_dark")
        # Freeze shows within two keyframe intervals (GOP 2 s) after the first keyframe.
        await reports.wait("frozen", "degraded", "frozen", timeout=12)
        thumb = watcher.thumbnail("clean")
        assert thumb is not None and thumb[:2] == b"\xff\xd8"
        ok_reports = [s for _, s in reports.items if s.camera_id == "clean" and s.status == "ok"]
        m = ok_reports[-1].metrics
        assert m["codec"] == "h264" and m["width"] == 768 and 8 < m["fps"] < 16
        assert m["keyframe_interval_s"] in (None, pytest.approx(2.0, abs=0.3))
        peer.stop()
        killed = time.monotonic()
        t = await reports.wait("clean", "offline", timeout=10)
        assert t - killed <= 5.5
        assert len([1 for s in reports.statuses("clean") if s[0] == "offline"]) == 1
        peer.start()
        reports.grace = 0.0
        await reports.wait("clean", "ok", timeout=30)
        # A new camera says "learning" (not "ok") until it knows its view.
        assert [s for s, _ in reports.statuses("clean")] == ["learning", "ok", "offline", "ok"]
        assert registry.get("clean").consumers == 1  # type: ignore[union-attr]
        assert peer.plays["clean"] == 2  # one upstream per connection, reconnected once
    finally:
        await watcher.close()
        await registry.close()


@pytest.mark.asyncio
async def test_patrol_round_robin_with_concurrency(
    rtsp_peer: type[RtspPeer], clips: dict[str, Path]
) -> None:
    mounts = {f"p{i}": str(clips["clean"] if i != 2 else clips["too_dark"]) for i in range(4)}
    peer = rtsp_peer(mounts).start()
    reports = Reports()
    registry = HubRegistry(options=FAST)
    watcher = Watcher(
        registry,
        reports,
        WatchSettings(
            patrol_concurrency=2, patrol_keyframes=2, patrol_timeout_s=10, diagnose_every_s=0
        ),
    )
    for name in mounts:
        watcher.watch(name, parse_source_url(peer.url(name), media_root=None), "patrol")
    watcher.watch("gone", parse_source_url("rtsp://127.0.0.1:9/none", media_root=None), "patrol")
    try:
        start = time.monotonic()
        busiest = 0
        while watcher.progress.last_cycle_s is None and time.monotonic() - start < 60:
            busiest = max(busiest, sum(1 for h in registry.hubs() if h.consumers))
            await asyncio.sleep(0.05)
        assert 1 <= busiest <= 2  # the concurrency limit holds
        progress = watcher.patrol_progress()
        assert progress["cameras"] == 5 and progress["last_cycle_s"] is not None
        assert {s.camera_id for _, s in reports.items} == {*mounts, "gone"}
        assert reports.statuses("gone")[0][0] == "offline"
        gone = next(s for _, s in reports.items if s.camera_id == "gone")
        assert gone.metrics["link_reason"] == "refused"  # a code the UI can translate
        # One visit of two keyframes: too few to know the view yet.
        assert reports.statuses("p0")[0][0] == "learning"
        assert progress["visit_s"] > 0 and progress["expected_cycle_s"] > 0
        # Patrol disconnects after each visit: every camera was played and torn down.
        assert all(peer.plays[n] >= 1 for n in mounts)
        assert max(len([1 for _, s in reports.items if s.camera_id == n]) for n in mounts) >= 1
    finally:
        await watcher.close()
        await registry.close()

"""End-to-end latency on loopback: packet arrival at the camera hub -> frame decoded by the
viewer (aiortc), for live (not cached) frames, pass-through over a real RTSP camera peer.

Usage: .venv/bin/python bench/webrtc_latency.py [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import streams.webrtc.peers as peers_module  # noqa: E402
from bench.streams_health import CACHE, VIDEO, make_1080p  # noqa: E402
from streams.hub import HubRegistry  # noqa: E402
from streams.source import OpenOptions  # noqa: E402
from streams.urls import parse_source_url  # noqa: E402
from streams.webrtc.peers import PeerManager  # noqa: E402
from streams.webrtc.track import PassthroughTrack  # noqa: E402
from tests.peers.fixtures import RtspPeer  # noqa: E402
from tests.webrtc.test_peers import Browser  # noqa: E402

SENT: dict[int, float] = {}  # RTP ts (relative) -> hub arrival of that packet


class TimedTrack(PassthroughTrack):
    """Records when each frame sent reached the hub."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._last: Any = None
        real_get = self.sub.get

        async def get() -> Any:
            self._last = await real_get()
            return self._last

        self.sub.get = get  # type: ignore[method-assign]

    async def recv(self) -> Any:
        out = await super().recv()
        if self._last is not None:
            SENT[int(out.pts)] = self._last.arrival
        return out


class TimedBrowser(Browser):
    def __init__(self) -> None:
        super().__init__()
        self.decoded: list[tuple[int, float]] = []

    async def _consume(self, track: Any) -> None:
        while True:
            try:
                frame = await track.recv()
            except Exception:
                return
            self.decoded.append((int(frame.pts), time.monotonic()))
            self.frames += 1


async def measure(url: str, seconds: float) -> list[float]:
    SENT.clear()
    reg = HubRegistry(options=OpenOptions(open_timeout_s=5))
    hub = reg.configure("cam", parse_source_url(url, media_root=None))
    manager = PeerManager()
    b = TimedBrowser()
    try:
        _viewer, answer = await manager.offer(hub, await b.offer(), "bench")
        await b.answer(answer)
        await asyncio.sleep(seconds)
    finally:
        await b.close()
        await manager.close_all()
        await reg.close()
    if not b.decoded:
        return []
    first_pts = b.decoded[0][0]
    sent_sorted = sorted(SENT)
    base = sent_sorted[0]
    out = []
    for pts, t in b.decoded[5:]:
        ts = base + (pts - first_pts)
        if ts in SENT and ts > 90:  # live frames only (cached ones go out 1 ms apart)
            out.append((t - SENT[ts]) * 1000)
    return out


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20)
    args = ap.parse_args()
    print(
        f"# live latency bench, {platform.node()} ({os.cpu_count()} cores), "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    peers_module.PassthroughTrack = TimedTrack  # type: ignore[misc]
    clip = make_1080p(CACHE / "road-1080p25-gop2s.mp4")
    peer = RtspPeer({"g2": str(clip), "car": str(VIDEO / "car-detection.mp4")}).start()
    try:
        print(f"{'source':28s} {'frames':>7s} {'median ms':>10s} {'p95 ms':>8s}")
        for mount, label in (("g2", "1080p25 GOP 2 s"), ("car", "768x432 12.5 fps")):
            lat = await measure(peer.url(mount), args.seconds)
            if not lat:
                print(f"{label:28s} no live frames matched")
                continue
            p95 = statistics.quantiles(lat, n=20)[-1] if len(lat) > 20 else max(lat)
            print(f"{label:28s} {len(lat):7d} {statistics.median(lat):10.1f} {p95:8.1f}")
    finally:
        peer.stop()


if __name__ == "__main__":
    asyncio.run(main())

"""Live view benchmarks against a real `eoc serve`: time to first frame with and without the
GOP cache (GOP 2 s, 4.8 s, 8.4 s), server CPU per viewer pass-through vs transcoding,
end-to-end latency source to decoded frame on loopback.

Usage: .venv/bin/python bench/webrtc_live.py [--viewers 4] [--seconds 15]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.streams_health import CACHE, VIDEO, make_1080p  # noqa: E402
from tests.conftest import free_port  # noqa: E402
from tests.peers.fixtures import RtspPeer  # noqa: E402
from tests.webrtc.test_peers import Browser  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def proc_cpu(pid: int) -> float:
    """CPU seconds of a process (user + system)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


class Console:
    """An `eoc serve` subprocess with camera watching off (only live view costs CPU)."""

    def __init__(self, data: Path) -> None:
        self.port = free_port()
        env = {**os.environ, "EOC_STREAMS__WATCH": "false", "EOC_LIVE__MAX_TRANSCODES": "4"}
        subprocess.run(
            [sys.executable, "-m", "console", "demo", "--data-dir", str(data), "--no-serve"],
            env=env,
            check=True,
            capture_output=True,
        )
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "console",
                "serve",
                "--data-dir",
                str(data),
                "--port",
                str(self.port),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        for _ in range(200):
            try:
                if httpx.get(self.base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        self.client = httpx.AsyncClient(base_url=self.base, timeout=30)

    async def login(self) -> None:
        r = await self.client.post(
            "/api/auth/login", json={"username": "admin", "password": "demo-pass-2026"}
        )
        self.client.headers["X-CSRF-Token"] = r.json()["csrf_token"]

    async def camera(self, cam_id: str, url: str) -> None:
        r = await self.client.post(
            "/api/cameras",
            json={
                "id": cam_id,
                "name": cam_id,
                "owner_unit_id": 1,
                "main_url": url,
                "enabled": False,
            },
        )
        assert r.status_code == 201, r.text

    async def view(
        self, cam_id: str, instant: bool = True, transcode: bool = False
    ) -> tuple[Browser, float, str]:
        b = Browser()
        start = time.monotonic()
        r = await self.client.post(
            f"/api/live/{cam_id}/offer",
            json={"sdp": await b.offer(), "instant": instant, "transcode": transcode},
        )
        assert r.status_code == 201, r.text
        await b.answer(r.json()["sdp"])
        return b, start, r.json()["mode"]

    async def close(self) -> None:
        await self.client.aclose()
        self.proc.terminate()
        self.proc.wait(20)


async def first_frame(console: Console, cam: str, instant: bool, runs: int = 3) -> float:
    """Median seconds from offer to the first decoded frame."""
    times = []
    for _ in range(runs):
        keeper, _, _ = await console.view(cam)  # keeps the upstream and its cache warm
        await asyncio.sleep(3.3)
        b, start, _ = await console.view(cam, instant=instant)
        for _ in range(400):
            if b.first_frame is not None:
                break
            await asyncio.sleep(0.025)
        times.append((b.first_frame or time.monotonic()) - start)
        await b.close()
        await keeper.close()
        await asyncio.sleep(1.0)
    return statistics.median(times)


async def cpu_per_viewer(
    console: Console, cam: str, viewers: int, seconds: float, transcode: bool = False
) -> tuple[float, str]:
    """Server CPU (% of a core) per viewer of one camera."""
    browsers = []
    mode = ""
    for _ in range(viewers):
        b, _, mode = await console.view(cam, transcode=transcode)
        browsers.append(b)
    await asyncio.sleep(3)
    c0, t0 = proc_cpu(console.proc.pid), time.monotonic()
    await asyncio.sleep(seconds)
    c1, t1 = proc_cpu(console.proc.pid), time.monotonic()
    frames = sum(b.frames for b in browsers)
    for b in browsers:
        await b.close()
    assert frames > 0
    return (c1 - c0) / (t1 - t0) * 100 / viewers, mode


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--viewers", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=15)
    args = ap.parse_args()
    print(
        f"# live view bench, {platform.node()} ({os.cpu_count()} cores), "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    clip1080 = make_1080p(CACHE / "road-1080p25-gop2s.mp4")
    peer = RtspPeer(
        {
            "g2": str(clip1080),
            "g48": str(VIDEO / "car-detection.mp4"),
            "g84": str(VIDEO / "bottle-detection.mp4"),
        }
    ).start()
    with tempfile.TemporaryDirectory() as tmp:
        console = Console(Path(tmp) / "data")
        try:
            await console.login()
            for cam in ("g2", "g48", "g84"):
                await console.camera(cam, peer.url(cam))
            print("\n## Time to first decoded frame (median of 3, offer -> first frame)")
            print(f"{'source':34s} {'with GOP cache':>15s} {'next keyframe':>14s}")
            for cam, label in (
                ("g2", "1080p25, GOP 2 s, pass-through"),
                ("g48", "768x432, GOP 4.8 s, pass-through"),
                ("g84", "640x360, GOP 8.4 s, B-frames: transcode"),
            ):
                cached = await first_frame(console, cam, True)
                cold = await first_frame(console, cam, False)
                print(f"{label:34s} {cached:14.2f}s {cold:13.2f}s")
            print(
                f"\n## Server CPU per 1080p25 viewer ({args.viewers} viewers, {args.seconds:.0f} s)"
            )
            pt, mode = await cpu_per_viewer(console, "g2", args.viewers, args.seconds)
            print(f"{'pass-through (' + mode + ')':44s} {pt:6.2f} % of a core per viewer")
            await asyncio.sleep(2)
            tx, mode = await cpu_per_viewer(console, "g2", 1, args.seconds, transcode=True)
            print(f"{'transcode (' + mode + ')':44s} {tx:6.2f} % of a core per viewer")
            print(f"ratio transcode/pass-through: {tx / pt:.1f}x")
        finally:
            await console.close()
            peer.stop()


if __name__ == "__main__":
    asyncio.run(main())

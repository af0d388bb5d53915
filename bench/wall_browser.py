"""Big walls in one browser: one peer connection per tile against one per browser (a group),
through a real `eoc serve`, GStreamer RTSP cameras and Debian's Chromium (Playwright).

Every tile is its own camera (its own RTSP mount and hub) replaying a 640x360 25 fps H.264
sub-stream clip (GOP 2 s, no B-frames) made from the shared road footage. Per wall size and
transport it measures: seconds from opening the wall until every tile has videoWidth > 0 and
decoded frames rising, server and browser CPU over a fixed window, and delivered frames per
second per tile against the source's 25.

Usage: .venv/bin/python bench/wall_browser.py [--sizes 16,25,36,64] [--seconds 10]
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
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import httpx
import numpy as np
from playwright.async_api import BrowserContext, async_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.streams_health import CACHE, VIDEO  # noqa: E402
from tests.browser.harness import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.conftest import free_port  # noqa: E402
from tests.peers.fixtures import RtspPeer  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
FPS = 25
MODES = ("tile", "bundle")
PASSWORD = "demo-pass-2026"
FULL_RATE = 0.9  # a tile at >= 90 % of the source rate counts as full rate


def make_sub(dst: Path, seconds: float = 20.0) -> Path:
    """A 640x360 25 fps H.264 clip, GOP 2 s, no B-frames, from the shared road footage."""
    if dst.exists():
        return dst
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_suffix(".part.mp4")
    with av.open(str(VIDEO / "car-detection.mp4")) as inp, av.open(str(tmp), "w") as out:
        vout = out.add_stream("libx264", rate=Fraction(FPS, 1))
        vout.width, vout.height, vout.pix_fmt = 640, 360, "yuv420p"
        vout.codec_context.gop_size = 2 * FPS
        vout.codec_context.options = {"preset": "veryfast", "bf": "0", "sc_threshold": "0"}
        frames = [f.to_ndarray(format="bgr24") for f in inp.decode(video=0)]
        for i in range(int(seconds * FPS)):
            img = np.asarray(cv2.resize(frames[(i // 2) % len(frames)], (640, 360)), np.uint8)
            for pkt in vout.encode(av.VideoFrame.from_ndarray(img, format="bgr24")):
                out.mux(pkt)
        for pkt in vout.encode(None):
            out.mux(pkt)
    tmp.rename(dst)
    return dst


def cpu_model() -> str:
    """The CPU model name, as `lscpu` shows it."""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def cpu_s(pid: int) -> float:
    """CPU seconds of a process (user + system); 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def chromium_pids() -> list[int]:
    """Chromium processes below this one (the Playwright-launched browser and its children)."""
    children: dict[int, list[int]] = {}
    names: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        head, rest = stat.rsplit(")", 1)
        names[int(entry.name)] = head.split("(", 1)[1]
        children.setdefault(int(rest.split()[1]), []).append(int(entry.name))
    found, todo = [], [os.getpid()]
    while todo:
        pid = todo.pop()
        for child in children.get(pid, []):
            todo.append(child)
            if "chrom" in names.get(child, ""):
                found.append(child)
    return found


class Console:
    """`eoc serve` with camera watching off, so only live view costs server CPU."""

    def __init__(self, data: Path, env_extra: dict[str, str] | None = None) -> None:
        self.port = free_port()
        env = {
            **os.environ,
            "EOC_STREAMS__WATCH": "false",
            "EOC_LIVE__MAX_VIEWERS": "256",
            "EOC_LIVE__MAX_VIEWERS_PER_USER": "64",
            **(env_extra or {}),
        }
        cmd = [sys.executable, "-m", "console"]
        subprocess.run(
            [*cmd, "demo", "--data-dir", str(data), "--no-serve"],
            env=env,
            check=True,
            capture_output=True,
        )
        self.proc = subprocess.Popen(
            [*cmd, "serve", "--data-dir", str(data), "--port", str(self.port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        for _ in range(600):
            try:
                if httpx.get(self.base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.client = httpx.AsyncClient(base_url=self.base, timeout=30)

    async def login(self) -> None:
        r = await self.client.post(
            "/api/auth/login", json={"username": "admin", "password": PASSWORD}
        )
        self.client.headers["X-CSRF-Token"] = r.json()["csrf_token"]

    async def camera(self, cam_id: str, url: str, **extra: object) -> None:
        body = {"id": cam_id, "name": cam_id, "owner_unit_id": 1, "main_url": url, "enabled": False}
        body |= extra
        r = await self.client.post("/api/cameras", json=body)
        assert r.status_code == 201, r.text

    async def views(self) -> int:
        return int((await self.client.get("/api/live")).json()["viewers"])

    async def close(self) -> None:
        await self.client.aclose()
        self.proc.terminate()
        self.proc.wait(30)


@dataclass
class Run:
    """Figures of one wall size and transport."""

    tiles: int
    mode: str
    play_s: float | None  # None: not every tile played within the time allowed
    server_cpu: float  # % of one core
    browser_cpu: float
    fps_min: float
    fps_median: float
    fps_total: float

    @property
    def browser_per_frame_ms(self) -> float:
        """Browser CPU milliseconds per delivered frame."""
        return self.browser_cpu * 10 / max(self.fps_total, 0.01)

    @property
    def full_rate(self) -> bool:
        return self.play_s is not None and self.fps_min >= FULL_RATE * FPS


FRAMES = """() => [...document.querySelectorAll('.wall-tile video')].map(
  (v) => v.getVideoPlaybackQuality().totalVideoFrames)"""
PLAYING = """(n) => {
  const v = [...document.querySelectorAll('.wall-tile video')];
  window.__first = window.__first || new Map();
  return v.length === n && v.every((x) => {
    const f = x.getVideoPlaybackQuality().totalVideoFrames;
    if (x.videoWidth === 0 || f === 0) return false;
    if (!window.__first.has(x)) window.__first.set(x, f);
    return f > window.__first.get(x);
  });
}"""


async def run_wall(
    context: BrowserContext, console: Console, cams: list[str], mode: str, seconds: float
) -> Run:
    """Open the wall in a new page, time it until every tile plays, measure over `seconds`."""
    n = len(cams)
    page = await context.new_page()
    url = f"{console.base}/#/wall?transport={mode}&cameras={','.join(cams)}"
    start = time.monotonic()
    await page.goto(url)
    play_s: float | None
    try:
        await page.wait_for_function(PLAYING, arg=n, timeout=60_000, polling=50)
        play_s = time.monotonic() - start
    except Exception:
        play_s = None
    await asyncio.sleep(3)  # let the start-up burst of cached GOPs pass
    pids = chromium_pids()
    f0, s0, b0, t0 = (
        await page.evaluate(FRAMES),
        cpu_s(console.proc.pid),
        sum(map(cpu_s, pids)),
        time.monotonic(),
    )
    await asyncio.sleep(seconds)
    f1, s1, b1, t1 = (
        await page.evaluate(FRAMES),
        cpu_s(console.proc.pid),
        sum(map(cpu_s, pids)),
        time.monotonic(),
    )
    rates = [max(0.0, (b - a) / (t1 - t0)) for a, b in zip(f0, f1, strict=True)] or [0.0]
    await page.close()  # the page's peers close; the server sees them go
    for _ in range(300):
        if await console.views() == 0:
            break
        await asyncio.sleep(0.1)
    return Run(
        n,
        mode,
        play_s,
        (s1 - s0) / (t1 - t0) * 100,
        (b1 - b0) / (t1 - t0) * 100,
        min(rates),
        statistics.median(rates),
        sum(rates),
    )


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="16,25,36,64")
    ap.add_argument("--seconds", type=float, default=10)
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    print(
        f"# wall bench, {cpu_model()} ({os.cpu_count()} cores), load {os.getloadavg()[0]:.1f}, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    clip = make_sub(CACHE / "road-640x360-25fps-gop2s.mp4")
    biggest = max(sizes)
    peer = RtspPeer({f"s{i}": str(clip) for i in range(biggest)}).start()
    runs: list[Run] = []
    with tempfile.TemporaryDirectory() as tmp:
        console = Console(Path(tmp) / "data")
        try:
            await console.login()
            cams = [f"SUB-{i:02d}" for i in range(biggest)]
            for i, cam in enumerate(cams):
                await console.camera(cam, peer.url(f"s{i}"))
            async with async_playwright() as pw:
                browser = await pw.chromium.launch(
                    executable_path=str(CHROMIUM),
                    args=[*CHROMIUM_ARGS, "--autoplay-policy=no-user-gesture-required"],
                )
                context = await browser.new_context(viewport={"width": 1920, "height": 1200})
                page = await context.new_page()
                await page.goto(console.base + "/")
                await page.get_by_test_id("login-username").fill("admin")
                await page.get_by_test_id("login-password").fill(PASSWORD)
                await page.get_by_test_id("login-submit").click()
                await page.get_by_test_id("shell").wait_for()
                await page.close()  # the session cookie stays in the context
                for k, n in enumerate(sizes):
                    order = MODES if k % 2 == 0 else MODES[::-1]  # alternate who goes first
                    for mode in order:
                        run = await run_wall(context, console, cams[:n], mode, args.seconds)
                        runs.append(run)
                        note = (
                            f"play {run.play_s} s, server {run.server_cpu:.1f} %, browser "
                            f"{run.browser_cpu:.1f} %, fps min {run.fps_min:.1f} "
                            f"med {run.fps_median:.1f}"
                        )
                        print(f"  {n:3d} tiles {mode:6s} {note}", flush=True)
                await browser.close()
        finally:
            await console.close()
            peer.stop()
    print(
        f"\n## Wall of 640x360 {FPS} fps sub-streams, one camera per tile "
        f"({args.seconds:.0f} s window)"
    )
    print(
        f"{'tiles':>5s} {'transport':10s} {'all playing':>11s} {'server %':>9s} {'browser %':>10s} "
        f"{'ms/frame':>8s} {'fps min':>8s} {'fps med':>8s} {'full rate':>9s}"
    )
    for r in runs:
        play = f"{r.play_s:.2f} s" if r.play_s is not None else "never"
        print(
            f"{r.tiles:5d} {r.mode:10s} {play:>11s} {r.server_cpu:9.1f} {r.browser_cpu:10.1f} "
            f"{r.browser_per_frame_ms:8.2f} {r.fps_min:8.1f} {r.fps_median:8.1f} "
            f"{'yes' if r.full_rate else 'no':>9s}"
        )
    print("(browser ms/frame: browser CPU per frame delivered, summed over tiles)")
    print("\n## Ratios per tile count (one per tile / one connection)")
    for n in sizes:
        by = {r.mode: r for r in runs if r.tiles == n}
        tile, bundle = by["tile"], by["bundle"]
        play = (
            f"{tile.play_s / bundle.play_s:.2f}x"
            if tile.play_s is not None and bundle.play_s is not None
            else "n/a"
        )
        print(
            f"{n:3d} tiles: time to play {play}, server CPU "
            f"{tile.server_cpu / max(bundle.server_cpu, 0.01):.2f}x, browser CPU "
            f"{tile.browser_cpu / max(bundle.browser_cpu, 0.01):.2f}x"
        )
    for mode in MODES:
        ok = [r.tiles for r in runs if r.mode == mode and r.full_rate]
        print(
            f"largest wall at full rate (>= {FULL_RATE:.0%} of {FPS} fps in every tile), {mode}: "
            f"{max(ok) if ok else 'none of ' + args.sizes}"
        )


if __name__ == "__main__":
    asyncio.run(main())

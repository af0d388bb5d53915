"""First frame on the wall in Chromium, cold and warm, at GOP 2, 5 and 10 s, against RTSP
cameras that join mid-GOP (tests/peers/rtsp_server.py: a new session starts at the live
position of a running encoder, as real cameras do).

Through a real `eoc serve` (health watching off, linger 0, so "cold" is cold) and Debian's
Chromium. Per GOP, one camera of each kind, each on its own RTSP mount:
  cold        not on any wall, not a key camera, nobody watching: the server opens the camera;
  saved wall  on a saved wall: the server holds it open (the warm set, [live] warm_budget);
  tour step   pre-opened by POST /api/live/prewarm 12 s before it is shown (the wall does that
              for a tour's next step when the current one starts: a 12 s dwell).
The time is from setting the wall's URL (the page already loaded) to the first video frame
Chromium presents in the tile (requestVideoFrameCallback). Baseline in the same run: the
FFmpeg CLI opening the same mount directly (time to its first decoded frame).

Usage: .venv/bin/python bench/webrtc_first_frame.py [--repeats 5] [--gops 2,5,10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.async_api import Page, async_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.numbered import make_numbered  # noqa: E402
from bench.streams_health import CACHE  # noqa: E402
from bench.wall_browser import PASSWORD, Console, cpu_model  # noqa: E402
from tests.browser.harness import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.peers.fixtures import RtspPeer  # noqa: E402

SIZE = (1280, 720)
LEAD_S = 12.0  # a tour step's dwell: how far ahead its successor is pre-opened
KINDS = ("cold", "wall", "tour")
FIRST_FRAME = """async (cam) => {
  const t0 = performance.now();
  location.hash = `#/wall?cameras=${cam}`;
  const sel = `[data-testid=wall-tile-0][data-camera="${cam}"]`;
  let v = null;
  while (!(v = document.querySelector(`${sel} video`)))
    await new Promise((r) => requestAnimationFrame(r));
  const shown = await new Promise(
    (r) => v.requestVideoFrameCallback((now, m) => r(m.presentationTime || now)));
  return {ms: shown - t0, via: document.querySelector(sel).dataset.transport};
}"""


def ffmpeg_first_frame(url: str) -> float:
    """Seconds until the FFmpeg CLI (fast probing, as the hub opens) decodes a first frame."""
    start = time.monotonic()
    subprocess.run(
        [
            *("ffmpeg", "-loglevel", "error", "-fflags", "nobuffer", "-flags", "low_delay"),
            *("-probesize", "32", "-analyzeduration", "0", "-rtsp_transport", "tcp"),
            *("-i", url, "-frames:v", "1", "-f", "null", "-"),
        ],
        check=True,
        timeout=60,
    )
    return time.monotonic() - start


async def open_on_wall(page: Page, base: str, cam: str) -> tuple[float, str]:
    """From another page of the console, open the wall with this camera; first frame time."""
    await page.goto(base + "/#/map")
    await page.get_by_test_id("shell").wait_for()
    await asyncio.sleep(0.3)
    found = await page.evaluate(FIRST_FRAME, cam)
    await page.goto(base + "/#/map")  # stop the tile
    return float(found["ms"]) / 1000, str(found["via"])


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--gops", default="2,5,10")
    args = ap.parse_args()
    gops = [float(g) for g in args.gops.split(",")]
    print(
        f"# first frame bench, {cpu_model()} ({os.cpu_count()} cores), "
        f"load {os.getloadavg()[0]:.1f}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    clips = {
        g: make_numbered(
            CACHE / f"numbered-720p25-gop{g:g}s-24s.mp4", gop_s=g, size=SIZE, seconds=24
        )
        for g in gops
    }
    mounts = {f"{kind}{g:g}": str(clips[g]) for g in gops for kind in KINDS}
    peer = RtspPeer(mounts).start()
    env = {"EOC_LIVE__LINGER_S": "0", "EOC_LIVE__WARM_REFRESH_S": "2"}
    results: dict[tuple[float, str], list[float]] = {}
    vias: dict[tuple[float, str], set[str]] = {}
    direct: dict[float, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        console = Console(Path(tmp) / "data", env)
        try:
            await console.login()
            for g in gops:
                for kind in KINDS:
                    # Enabled (the warm set holds enabled cameras only); watching is off.
                    cam = f"{kind.upper()}-{g:g}"
                    await console.camera(cam, peer.url(f"{kind}{g:g}"), enabled=True)
            walls = [f"WALL-{g:g}" for g in gops] + [None] * (4 - len(gops))
            r = await console.client.post(
                "/api/walls", json={"name": "bench", "layout": "4", "tiles": walls[:4]}
            )
            assert r.status_code == 201, r.text
            await asyncio.sleep(5)  # the warm set picks the wall up and caches a GOP
            async with async_playwright() as pw:
                browser = await pw.chromium.launch(
                    executable_path=str(CHROMIUM),
                    args=[*CHROMIUM_ARGS, "--autoplay-policy=no-user-gesture-required"],
                )
                context = await browser.new_context(viewport={"width": 1280, "height": 800})
                page = await context.new_page()
                await page.goto(console.base + "/")
                await page.get_by_test_id("login-username").fill("admin")
                await page.get_by_test_id("login-password").fill(PASSWORD)
                await page.get_by_test_id("login-submit").click()
                await page.get_by_test_id("shell").wait_for()
                for rep in range(args.repeats):
                    for g in gops:
                        for kind in KINDS:
                            cam = f"{kind.upper()}-{g:g}"
                            if kind == "tour":
                                await console.client.post(
                                    "/api/live/prewarm", json={"cameras": [cam], "seconds": 30}
                                )
                                await asyncio.sleep(LEAD_S)
                            if kind == "cold":  # its last session must have ended
                                mount = f"cold{g:g}"
                                for _ in range(100):
                                    if peer.teardowns[mount] >= peer.plays[mount]:
                                        break
                                    await asyncio.sleep(0.1)
                            await asyncio.sleep(random.uniform(0.2, 1.5))  # random GOP phase
                            secs, via = await open_on_wall(page, console.base, cam)
                            results.setdefault((g, kind), []).append(secs)
                            vias.setdefault((g, kind), set()).add(via)
                            print(
                                f"  rep {rep} GOP {g:g} s {kind:5s} {secs:6.2f} s ({via})",
                                flush=True,
                            )
                        direct.setdefault(g, []).append(
                            await asyncio.to_thread(ffmpeg_first_frame, peer.url(f"cold{g:g}"))
                        )
                await browser.close()
        finally:
            await console.close()
            peer.stop()
    print(
        f"\n## First frame in Chromium, {SIZE[0]}x{SIZE[1]} 25 fps, mid-GOP joins, "
        f"{args.repeats} opens each (median / max, seconds)"
    )
    print(
        f"{'GOP':>5s} {'cold':>13s} {'saved wall':>13s} {'tour step':>13s} "
        f"{'FFmpeg direct':>14s} {'cold/wall':>10s}"
    )
    for g in gops:

        def cell(xs: list[float]) -> str:
            return f"{statistics.median(xs):5.2f} / {max(xs):5.2f}"

        cold, wall, tour = (results[(g, k)] for k in KINDS)
        ratio = statistics.median(cold) / max(statistics.median(wall), 1e-3)
        print(
            f"{g:4g}s {cell(cold):>13s} {cell(wall):>13s} {cell(tour):>13s} "
            f"{cell(direct[g]):>14s} {ratio:9.1f}x"
        )
    print("transports:", {f"{g:g}/{k}": sorted(v) for (g, k), v in vias.items()})
    held = [statistics.median(results[(g, k)]) for g in gops for k in ("wall", "tour")]
    print(
        f"target < 1 s for a camera on a saved wall or pre-opened: "
        f"{'met' if max(held) < 1 else 'NOT met'} (worst median {max(held):.2f} s)"
    )


if __name__ == "__main__":
    asyncio.run(main())

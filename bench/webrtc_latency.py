"""Live-view latency on loopback, pass-through over a real RTSP camera peer.

Glass to glass in Chromium (the default): a frame-numbered 1080p25 clip (bench/numbered.py)
from the RTSP peer, which says when it sends each frame; the wall plays it in Debian's
Chromium through a real `eoc serve`, and the number of every presented frame is read back
(requestVideoFrameCallback, expected display time). Side by side on the same stream, at the
same time: the FFmpeg CLI as a client of the camera (decoded frame numbers on a pipe). Also in
the same run: the console with the old frame cutting (FFmpeg's parser, joined "until the
time changes"; [streams] rtsp_parser = true). Target: Chromium within one frame interval +
20 ms of the FFmpeg client.

--aiortc: packet arrival at the hub -> frame decoded by an aiortc viewer, in-process.

Usage: .venv/bin/python bench/webrtc_latency.py [--seconds 20] [--aiortc]
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
from typing import Any

import numpy as np
from playwright.async_api import async_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import streams.webrtc.peers as peers_module  # noqa: E402
from bench.numbered import (  # noqa: E402
    BITS,
    READER_JS,
    frame_count,
    geometry,
    make_numbered,
    read_number,
)
from bench.streams_health import CACHE, VIDEO, make_1080p  # noqa: E402
from bench.wall_browser import PASSWORD, Console, cpu_model  # noqa: E402
from streams.hub import HubRegistry  # noqa: E402
from streams.source import OpenOptions  # noqa: E402
from streams.urls import parse_source_url  # noqa: E402
from streams.webrtc.peers import PeerManager  # noqa: E402
from streams.webrtc.track import PassthroughTrack  # noqa: E402
from tests.browser.harness import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
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


async def aiortc_main(args: argparse.Namespace) -> None:
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


FPS = 25
SIZES = {1080: (1920, 1080), 720: (1280, 720)}
SIZE = SIZES[1080]  # --height picks another
COLLECT = """async ([block, strip, bits, seconds]) => {
  const v = document.querySelector('[data-testid=wall-tile-0] video');
  const read = (READER)(v, block, strip, bits);
  const out = [];
  const end = performance.now() + seconds * 1000;
  await new Promise((done) => {
    const step = (now, m) => {
      out.push([read(), (performance.timeOrigin + (m.expectedDisplayTime || now)) / 1000]);
      if (performance.now() < end) v.requestVideoFrameCallback(step); else done();
    };
    v.requestVideoFrameCallback(step);
  });
  return out;
}"""


def ffmpeg_client(url: str, seconds: float, out: list[tuple[int, float]]) -> None:
    """The FFmpeg CLI as a camera client: frame numbers as they are decoded."""
    block, strip = geometry(SIZE[0])
    width = block * BITS
    proc = subprocess.Popen(
        [
            *("ffmpeg", "-loglevel", "fatal", "-fflags", "nobuffer", "-flags", "low_delay"),
            # Keyframes only: on a loaded machine a CPU-starved FFmpeg decoding every frame
            # falls behind for good (it never drops frames, a browser does); its demuxer and
            # parser, which set the latency, see every frame all the same.
            "-skip_frame",
            "nokey",
            *("-probesize", "32", "-analyzeduration", "0", "-rtsp_transport", "tcp", "-i", url),
            *("-vf", f"crop={width}:{strip}:0:0,format=gray", "-f", "rawvideo", "-"),
        ],
        stdout=subprocess.PIPE,
    )
    assert proc.stdout is not None
    size = width * strip
    end = time.monotonic() + seconds
    try:
        while time.monotonic() < end:
            raw = proc.stdout.read(size)
            if len(raw) < size:
                break
            at = time.time()
            strip_img = np.frombuffer(raw, np.uint8).reshape(strip, width)
            out.append((read_number(strip_img, block), at))
    finally:
        proc.kill()
        proc.wait()


def in_sequence(
    seen: list[tuple[int, float]], frames: int, step: int = 3
) -> list[tuple[int, float]]:
    """Reads that follow on from a neighbour (1 to `step` frames on): drops misreads."""
    ok = []
    for n, (number, shown) in enumerate(seen):
        prev = seen[n - 1][0] if n else None
        nxt = seen[n + 1][0] if n + 1 < len(seen) else None
        if (prev is not None and 1 <= (number - prev) % frames <= step) or (
            nxt is not None and 1 <= (nxt - number) % frames <= step
        ):
            ok.append((number, shown))
    return ok


def latencies(
    seen: list[tuple[int, float]], start: tuple[int, float], frames: int, step: int = 3
) -> dict[int, float]:
    """Absolute frame index -> seconds from the peer sending it to the client showing it."""
    seen = in_sequence(seen, frames, step)
    first, at = start
    dur = 1 / FPS
    out: dict[int, float] = {}
    for number, shown in seen:
        base = first + round((shown - at) / dur)
        i = base - ((base - number) % frames)  # the latest frame with that number
        lat = shown - (at + (i - first) * dur)
        if 0 <= lat < frames * dur / 2 and i not in out:
            out[i] = lat
    return out


def summary(xs: list[float]) -> str:
    """Count, median and 95th percentile in milliseconds."""
    if not xs:
        return "no frames"
    p95 = statistics.quantiles(xs, n=20)[-1] if len(xs) >= 20 else max(xs)
    med = statistics.median(xs) * 1000
    return f"{len(xs):5d} frames, median {med:6.1f} ms, p95 {p95 * 1000:6.1f} ms"


async def open_wall(browser: Any, console: Console) -> Any:
    """A page signed in to `console` with the latency camera playing pass-through."""
    page = await browser.new_page(viewport={"width": 1920, "height": 1200})
    await page.goto(console.base + "/")
    await page.get_by_test_id("login-username").fill("admin")
    await page.get_by_test_id("login-password").fill(PASSWORD)
    await page.get_by_test_id("login-submit").click()
    await page.get_by_test_id("shell").wait_for()
    await page.goto(console.base + "/#/wall?cameras=LAT-1&transport=tile")
    await page.wait_for_function(
        "() => { const t = document.querySelector('[data-testid=wall-tile-0]');"
        " return t && t.dataset.state === 'playing'; }",
        timeout=60_000,
    )
    via = await page.evaluate(
        "() => document.querySelector('[data-testid=wall-tile-0]').dataset.transport"
    )
    assert via == "webrtc", via
    return page


async def glass_to_glass(
    peer: RtspPeer, mount: str, envs: list[dict[str, str]], seconds: float, frames: int
) -> tuple[list[dict[int, float]], dict[int, float]]:
    """One console per env, each shown in its own Chromium page, and the FFmpeg CLI: all on
    the same camera stream at the same time (the same frames under the same load)."""
    block, strip = geometry(SIZE[0])
    with tempfile.TemporaryDirectory() as tmp:
        consoles = [Console(Path(tmp) / f"data{n}", env) for n, env in enumerate(envs)]
        try:
            for console in consoles:
                await console.login()
                await console.camera("LAT-1", peer.url(mount))
            async with async_playwright() as pw:
                browser = await pw.chromium.launch(
                    executable_path=str(CHROMIUM),
                    args=[*CHROMIUM_ARGS, "--autoplay-policy=no-user-gesture-required"],
                )
                pages = [await open_wall(browser, c) for c in consoles]
                await asyncio.sleep(3)  # past the cached GOPs' bursts
                by_ffmpeg: list[tuple[int, float]] = []
                ff = asyncio.create_task(
                    asyncio.to_thread(ffmpeg_client, peer.url(mount), seconds + 4, by_ffmpeg)
                )
                await asyncio.sleep(3)  # FFmpeg connected and past its first GOP
                js = COLLECT.replace("READER", READER_JS)
                seen = await asyncio.gather(
                    *(p.evaluate(js, [block, strip, BITS, seconds]) for p in pages)
                )
                await ff
                await browser.close()
        finally:
            for console in consoles:
                await console.close()
    start = peer.starts[mount][-1]  # the shared media every client joined
    chromium = [latencies([(int(n), float(t)) for n, t in s], start, frames) for s in seen]
    # FFmpeg skipping non-key frames still emits blank pictures (they read as 0; the clip's
    # own frame 0 is lost with them, one keyframe per loop).
    keys = [x for x in by_ffmpeg if x[0] != 0]
    ffmpeg = latencies(keys, start, frames, step=2 * FPS)  # one per GOP
    return chromium, ffmpeg


def median_ms(xs: list[float]) -> str:
    return f"{statistics.median(xs) * 1000:6.1f} ms" if xs else "   n/a"


async def chromium_main(args: argparse.Namespace) -> None:
    print(
        f"# glass-to-glass bench, {cpu_model()} ({os.cpu_count()} cores), "
        f"load {os.getloadavg()[0]:.1f}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    global SIZE
    SIZE = SIZES[args.height]
    seconds_clip = 20.0
    clip = make_numbered(
        CACHE / f"numbered-{args.height}p25-gop2s-{seconds_clip:g}s.mp4",
        gop_s=2,
        size=SIZE,
        seconds=seconds_clip,
    )
    frames = frame_count(clip)
    peer = RtspPeer({"cam": str(clip)}).start()
    labels = ["frames cut as they end (now)", "FFmpeg parser + join (before)"]
    envs = [{}, {"EOC_STREAMS__RTSP_PARSER": "true"}]
    try:
        (now, before), ffmpeg = await glass_to_glass(peer, "cam", envs, args.seconds, frames)
    finally:
        peer.stop()
    frame_ms = 1000 / FPS
    print(
        f"\n## Glass to glass, {args.height}p25 pass-through, GOP 2 s, {args.seconds:.0f} s, "
        "all clients at once on one stream"
    )
    print("peer send -> shown (Chromium: expected display time; FFmpeg CLI: frame decoded)")
    for label, found in zip(labels, (now, before), strict=True):
        print(f"  Chromium, {label:30s} {summary(list(found.values()))}")
    print(f"  FFmpeg CLI client (keyframes)            {summary(list(ffmpeg.values()))}")
    common = sorted(set(now) & set(before))
    print(
        f"  now - before, same {len(common)} frames: "
        f"median {median_ms([now[i] - before[i] for i in common])}"
    )
    for label, found in zip(labels, (now, before), strict=True):
        both = sorted(set(found) & set(ffmpeg))
        delta = [found[i] - ffmpeg[i] for i in both]
        if delta:
            med = statistics.median(delta) * 1000
            verdict = "met" if med <= frame_ms + 20 else "NOT met"
            print(
                f"  Chromium ({label}) - FFmpeg, same {len(both)} keyframes: median "
                f"{med:6.1f} ms (target <= {frame_ms + 20:.0f} ms: {verdict})"
            )


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--aiortc", action="store_true", help="hub -> aiortc viewer, in-process")
    ap.add_argument("--height", type=int, choices=sorted(SIZES), default=1080)
    args = ap.parse_args()
    if args.aiortc:
        await aiortc_main(args)
    else:
        await chromium_main(args)


if __name__ == "__main__":
    asyncio.run(main())

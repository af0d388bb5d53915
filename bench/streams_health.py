"""Camera health benchmarks: watch capacity vs a naive baseline, patrol throughput,
detection quality, false alarms on clean footage.

Usage: .venv/bin/python bench/streams_health.py [--cameras 12] [--seconds 20]
Needs Debian's GStreamer RTSP server (scripts/test installs it). Prints tables and ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import resource
import sys
import threading
import time
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from streams import faults as F  # noqa: E402
from streams.diagnosis import Diagnoser  # noqa: E402
from streams.features import compute  # noqa: E402
from streams.hub import HubRegistry  # noqa: E402
from streams.source import OpenOptions  # noqa: E402
from streams.urls import parse_source_url  # noqa: E402
from streams.watch import CameraStatus, Watcher, WatchSettings  # noqa: E402
from tests.peers.fixtures import RtspPeer  # noqa: E402

VIDEO = ROOT / "console" / "cameras" / "demo_media"
CACHE = Path(os.environ.get("EOC_BENCH_CACHE", "/tmp/eoc-bench"))


def cpu() -> float:
    """CPU seconds used by this process (all threads)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def make_1080p(dst: Path, seconds: float = 20.0) -> Path:
    """A 1080p25 H.264 clip with a 2 s GOP, upscaled from the shared road footage."""
    if dst.exists():
        return dst
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_suffix(".part.mp4")
    with av.open(str(VIDEO / "car-detection.mp4")) as inp, av.open(str(tmp), "w") as out:
        vout = out.add_stream("libx264", rate=Fraction(25, 1))
        vout.width, vout.height, vout.pix_fmt = 1920, 1080, "yuv420p"
        vout.codec_context.gop_size = 50
        vout.codec_context.options = {"preset": "ultrafast", "bf": "0", "sc_threshold": "0"}
        frames = [f.to_ndarray(format="bgr24") for f in inp.decode(video=0)]
        for i in range(int(seconds * 25)):
            img = np.asarray(
                cv2.resize(frames[int(i * 12.5 / 25) % len(frames)], (1920, 1080)), dtype=np.uint8
            )
            for p in vout.encode(av.VideoFrame.from_ndarray(img, format="bgr24")):
                out.mux(p)
        for p in vout.encode(None):
            out.mux(p)
    tmp.replace(dst)
    return dst


async def watch_cost(urls: list[str], seconds: float, every_s: float) -> tuple[float, int, int]:
    """CPU share of one core per camera for continuous watching; diagnoses and reports."""
    reports: list[CameraStatus] = []

    async def report(s: CameraStatus) -> None:
        reports.append(s)

    registry = HubRegistry(options=OpenOptions(open_timeout_s=5, read_timeout_s=5))
    watcher = Watcher(registry, report, WatchSettings(diagnose_every_s=every_s))
    for i, url in enumerate(urls):
        watcher.watch(f"c{i}", parse_source_url(url, media_root=None), "continuous")
    await asyncio.sleep(3)  # connect, first keyframes
    c0, t0 = cpu(), time.monotonic()
    await asyncio.sleep(seconds)
    c1, t1 = cpu(), time.monotonic()
    diagnosed = sum(1 for c in watcher._cams.values() if c.checked_at)
    await watcher.close()
    await registry.close()
    return (c1 - c0) / (t1 - t0) / len(urls) * 100, diagnosed, len(reports)


def naive_cost(urls: list[str], seconds: float) -> float:
    """Baseline: OpenCV reads and decodes every frame and runs the detectors on each."""
    stop = threading.Event()
    frames = [0]

    def run(url: str) -> None:
        cap = cv2.VideoCapture(url, cv2.CAP_FFMPEG)
        d = Diagnoser()
        while not stop.is_set():
            ok, img = cap.read()
            if not ok:
                break
            d.judge(compute(img))
            frames[0] += 1
        cap.release()

    threads = [
        threading.Thread(target=run, args=(u,), name=f"naive-{i}") for i, u in enumerate(urls)
    ]
    for t in threads:
        t.start()
    time.sleep(3)
    c0, t0 = cpu(), time.monotonic()
    time.sleep(seconds)
    c1, t1 = cpu(), time.monotonic()
    stop.set()
    for t in threads:
        t.join(10)
    return (c1 - c0) / (t1 - t0) / len(urls) * 100


async def patrol_rate(
    urls: list[str], seconds: float, concurrency: int
) -> tuple[float, float, int]:
    """Patrol visits per CPU-hour and mean wall time per visit."""
    visits: list[float] = []

    async def report(s: CameraStatus) -> None:
        visits.append(time.monotonic())

    registry = HubRegistry(options=OpenOptions(open_timeout_s=5, read_timeout_s=5))
    watcher = Watcher(
        registry,
        report,
        WatchSettings(patrol_concurrency=concurrency, patrol_keyframes=2, diagnose_every_s=0),
    )
    for i, url in enumerate(urls):
        watcher.watch(f"p{i}", parse_source_url(url, media_root=None), "patrol")
    c0, t0 = cpu(), time.monotonic()
    await asyncio.sleep(seconds)
    c1, t1 = cpu(), time.monotonic()
    await watcher.close()
    await registry.close()
    n = len(visits)
    per_cpu_hour = n / max(1e-9, c1 - c0) * 3600
    wall_per_visit = (t1 - t0) * concurrency / max(1, n)
    return per_cpu_hour, wall_per_visit, n


def frames(name: str, every_s: float, limit: int) -> list[np.ndarray]:
    """Frames of one shared clip."""
    return F.sample_frames(VIDEO / name, every_s, limit)


def quality(step_s: float = 1.0) -> None:
    """Precision/recall per injected fault, keyframes sampled every `step_s` of the clips."""
    limit = int(30 / step_s)
    clips = [frames(n, step_s, limit) for n in ("car-detection.mp4", "bottle-detection.mp4")]
    counts = F.evaluate(clips, np.random.default_rng(7))
    print("\n## Detection quality (stable verdicts after 5 faulty keyframes)")
    print(f"{'fault':14s} {'precision':>9s} {'recall':>7s}  tp  fp  fn")
    for name in F.ALL:
        c = counts[name]
        p = c["tp"] / max(1, c["tp"] + c["fp"])
        r = c["tp"] / max(1, c["tp"] + c["fn"])
        print(f"{name:14s} {p:9.2f} {r:7.2f} {c['tp']:3d} {c['fp']:3d} {c['fn']:3d}")
    # False alarms: loop clean keyframes with sensor-like noise as one long camera life.
    rng = np.random.default_rng(3)
    alarms = 0
    judged = 0
    for clip in clips:
        d = Diagnoser()
        active: set[str] = set()
        for k in range(1500):
            img = clip[k % len(clip)].astype(np.int16) + rng.normal(0, 1.5, clip[0].shape).astype(
                np.int16
            )
            now = d.judge(compute(np.clip(img, 0, 255).astype(np.uint8)))
            alarms += len(now - active)
            active = now
            judged += 1
    per_day = alarms / judged * 8640  # one diagnosis every 10 s
    print(
        f"\nclean run: {judged} keyframes judged, {alarms} alarms raised -> "
        f"{per_day:.2f} false alarms per camera-day at one diagnosis per 10 s"
    )


async def capacity(cameras: int, naive_n: int, seconds: float) -> None:
    """Continuous watch cost against the naive baseline, then patrol throughput."""
    clip = make_1080p(CACHE / "road-1080p25-gop2s.mp4")
    peer = RtspPeer({f"m{i}": str(clip) for i in range(cameras)}).start()
    try:
        urls = [peer.url(f"m{i}") for i in range(cameras)]
        ours, diagnosed, _ = await watch_cost(urls, seconds, every_s=10.0)
        naive = naive_cost(urls[:naive_n], seconds)
        print("\n## Continuous watch, 1080p25 GOP 2 s over RTSP (loopback)")
        print(f"{'pipeline':44s} {'% core/camera':>14s} {'cameras/core':>13s}")
        print(f"{'demux + packet health + keyframe diagnosis':44s} {ours:14.2f} {100 / ours:13.0f}")
        print(
            f"{'naive: OpenCV read() every frame + detect':44s} {naive:14.2f} {100 / naive:13.1f}"
        )
        print(f"ratio naive/ours: {naive / ours:.1f}x  ({diagnosed}/{cameras} cameras diagnosed)")
        rate, wall, n = await patrol_rate(urls, seconds, concurrency=min(8, cameras))
        cycle_2000 = 2000 * wall / 16
        print("\n## Patrol (2 keyframes per visit)")
        print(
            f"visits: {n}, {rate:,.0f} diagnoses per core-hour, {wall:.1f} s wall per visit; "
            f"cycle for 2,000 cameras at concurrency 16: {cycle_2000 / 60:.1f} min"
        )
    finally:
        peer.stop()


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cameras", type=int, default=12)
    ap.add_argument("--naive", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument(
        "--quality-step", type=float, default=1.0, help="s between sampled keyframes (0.5: more)"
    )
    ap.add_argument("--quality-only", action="store_true", help="skip the RTSP capacity runs")
    args = ap.parse_args()
    print(
        f"# streams health bench, {platform.node()} ({os.cpu_count()} cores), "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    if not args.quality_only:
        await capacity(args.cameras, args.naive, args.seconds)
    quality(args.quality_step)


if __name__ == "__main__":
    asyncio.run(main())

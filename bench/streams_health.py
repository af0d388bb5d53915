"""Camera health benchmarks: watch capacity against two baselines in the same run, patrol
sizing for a district, detection quality on footage the detectors were not tuned on, false
alarms on clean footage.

Usage: .venv/bin/python bench/streams_health.py [--cameras 12] [--seconds 20] [--quality-only]
Needs Debian's GStreamer RTSP server (scripts/test installs it). Prints tables and ratios.
The detection set is built by bench/health_eval.py (cached under $EOC_BENCH_CACHE).
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

from bench import health_eval as E  # noqa: E402
from streams.diagnosis import Diagnoser  # noqa: E402
from streams.features import compute  # noqa: E402
from streams.hub import HubRegistry  # noqa: E402
from streams.source import OpenOptions  # noqa: E402
from streams.urls import parse_source_url  # noqa: E402
from streams.watch import CameraStatus, Watcher, WatchSettings, plan_patrol  # noqa: E402
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


def naive_cost(urls: list[str], seconds: float, diagnose_every_s: float | None) -> float:
    """Baselines: OpenCV decodes every frame; detectors on every frame (None) or once per
    `diagnose_every_s` of stream time (the fair one: same verdict rate as ours)."""
    stop = threading.Event()

    def run(url: str) -> None:
        cap = cv2.VideoCapture(url, cv2.CAP_FFMPEG)
        d = Diagnoser()
        last = -1e9
        while not stop.is_set():
            ok, img = cap.read()
            if not ok:
                break
            t = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000
            if diagnose_every_s is None or t - last >= diagnose_every_s:
                d.judge(compute(img))
                last = t
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
) -> tuple[float, float, float, int]:
    """Patrol visits: CPU seconds per visit (whole process), wall per visit, measured by the
    watcher (decode + judge thread time), visits made."""
    visits: list[float] = []

    async def report(s: CameraStatus) -> None:
        visits.append(time.monotonic())

    registry = HubRegistry(options=OpenOptions(open_timeout_s=5, read_timeout_s=5))
    watcher = Watcher(
        registry,
        report,
        WatchSettings(
            patrol_concurrency=concurrency,
            patrol_max_concurrency=concurrency,
            patrol_keyframes=2,
            diagnose_every_s=0,
        ),
    )
    for i, url in enumerate(urls):
        watcher.watch(f"p{i}", parse_source_url(url, media_root=None), "patrol")
    c0 = cpu()
    await asyncio.sleep(seconds)
    c1 = cpu()
    measured = watcher.progress.cpu_per_visit_s or 0.0
    wall = watcher.progress.visit_s or 0.0
    await watcher.close()
    await registry.close()
    n = len(visits)
    return (c1 - c0) / max(1, n), wall, measured, n


def quality(bitrates: tuple[int, ...], workers: int, split: str = "eval") -> None:
    """Precision/recall per fault and strength on the EVALUATION (or FRESH) cameras, never
    tuned on."""
    if split == "fresh":
        eps, bitrates = E.fresh_episodes(), E.FRESH_BITRATES
    else:
        eps = E.episodes("eval", bitrates=bitrates, clean_per_camera=6)
    t0 = time.monotonic()
    table = E.evaluate(eps, workers=workers)
    cams = len({(e.scene.name, e.bitrate_k) for e in eps})
    print(
        f"\n## Detection on unseen footage ({split}): {len(eps)} episodes, {cams} camera-encodings "
        f"({', '.join(f'{b / 1000:g}' for b in bitrates)} Mbit/s, GOP 2 s), "
        f"two generators, {time.monotonic() - t0:.0f} s"
    )
    print(table.markdown())
    per_gen: dict[str, list[bool]] = {}
    for o in table.outcomes:
        if o.episode.fault != "clean" and o.episode.level == "normal":
            per_gen.setdefault(o.episode.generator, []).append(o.episode.fault in o.raised)
    for gen, hits in sorted(per_gen.items()):
        print(f"recall at normal strength, {gen} generator: {sum(hits) / len(hits):.2f}")
    lat = [o.first_at for o in table.outcomes if o.first_at is not None]
    print(f"keyframes to raise (median): {float(np.median(lat)) if lat else 0:.1f}")
    print(f"clean episodes: {table.clean_keyframes} keyframes judged, {table.clean_alarms} alarms")
    soak(bitrates, split=split)


def soak(bitrates: tuple[int, ...], days: float = 1.2, split: str = "eval") -> None:
    """False alarms per camera-day: the split's clean keyframes replayed as a long camera
    life, each with fresh sensor noise and slight exposure drift (one diagnosis / 10 s)."""
    rng = np.random.default_rng(3)
    scenes = [s for s in E.SCENES if s.split == split]
    per_cam = int(days * 8640 / (len(scenes) * len(bitrates)))
    alarms = judged = 0
    for scene in scenes:
        for br in bitrates:
            frames = E.learning_keyframes(scene, br, 2.0)
            d = Diagnoser()
            active: set[str] = set()
            for k in range(per_cam):
                gain = 1 + 0.06 * np.sin(k / 400)  # a slow day-like drift
                img = frames[k % len(frames)].astype(np.float32) * gain
                img += rng.normal(0, 1.5, img.shape[:2])[..., None]
                now = d.judge(compute(np.clip(img, 0, 255).astype(np.uint8)))
                alarms += len(now - active)
                active = now
                judged += 1
    print(
        f"soak: {judged} keyframes judged ({judged / 8640:.2f} camera-days at one diagnosis per "
        f"10 s), {alarms} alarms -> {alarms / (judged / 8640):.2f} false alarms per camera-day"
    )


async def capacity(cameras: int, naive_n: int, seconds: float) -> None:
    """Continuous watch cost against two baselines, then patrol sizing for 2,000 cameras."""
    clip = make_1080p(CACHE / "road-1080p25-gop2s.mp4")
    peer = RtspPeer({f"m{i}": str(clip) for i in range(cameras)}).start()
    try:
        urls = [peer.url(f"m{i}") for i in range(cameras)]
        ours, diagnosed, _ = await watch_cost(urls, seconds, every_s=10.0)
        every = naive_cost(urls[:naive_n], seconds, None)
        fair = naive_cost(urls[:naive_n], seconds, 10.0)
        print("\n## Continuous watch, 1080p25 GOP 2 s over RTSP (loopback), same run")
        print(f"{'pipeline':58s} {'% core/camera':>14s} {'cameras/core':>13s} {'ours is':>8s}")
        rows = [
            ("ours: demux + packet health + keyframe decode every 10 s", ours),
            ("decode every frame, detectors on every frame", every),
            ("decode every frame, diagnose once per 10 s (fair)", fair),
        ]
        for name, v in rows:
            print(f"{name:58s} {v:14.2f} {100 / v:13.1f} {v / ours:7.1f}x")
        print(f"({diagnosed}/{cameras} cameras diagnosed by ours)")
        per_visit, wall, measured, n = await patrol_rate(urls, seconds, min(12, cameras))
        print("\n## Patrol sizing (2 keyframes per visit, GOP 2 s)")
        print(
            f"visits: {n}; wall {wall:.1f} s per visit; CPU per visit {per_visit * 1000:.0f} ms "
            f"(whole process), {measured * 1000:.0f} ms decode+judge as the watcher measures"
        )
        for target in (0.0, 600.0, 300.0):
            for budget in (0.5, 1.0):
                plan = plan_patrol(
                    2000,
                    WatchSettings(patrol_target_cycle_s=target, patrol_cpu_budget=budget),
                    wall,
                    measured,
                )
                cycle = plan.expected_cycle_s or 0
                print(
                    f"2,000 cameras, target {target / 60:4.0f} min, budget {budget:.0%} of a core:"
                    f" concurrency {plan.concurrency:3d}, expected cycle {cycle / 60:5.1f} min, "
                    f"CPU {100 * (plan.cpu_share or 0):4.1f}% of a core"
                    + (" (CPU-limited)" if plan.cpu_limited else "")
                )
    finally:
        peer.stop()


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cameras", type=int, default=12)
    ap.add_argument("--naive", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--bitrates", default="500,1500,4000", help="kbit/s of the evaluation set")
    ap.add_argument("--workers", type=int, default=2, help="FFmpeg encodes side by side")
    ap.add_argument("--quality-only", action="store_true", help="skip the RTSP capacity runs")
    ap.add_argument(
        "--split", default="eval", choices=("eval", "fresh"), help="which held-out cameras"
    )
    ap.add_argument("--capacity-only", action="store_true", help="skip the detection set")
    args = ap.parse_args()
    print(
        f"# streams health bench, {platform.node()} ({os.cpu_count()} cores), "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    if not args.quality_only:
        await capacity(args.cameras, args.naive, args.seconds)
    if not args.capacity_only:
        quality(tuple(int(b) for b in args.bitrates.split(",")), args.workers, args.split)


if __name__ == "__main__":
    asyncio.run(main())

"""Camera-health detection measured on footage and faults it was not tuned on.

Footage: the two Intel IoT Devkit clips in console/cameras/demo_media/ (CC BY 4.0). Each is
cut into two time windows: the first window of each clip is TUNING footage (thresholds were
chosen looking only at it), the second is EVALUATION footage. Evaluation also has views
derived from the second windows only (a zoomed crop, a mirrored crop), which are new scenes
to the detectors. A "camera" plays its window back and forth (so motion continues) at
12.5 fps, 640x360.

Faults come from two independent generators at three strengths each: FFmpeg filters
(lutrgb, eq, gblur/boxblur, colorbalance/colorchannelmixer, noise, drawgrid, drawbox, crop,
loop) and the project's own (streams/faults.py). Every episode is ENCODED after injection
with libx264 as a camera would (constant bitrate 0.5 to 4 Mbit/s, fixed GOP, no scene-cut
keyframes) and only its keyframes are decoded and judged, as the watcher does.

An episode: the camera's clean stream is learned for 60 s (30 keyframes at GOP 2 s), then a
16 s stream with the fault follows; the fault is detected when the diagnoser raises it before
the episode ends. Any other fault raised in an episode is a false positive for that fault,
except those the injected fault implies (a black frame is also dark). Clean episodes count
false alarms.

Used by bench/streams_health.py (full table) and tests/streams/test_diagnosis.py (a small set).
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import subprocess
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np

from streams import faults as own
from streams.diagnosis import IMPLIES, Diagnoser
from streams.features import Image, compute

ROOT = Path(__file__).resolve().parents[1]
VIDEO = ROOT / "console" / "cameras" / "demo_media"
CACHE = Path(os.environ.get("EOC_BENCH_CACHE", "/tmp/eoc-bench")) / "health-eval"
W, H, FPS = 640, 360, 12.5
LEARN_S, EPISODE_S = 60.0, 16.0
FAULTS = (
    "blank",
    "frozen",
    "too_dark",
    "overexposed",
    "low_contrast",
    "blur",
    "colour_cast",
    "noise",
    "stripes",
    "occlusion",
    "shake",
    "scene_change",
)
LEVELS = ("weak", "normal", "strong")
GENERATORS_VERSION = 3  # part of every cache key: bump when a generator changes


@dataclass(frozen=True)
class Scene:
    """A camera: a time window of a clip, optionally seen through a derived view."""

    name: str
    clip: str
    start_s: float
    end_s: float
    split: str  # "tune", "eval" or "fresh"
    view: str = ""  # an FFmpeg filter making a different camera out of the same footage


SCENES = (
    Scene("road-a", "car-detection.mp4", 0.0, 15.0, "tune"),
    Scene("bottles-a", "bottle-detection.mp4", 0.0, 20.0, "tune"),
    Scene("road-b", "car-detection.mp4", 15.0, 30.0, "eval"),
    Scene(
        "road-b-zoom",
        "car-detection.mp4",
        15.0,
        30.0,
        "eval",
        "crop=iw*0.6:ih*0.6:iw*0.4:ih*0.1,hflip",
    ),
    Scene("bottles-b", "bottle-detection.mp4", 20.0, 40.0, "eval"),
    Scene(
        "bottles-b-zoom",
        "bottle-detection.mp4",
        20.0,
        40.0,
        "eval",
        "crop=iw*0.55:ih*0.7:0:ih*0.3",
    ),
    # More TUNING cameras (issue 12): the same zoomed views, of the tuning windows.
    Scene(
        "road-a-zoom",
        "car-detection.mp4",
        0.0,
        15.0,
        "tune",
        "crop=iw*0.6:ih*0.6:iw*0.4:ih*0.1,hflip",
    ),
    Scene(
        "bottles-a-zoom", "bottle-detection.mp4", 0.0, 20.0, "tune", "crop=iw*0.55:ih*0.7:0:ih*0.3"
    ),
    # FRESH held-out cameras, defined (2026-12-08) before the occlusion work of issue 12 and run
    # once at its end: both clips are used up by the windows above, so these are views never
    # run before, cut from the evaluation windows (never tuned on), at bitrates never used
    # (FRESH_BITRATES), with occlusions of other colours, places and edges (FRESH_OCCLUDERS).
    Scene("road-c-low", "car-detection.mp4", 15.0, 30.0, "fresh", "crop=iw*0.7:ih*0.7:0:ih*0.3"),
    Scene(
        "road-c-wide",
        "car-detection.mp4",
        15.0,
        30.0,
        "fresh",
        "crop=iw*0.85:ih*0.8:iw*0.15:0,hflip",
    ),
    Scene(
        "bottles-c-right",
        "bottle-detection.mp4",
        20.0,
        40.0,
        "fresh",
        "crop=iw*0.6:ih*0.75:iw*0.4:0,hflip",
    ),
    Scene(
        "bottles-c-mid",
        "bottle-detection.mp4",
        20.0,
        40.0,
        "fresh",
        "crop=iw*0.8:ih*0.8:iw*0.1:ih*0.1",
    ),
)
FRESH_BITRATES = (750, 2500)
# Colours never drawn by the tune/eval generator: slate, blue-grey, khaki, light grey, dark
# foliage, rust red.
FRESH_OCCLUDERS = ("0x2a2a35", "0x556070", "0x7a6a50", "0xa0a0a0", "0x304020", "0x8a3020")


def _pick(level: str, weak: Any, normal: Any, strong: Any) -> Any:
    return {"weak": weak, "normal": normal, "strong": strong}[level]


def fresh_occlusion_filter(level: str, rng: np.random.Generator) -> str:
    """Held-out occlusions: other colours, any place (not only corners and edges), other
    aspect ratios."""
    area = _pick(level, 0.25, 0.4, 0.6) * rng.uniform(0.9, 1.1)
    bw = float(min(1.0, np.sqrt(area) * rng.uniform(0.7, 1.4)))
    bh = float(min(1.0, area / bw))
    x = float(rng.uniform(0, 1 - bw))
    y = float(rng.uniform(0, 1 - bh))
    colour = str(rng.choice(FRESH_OCCLUDERS))
    return f"drawbox=x=iw*{x:.2f}:y=ih*{y:.2f}:w=iw*{bw:.2f}:h=ih*{bh:.2f}:color={colour}:t=fill"


def fresh_occlusion(img: Image, rng: np.random.Generator, level: str) -> Image:
    """The project-side held-out occluder: one random colour, textured a little (a sheet or a
    leaf, not a painted rectangle), from a random side, half the time with a soft edge (close
    to the lens, out of focus)."""
    h, w = img.shape[:2]
    frac = _pick(level, 0.28, 0.42, 0.62)
    side = int(rng.integers(4))
    colour = rng.integers(20, 200, 3).astype(np.float32)
    mask: Image = np.zeros((h, w), np.float32)
    if side in (0, 1):
        n = int(w * frac)
        mask[:, slice(0, n) if side == 0 else slice(w - n, w)] = 1.0
    else:
        n = int(h * frac)
        mask[slice(0, n) if side == 2 else slice(h - n, h), :] = 1.0
    if rng.random() < 0.5:
        mask = cv2.GaussianBlur(mask, (0, 0), 8.0)
    patch = colour + rng.normal(0, 4, (h, w))[..., None]
    out = img.astype(np.float32) * (1 - mask[..., None]) + patch * mask[..., None]
    result: Image = np.clip(out, 0, 255).astype(np.uint8)
    return result


def ffmpeg_filter(fault: str, level: str, rng: np.random.Generator, fresh: bool = False) -> str:
    """An FFmpeg filter chain producing `fault` at `level` (an independent generator)."""
    if fault == "occlusion" and fresh:
        return fresh_occlusion_filter(level, rng)
    if fault == "too_dark":
        f = _pick(level, 0.42, 0.28, 0.12)
        if rng.random() < 0.5:
            return f"lutrgb=r=val*{f}:g=val*{f}:b=val*{f}"
        return f"eq=brightness={-0.5 * (1 - f):.2f}:contrast={0.5 + f:.2f}"
    if fault == "overexposed":
        b = _pick(level, 0.25, 0.4, 0.55)
        return f"eq=brightness={b}:contrast={1.2 + b:.2f}"
    if fault == "low_contrast":
        c = _pick(level, 0.42, 0.28, 0.14)
        return f"eq=contrast={c}:brightness={0.05 * rng.uniform(-1, 1):.3f}"
    if fault == "blur":
        s = _pick(level, 2.2, 3.5, 6.0)
        if rng.random() < 0.5:
            return f"gblur=sigma={s}"
        return f"boxblur={round(s * 1.6)}:1"
    if fault == "colour_cast":
        v = _pick(level, 0.1, 0.18, 0.32)
        tints = {
            "red": (v, -v / 3, -v / 2),
            "green": (-v / 3, v, -v / 3),
            "blue": (-v / 2, -v / 4, v),
            "yellow": (v / 2, v / 2, -v),
        }
        r, g, b = tints[str(rng.choice(list(tints)))]
        kind = int(rng.integers(3))
        if kind == 0:
            # White balance off across the range.
            return "colorbalance=" + ":".join(
                f"{c}{t}={x:.3f}" for c, x in (("r", r), ("g", g), ("b", b)) for t in "smh"
            )
        if kind == 1:
            # Shadows and midtones only: black and white stay neutral.
            return "curves=" + ":".join(
                f"{c}='0/0 0.5/{0.5 + x / 1.5:.3f} 1/1'" for c, x in (("r", r), ("g", g), ("b", b))
            )
        return (
            f"colorchannelmixer=rr={1 + r:.2f}:gg={1 + g:.2f}:bb={1 + b:.2f}"
            f":rb={max(0.0, r) / 2:.2f}:bg={max(0.0, b) / 2:.2f}"
        )
    if fault == "noise":
        a = _pick(level, 10, 18, 32)
        return f"noise=alls={a}:allf=t" + ("+u" if rng.random() < 0.5 else "")
    if fault == "stripes":
        alpha = _pick(level, 0.18, 0.3, 0.5)
        period = int(rng.integers(8, 20))
        colour = "white" if rng.random() < 0.5 else "black"
        return f"drawgrid=w=iw:h={period}:t={max(2, period // 3)}:c={colour}@{alpha}"
    if fault == "occlusion":
        area = _pick(level, 0.3, 0.45, 0.65)
        bw = float(np.sqrt(area) * rng.uniform(0.9, 1.1))
        bh = min(1.0, area / bw)
        x = float(rng.choice([0.0, 1 - bw, (1 - bw) / 2]))
        y = float(rng.choice([0.0, 1 - bh]))
        colour = str(rng.choice(["black", "0x202020", "0x3a4a2a", "0x6a5040", "0x808080"]))
        return (
            f"drawbox=x=iw*{x:.2f}:y=ih*{y:.2f}:w=iw*{bw:.2f}:h=ih*{bh:.2f}:color={colour}:t=fill"
        )
    if fault == "blank":
        colour = str(rng.choice(["black", "0x0000a0", "0x101010"]))
        return f"drawbox=x=0:y=0:w=iw:h=ih:color={colour}:t=fill"
    if fault == "frozen":
        # The first picture, repeated for the whole episode (an encoder that stopped updating).
        n = round(EPISODE_S * FPS)
        return f"loop=loop={n}:size=1:start=0,trim=end_frame={n}"
    if fault == "scene_change":
        z = _pick(level, 0.75, 0.6, 0.45)
        x = float(rng.choice([0.0, 1 - z]))
        extra = ",hflip" if level == "strong" else ""
        return f"crop=iw*{z}:ih*{z}:iw*{x:.2f}:ih*{(1 - z) / 2:.2f}{extra},scale={W}:{H}"
    if fault == "shake":
        # The view moves by a few pixels without zooming; the edges smear as the lens sees on.
        p = round(W * _pick(level, 0.02, 0.035, 0.055))
        return (
            f"pad=iw+{2 * p}:ih+{2 * p}:{p}:{p},"
            f"fillborders=left={p}:right={p}:top={p}:bottom={p}:mode=smear,"
            f"crop={W}:{H}:{p}+{p}*sin(n*1.37):{p}+{p}*cos(n*2.11)"
        )
    raise ValueError(f"no FFmpeg generator for {fault}")


@dataclass(frozen=True)
class Episode:
    """One fault (or "clean") on one camera, made by one generator, at one encoding."""

    scene: Scene
    fault: str  # a fault name or "clean"
    level: str
    generator: str  # "ffmpeg" or "own"
    bitrate_k: int
    gop_s: float
    seed: int

    @property
    def key(self) -> str:
        """Cache key."""
        raw = json.dumps(
            [
                GENERATORS_VERSION,
                self.scene.name,
                self.scene.view,
                self.fault,
                self.level,
                self.generator,
                self.bitrate_k,
                self.gop_s,
                self.seed,
            ]
        )
        return hashlib.sha1(raw.encode()).hexdigest()[:16]


def load_scene(scene: Scene) -> list[Image]:
    """The scene's frames (BGR, 640x360, 12.5 fps), decoded once and cached."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"scene-{scene.name}.npy"
    if path.exists():
        return list(np.load(path))
    view = f"{scene.view}," if scene.view else ""
    out = subprocess.run(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-ss",
            str(scene.start_s),
            "-to",
            str(scene.end_s),
            "-i",
            str(VIDEO / scene.clip),
            "-vf",
            f"fps={FPS},{view}scale={W}:{H}",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "bgr24",
            "-",
        ],
        check=True,
        capture_output=True,
        timeout=300,
    ).stdout
    frames = np.frombuffer(out, np.uint8).reshape(-1, H, W, 3)
    np.save(path, frames)
    return list(frames)


def pingpong(frames: list[Image], start: int, count: int) -> Iterable[Image]:
    """`count` frames playing the window forwards and backwards from `start`."""
    n = len(frames)
    period = 2 * n - 2
    for i in range(start, start + count):
        j = i % period
        yield frames[j if j < n else period - j]


def encode_keyframes(
    frames: Iterable[Image], bitrate_k: int, gop_s: float, vf: str | None
) -> list[Image]:
    """Encode like a camera (libx264 CBR, fixed GOP) and decode the keyframes only."""
    gop = max(1, round(gop_s * FPS))
    args = ["ffmpeg", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "bgr24"]
    args += ["-s", f"{W}x{H}", "-r", str(FPS), "-i", "-"]
    if vf:
        args += ["-vf", f"{vf},format=yuv420p"]
    args += ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"]
    args += ["-b:v", f"{bitrate_k}k", "-maxrate", f"{bitrate_k}k", "-bufsize", f"{bitrate_k}k"]
    args += ["-g", str(gop), "-keyint_min", str(gop), "-sc_threshold", "0", "-bf", "0"]
    args += ["-f", "h264", "-"]
    proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None
    chunks: list[bytes] = []
    import threading

    reader = threading.Thread(target=lambda: chunks.append(proc.stdout.read()))  # type: ignore[union-attr]
    reader.start()
    try:
        for img in frames:
            proc.stdin.write(np.ascontiguousarray(img).tobytes())
        proc.stdin.close()
    except BrokenPipeError:
        pass  # a filter that ends the stream early (trim) stops reading

    reader.join()
    proc.wait(60)
    return decode_keyframes(b"".join(chunks))


def decode_keyframes(annexb: bytes) -> list[Image]:
    """Keyframes of an H.264 elementary stream, decoded on their own as the watcher does."""
    ctx: Any = av.CodecContext.create("h264", "r")
    ctx.skip_frame = "NONKEY"
    out: list[Image] = []
    for packet in ctx.parse(annexb):
        for frame in ctx.decode(packet):
            out.append(frame.to_ndarray(format="bgr24"))
    for frame in ctx.decode(None):
        out.append(frame.to_ndarray(format="bgr24"))
    return out


def _cached(key: str, make: Callable[[], list[Image]]) -> list[Image]:
    # Keyframes are stored at the diagnoser's working size: what compute() would see anyway.
    path = CACHE / f"kf-{key}.npz"
    if path.exists():
        with np.load(path) as z:
            return list(z["frames"])
    frames = make()
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part.npz")
    np.savez_compressed(tmp, frames=np.stack(frames))
    tmp.replace(path)
    return frames


def learning_keyframes(scene: Scene, bitrate_k: int, gop_s: float) -> list[Image]:
    """Keyframes of the camera's clean stream used to learn its baseline."""
    key = hashlib.sha1(json.dumps([scene.name, scene.view, bitrate_k, gop_s]).encode())
    return _cached(
        "learn-" + key.hexdigest()[:16],
        lambda: encode_keyframes(
            pingpong(load_scene(scene), 0, round(LEARN_S * FPS)), bitrate_k, gop_s, None
        ),
    )


def episode_keyframes(ep: Episode) -> list[Image]:
    """Keyframes of one episode (the fault injected, then encoded)."""

    def make() -> list[Image]:
        rng = np.random.default_rng(ep.seed)
        frames = load_scene(ep.scene)
        start = int(rng.integers(0, 2 * len(frames)))
        clean = list(pingpong(frames, start, round(EPISODE_S * FPS)))
        if ep.fault == "clean":
            return encode_keyframes(clean, ep.bitrate_k, ep.gop_s, None)
        fresh = ep.scene.split == "fresh"
        if ep.generator == "ffmpeg":
            vf = ffmpeg_filter(ep.fault, ep.level, rng, fresh)
            return encode_keyframes(clean, ep.bitrate_k, ep.gop_s, vf)
        if ep.fault == "frozen":
            faulty = [clean[0]] * len(clean)
        elif ep.fault == "shake":
            # A loose mount moves between shots, not between every frame of one second.
            faulty = [own.shake(img, rng, ep.level) if rng.random() < 0.6 else img for img in clean]
        elif ep.fault == "occlusion" and fresh:
            # One occluder for the whole episode: it stays put.
            state = rng.bit_generator.state
            faulty = []
            for img in clean:
                rng.bit_generator.state = state
                faulty.append(fresh_occlusion(img, rng, ep.level))
        else:
            faulty = [own.FAULTS[ep.fault](img, rng, ep.level) for img in clean]
        return encode_keyframes(faulty, ep.bitrate_k, ep.gop_s, None)

    return _cached(ep.key, make)


@dataclass
class Outcome:
    """What the diagnoser raised in one episode."""

    episode: Episode
    raised: set[str]
    judged: int
    first_at: int | None  # keyframes into the episode before the injected fault was raised


def run_episode(ep: Episode, learned: Diagnoser) -> Outcome:
    """Replay one episode from the learned state."""
    d = copy.deepcopy(learned)
    raised: set[str] = set()
    first: int | None = None
    frames = episode_keyframes(ep)
    for i, img in enumerate(frames):
        active = d.judge(compute(img))
        raised |= active
        if first is None and ep.fault in active:
            first = i + 1
    return Outcome(ep, raised, len(frames), first)


def learn(
    scene: Scene, bitrate_k: int, gop_s: float, factory: Callable[[], Diagnoser]
) -> Diagnoser:
    """A diagnoser that has watched the camera's clean stream."""
    d = factory()
    for img in learning_keyframes(scene, bitrate_k, gop_s):
        d.judge(compute(img))
    return d


def episodes(
    split: str,
    bitrates: Iterable[int],
    levels: Iterable[str] = LEVELS,
    gops: Iterable[float] = (2.0,),
    faults: Iterable[str] = FAULTS,
    scenes: Iterable[Scene] | None = None,
    clean_per_camera: int = 6,
    seed: int = 0,
) -> list[Episode]:
    """Every episode of a split: each fault, level and generator on each camera and encoding."""
    out: list[Episode] = []
    rng = np.random.default_rng(seed)
    chosen = [s for s in (scenes or SCENES) if s.split == split]
    for scene in chosen:
        for br in bitrates:
            for gop in gops:
                for _ in range(clean_per_camera):
                    s = int(rng.integers(1 << 30))
                    out.append(Episode(scene, "clean", "-", "-", br, gop, s))
                for fault in faults:
                    one_level = fault in ("blank", "frozen")
                    for level in ("normal",) if one_level else levels:
                        for gen in ("ffmpeg", "own"):
                            s = int(rng.integers(1 << 30))
                            out.append(Episode(scene, fault, level, gen, br, gop, s))
    return out


def fresh_episodes(seed: int = 12) -> list[Episode]:
    """The FRESH held-out set: every fault at normal strength (the target), occlusion at every
    strength, both generators, on the fresh cameras at FRESH_BITRATES."""
    out: list[Episode] = []
    for scene in (s for s in SCENES if s.split == "fresh"):
        for levels in (("normal",), ("weak", "strong")):
            faults = FAULTS if levels == ("normal",) else ("occlusion",)
            out += episodes(
                "fresh",
                FRESH_BITRATES,
                levels,
                faults=faults,
                scenes=[scene],
                clean_per_camera=6 if levels == ("normal",) else 0,
                seed=seed + len(out),
            )
    return out


def prepare(eps: list[Episode], workers: int = 2) -> None:
    """Encode every episode not yet cached (FFmpeg runs in subprocesses, side by side)."""
    learns = {(e.scene, e.bitrate_k, e.gop_s) for e in eps}
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda k: learning_keyframes(*k), learns))
        list(pool.map(episode_keyframes, eps))


@dataclass
class Table:
    """Precision and recall per fault and level, false alarms on clean footage."""

    counts: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    fp: dict[str, int] = field(default_factory=dict)
    clean_keyframes: int = 0
    clean_alarms: int = 0
    outcomes: list[Outcome] = field(default_factory=list)

    def add(self, o: Outcome) -> None:
        """Count one outcome."""
        self.outcomes.append(o)
        ep = o.episode
        implied = IMPLIES.get(ep.fault, set()) if ep.fault != "clean" else set()
        for other in o.raised - {ep.fault} - implied:
            self.fp[other] = self.fp.get(other, 0) + 1
        if ep.fault == "clean":
            self.clean_keyframes += o.judged
            self.clean_alarms += len(o.raised)
            return
        c = self.counts.setdefault((ep.fault, ep.level), {"tp": 0, "fn": 0})
        c["tp" if ep.fault in o.raised else "fn"] += 1

    def recall(self, fault: str, level: str) -> float | None:
        """Share of episodes of `fault` at `level` that raised it."""
        c = self.counts.get((fault, level))
        return None if not c else c["tp"] / (c["tp"] + c["fn"])

    def precision(self, fault: str) -> float:
        """Share of raised `fault` that were right, over every episode."""
        tp = sum(c["tp"] for (f, _), c in self.counts.items() if f == fault)
        return tp / max(1, tp + self.fp.get(fault, 0))

    def weakest(self, fault: str, floor: float = 0.9) -> str:
        """The weakest level detected with recall >= floor."""
        for level in LEVELS:
            r = self.recall(fault, level)
            if r is not None and r >= floor:
                return level
        return "-"

    def markdown(self) -> str:
        """The table for bench/RESULTS.md."""
        lines = [
            "| fault | precision | recall weak | recall normal | recall strong | weakest >= 0.9 |",
            "|---|---|---|---|---|---|",
        ]
        for fault in FAULTS:

            def cell(level: str, f: str = fault) -> str:
                r = self.recall(f, level)
                c = self.counts.get((f, level))
                return "-" if r is None or c is None else f"{r:.2f} ({c['tp']}/{c['tp'] + c['fn']})"

            lines.append(
                f"| {fault} | {self.precision(fault):.2f} | {cell('weak')} | {cell('normal')} "
                f"| {cell('strong')} | {self.weakest(fault)} |"
            )
        return "\n".join(lines)


def evaluate(
    eps: list[Episode], factory: Callable[[], Diagnoser] = Diagnoser, workers: int = 2
) -> Table:
    """Run every episode from its camera's learned state."""
    prepare(eps, workers)
    learned: dict[tuple[Scene, int, float], Diagnoser] = {}
    table = Table()
    for ep in eps:
        k = (ep.scene, ep.bitrate_k, ep.gop_s)
        if k not in learned:
            learned[k] = learn(ep.scene, ep.bitrate_k, ep.gop_s, factory)
        table.add(run_episode(ep, learned[k]))
    return table

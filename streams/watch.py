"""Continuous and patrol watching: packet health, keyframe diagnosis, status per camera."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

import cv2

from streams.baseline import Baseline
from streams.diagnosis import Diagnoser, Tuning, decode_keyframe
from streams.features import compute
from streams.health import PacketHealth
from streams.hub import CameraHub, HubRegistry, LinkState
from streams.packets import Packet, StreamInfo
from streams.urls import SourceUrl

log = logging.getLogger(__name__)
WatchMode = Literal["continuous", "patrol"]


@dataclass(frozen=True, slots=True)
class CameraStatus:
    """What the watcher reports: ok, degraded (with reasons) or offline, plus metrics."""

    camera_id: str
    status: str
    reasons: tuple[str, ...] = ()
    metrics: dict[str, Any] = field(default_factory=dict)


Reporter = Callable[[CameraStatus], Awaitable[None]]


@dataclass
class WatchSettings:
    """Tunables (the console maps its settings onto these)."""

    diagnose_every_s: float = 10.0
    offline_after_s: float = 4.0
    heartbeat_s: float = 30.0
    patrol_concurrency: int = 4  # at least this many visits at once
    patrol_keyframes: int = 2
    patrol_timeout_s: float = 20.0
    diagnosis_workers: int = 1
    # A round over every patrol camera should take about this long (0: as fast as the minimum
    # concurrency allows); concurrency grows to meet it within the CPU budget.
    patrol_target_cycle_s: float = 0.0
    patrol_cpu_budget: float = 0.5  # share of one core the patrol may use
    patrol_max_concurrency: int = 64


@dataclass
class _Cam:
    camera_id: str
    mode: WatchMode
    health: PacketHealth = field(default_factory=PacketHealth)
    diagnoser: Diagnoser = field(default_factory=Diagnoser)
    image_faults: set[str] = field(default_factory=set)
    # Nothing is said about the picture before it was looked at: after a restart, the alerts
    # a camera had stay open until a diagnosis says otherwise.
    diagnosed: bool = False
    reference: bytes | None = None  # JPEG of the view when the baseline became ready
    reference_new: bool = False
    relearn: bool = False
    cpu_s: float = 0.0  # decode and judge thread time spent on this camera
    last_key: Packet | None = None
    diagnosed_key: Packet | None = None
    last_diag_at: float = 0.0
    diag_running: bool = False
    last_report: tuple[str, tuple[str, ...]] | None = None
    last_report_at: float = 0.0
    thumbnail: bytes | None = None
    checked_at: float | None = None
    task: asyncio.Task[None] | None = None


@dataclass
class PatrolProgress:
    """How far the patrol is through its round, and what a visit costs."""

    cameras: int = 0
    checked_this_cycle: int = 0
    cycle_started: float = field(default_factory=time.monotonic)
    last_cycle_s: float | None = None
    in_flight: set[str] = field(default_factory=set)
    visit_s: float | None = None  # moving average of a visit's wall time
    cpu_per_visit_s: float | None = None  # moving average of a visit's decode + judge CPU

    def observe(self, wall_s: float, cpu_s: float) -> None:
        """Account one finished visit."""
        a = 0.1
        self.visit_s = wall_s if self.visit_s is None else (1 - a) * self.visit_s + a * wall_s
        self.cpu_per_visit_s = (
            cpu_s if self.cpu_per_visit_s is None else (1 - a) * self.cpu_per_visit_s + a * cpu_s
        )


@dataclass(frozen=True)
class PatrolPlan:
    """The concurrency a target cycle needs, bounded by the CPU budget."""

    concurrency: int
    expected_cycle_s: float | None
    cpu_limited: bool
    cpu_share: float | None  # of one core, at this concurrency


# Before any visit was measured: connect, then two keyframes at a 2 s GOP; decode and judge.
DEFAULT_VISIT_S = 5.0
DEFAULT_VISIT_CPU_S = 0.05
# The RTSP demux, packet taps and event loop of a visit, on top of the measured decode and
# judge (bench/streams_health.py: 48 ms of process CPU for a 2.2 s visit at 1080p, of which
# 13 ms decode and judge).
DEMUX_CPU_PER_S = 0.016


def plan_patrol(
    cameras: int, settings: WatchSettings, visit_s: float | None, cpu_per_visit_s: float | None
) -> PatrolPlan:
    """Concurrency for a patrol of `cameras` meeting the target cycle within the CPU budget."""
    visit = visit_s or DEFAULT_VISIT_S
    cpu = (cpu_per_visit_s or DEFAULT_VISIT_CPU_S) + DEMUX_CPU_PER_S * visit
    floor = max(1, settings.patrol_concurrency)
    # Visits mostly wait for keyframes: n at once cost n x cpu per visit-time of one core.
    cpu_cap = max(1, int(settings.patrol_cpu_budget * visit / cpu))
    want = floor
    if settings.patrol_target_cycle_s > 0 and cameras:
        want = max(floor, math.ceil(cameras * visit / settings.patrol_target_cycle_s))
    limit = min(settings.patrol_max_concurrency, cpu_cap)
    c = max(1, min(want, max(limit, min(floor, settings.patrol_max_concurrency))))
    c = min(c, max(1, cameras)) if cameras else c
    expected = cameras * visit / c if cameras else None
    return PatrolPlan(c, expected, want > limit, c * cpu / visit)


def _jpeg(img: Any, width: int, quality: int) -> bytes | None:
    h, w = img.shape[:2]
    size = (width, max(2, round(h * width / max(1, w))))
    ok, jpeg = cv2.imencode(".jpg", cv2.resize(img, size), [cv2.IMWRITE_JPEG_QUALITY, quality])
    return jpeg.tobytes() if ok else None


def _diagnose(cam: _Cam, pkt: Packet, info: StreamInfo) -> tuple[set[str], bytes | None]:
    """Decode a keyframe, judge it and make a thumbnail (runs in a worker thread)."""
    t0 = time.thread_time()
    try:
        return _judge(cam, pkt, info)
    finally:
        cam.cpu_s += time.thread_time() - t0


def _judge(cam: _Cam, pkt: Packet, info: StreamInfo) -> tuple[set[str], bytes | None]:
    if cam.relearn:
        cam.relearn = False
        cam.diagnoser.relearn()
    img = decode_keyframe(pkt, info)
    if img is None:
        return {"blank"}, None
    was_ready = cam.diagnoser.baseline.ready
    faults = cam.diagnoser.judge(compute(img))
    if cam.diagnoser.baseline.ready and not was_ready:
        # The view the camera was learned on: what "accept the new view" compares against.
        cam.reference = _jpeg(img, 640, 85)
        cam.reference_new = True
    return faults, _jpeg(img, 320, 75)


class Watcher:
    """Watches cameras in either mode and reports status changes (and heartbeats)."""

    def __init__(
        self, registry: HubRegistry, report: Reporter, settings: WatchSettings | None = None
    ) -> None:
        self.registry = registry
        self.report = report
        self.settings = settings or WatchSettings()
        self._cams: dict[str, _Cam] = {}
        self._pool = ThreadPoolExecutor(
            self.settings.diagnosis_workers, thread_name_prefix="diagnose"
        )
        self._patrol_task: asyncio.Task[None] | None = None
        self._wakeup = asyncio.Event()
        self.progress = PatrolProgress()

    def watch(
        self,
        camera_id: str,
        src: SourceUrl,
        mode: WatchMode,
        tuning: Tuning | None = None,
        baseline: Baseline | None = None,
    ) -> None:
        """Start (or re-point) watching a camera; a saved baseline spares it re-learning."""
        hub = self.registry.get(camera_id)
        moved = hub is not None and hub.src != src
        self.registry.configure(camera_id, src)
        cam = self._cams.get(camera_id)
        if cam is not None and cam.mode != mode:
            self.unwatch(camera_id)
            cam = None
        if cam is not None and moved:
            # Another stream: what was learned of the old one says nothing about it.
            cam.relearn = True
            cam.diagnosed = False
            cam.image_faults = set()
        if cam is not None and tuning is not None:
            cam.diagnoser.tuning = tuning
        if cam is None:
            cam = _Cam(camera_id, mode)
            if tuning is not None:
                cam.diagnoser.tuning = tuning
            if baseline is not None:
                cam.diagnoser.baseline = baseline
            self._cams[camera_id] = cam
            if mode == "continuous":
                cam.task = asyncio.create_task(self._continuous(cam), name=f"watch-{camera_id}")
            else:
                self._ensure_patrol()
        self.progress.cameras = sum(1 for c in self._cams.values() if c.mode == "patrol")

    def unwatch(self, camera_id: str) -> None:
        """Stop watching a camera."""
        cam = self._cams.pop(camera_id, None)
        if cam is not None and cam.task is not None:
            cam.task.cancel()
        self.progress.cameras = sum(1 for c in self._cams.values() if c.mode == "patrol")

    def set_tuning(self, camera_id: str, tuning: Tuning) -> None:
        """Change a camera's sensitivities and switched-off checks (next diagnosis on)."""
        cam = self._cams.get(camera_id)
        if cam is not None:
            cam.diagnoser.tuning = tuning

    def relearn(self, camera_id: str) -> bool:
        """Forget the learned view; the camera shows "learning" until it knows the new one."""
        cam = self._cams.get(camera_id)
        if cam is None:
            return False
        cam.relearn = True
        cam.image_faults = set()
        cam.reference = None
        cam.reference_new = False
        cam.last_diag_at = 0.0
        return True

    def learning(self, camera_id: str) -> bool | None:
        """Whether the camera is still learning its view (None: not watched)."""
        cam = self._cams.get(camera_id)
        return None if cam is None else (cam.relearn or cam.diagnoser.learning)

    async def take_baselines(self) -> list[tuple[str, dict[str, Any], bool, bytes | None]]:
        """Baselines changed since the last call (id, JSON, ready, new reference JPEG).

        Serialised in the diagnosis pool, never while that camera is being judged.
        """
        out = []
        loop = asyncio.get_running_loop()
        for cam in list(self._cams.values()):
            base = cam.diagnoser.baseline
            if cam.diag_running or cam.relearn or not (base.changed or cam.reference_new):
                continue
            cam.diag_running = True
            try:
                data = await loop.run_in_executor(self._pool, base.to_json)
            finally:
                cam.diag_running = False
            base.changed = False
            ref = cam.reference if cam.reference_new else None
            cam.reference_new = False
            out.append((cam.camera_id, data, base.ready, ref))
        return out

    def thumbnail(self, camera_id: str) -> bytes | None:
        """JPEG of the last diagnosed keyframe."""
        cam = self._cams.get(camera_id)
        return cam.thumbnail if cam else None

    def patrol_plan(self) -> PatrolPlan:
        """The concurrency the patrol runs at now, and the cycle it should give."""
        p = self.progress
        return plan_patrol(p.cameras, self.settings, p.visit_s, p.cpu_per_visit_s)

    def patrol_progress(self) -> dict[str, Any]:
        """Patrol round progress, the target cycle and the expected and last actual cycle."""
        p, plan = self.progress, self.patrol_plan()
        target = self.settings.patrol_target_cycle_s
        return {
            "cameras": p.cameras,
            "checked_this_cycle": p.checked_this_cycle,
            "cycle_s": round(time.monotonic() - p.cycle_started, 1),
            "last_cycle_s": None if p.last_cycle_s is None else round(p.last_cycle_s, 1),
            "in_flight": sorted(p.in_flight),
            "concurrency": plan.concurrency,
            "target_cycle_s": target or None,
            "expected_cycle_s": None
            if plan.expected_cycle_s is None
            else round(max(plan.expected_cycle_s, target), 1),
            "cpu_limited": plan.cpu_limited,
            "cpu_budget": self.settings.patrol_cpu_budget,
            "cpu_share": None if plan.cpu_share is None else round(plan.cpu_share, 3),
            "visit_s": None if p.visit_s is None else round(p.visit_s, 2),
            "cpu_per_visit_s": None if p.cpu_per_visit_s is None else round(p.cpu_per_visit_s, 4),
        }

    async def close(self) -> None:
        """Stop every task and the worker pool."""
        tasks = [c.task for c in self._cams.values() if c.task is not None]
        if self._patrol_task is not None:
            tasks.append(self._patrol_task)
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t
        self._cams.clear()
        self._pool.shutdown(wait=True, cancel_futures=True)

    # -- shared ------------------------------------------------------------------------

    def _tap(self, cam: _Cam) -> Callable[[Packet], None]:
        def tap(pkt: Packet) -> None:
            cam.health.feed(pkt)
            if pkt.keyframe:
                cam.last_key = pkt

        return tap

    async def _diagnose_now(self, cam: _Cam, hub: CameraHub) -> None:
        pkt, info = cam.last_key, hub.info
        # Judging the same keyframe twice would read as a frozen picture.
        if pkt is None or info is None or cam.diag_running or pkt is cam.diagnosed_key:
            return
        cam.diagnosed_key = pkt
        cam.diag_running = True
        cam.last_diag_at = time.monotonic()
        try:
            loop = asyncio.get_running_loop()
            faults, thumb = await loop.run_in_executor(self._pool, _diagnose, cam, pkt, info)
        except Exception as exc:
            log.warning("diagnosis failed for camera %s: %s", cam.camera_id, exc)
            faults, thumb = {"blank"}, None
        finally:
            cam.diag_running = False
        cam.image_faults = faults
        cam.diagnosed = True
        cam.checked_at = time.monotonic()
        if thumb is not None:
            cam.thumbnail = thumb

    async def _emit(
        self,
        cam: _Cam,
        hub: CameraHub | None,
        status: str,
        reasons: tuple[str, ...],
        force: bool = False,
    ) -> None:
        now = time.monotonic()
        key = (status, reasons)
        if (
            not force
            and key == cam.last_report
            and now - cam.last_report_at < self.settings.heartbeat_s
        ):
            return
        cam.last_report, cam.last_report_at = key, now
        metrics = cam.health.snapshot(now)
        metrics["scores"] = dict(cam.diagnoser.last_scores)
        if hub is not None:
            # Why the link is down (timeout, unauthorized, refused, stalled...), as a code.
            metrics["link_state"] = str(hub.state)
            metrics["link_reason"] = hub.stats.last_reason if status == "offline" else None
        try:
            await self.report(CameraStatus(cam.camera_id, status, reasons, metrics))
        except Exception:
            log.exception("status report failed for camera %s", cam.camera_id)

    def _status(self, cam: _Cam, hub: CameraHub, now: float) -> tuple[str, tuple[str, ...]] | None:
        """ok, learning, degraded or offline; None while online but not yet looked at."""
        age = None if hub.last_packet_at is None else now - hub.last_packet_at
        if hub.state != LinkState.connected or age is None or age > self.settings.offline_after_s:
            return "offline", ()
        if not cam.diagnosed:
            return None
        reasons = sorted(cam.image_faults | set(cam.health.packet_faults(now)))
        if reasons:
            return "degraded", tuple(reasons)
        return ("learning", ()) if cam.relearn or cam.diagnoser.learning else ("ok", ())

    # -- continuous --------------------------------------------------------------------

    async def _continuous(self, cam: _Cam) -> None:
        hub = self.registry.get(cam.camera_id)
        assert hub is not None
        tap = self._tap(cam)
        hub.add_tap(tap)
        started = time.monotonic()
        was_connected = False
        try:
            while True:
                await asyncio.sleep(0.5)
                now = time.monotonic()
                if hub.state == LinkState.connected and not was_connected:
                    cam.health.reconnected(hub.connected_at or now)
                    # A picture from before an outage says nothing about a frozen encoder now.
                    cam.diagnoser.previous = None
                was_connected = hub.state == LinkState.connected
                if (
                    cam.last_key is not None
                    and now - cam.last_diag_at >= self.settings.diagnose_every_s
                ):
                    await self._diagnose_now(cam, hub)
                status = self._status(cam, hub, now)
                if status is None:
                    continue
                # Give a new connection its open time before calling it offline.
                if (
                    status[0] == "offline"
                    and cam.last_report is None
                    and now - started < hub.options.open_timeout_s + 1
                ):
                    continue
                await self._emit(cam, hub, *status)
        finally:
            hub.remove_tap(tap)

    # -- patrol ------------------------------------------------------------------------

    def _ensure_patrol(self) -> None:
        if self._patrol_task is None or self._patrol_task.done():
            self._patrol_task = asyncio.create_task(self._patrol(), name="patrol")

    async def _patrol(self) -> None:
        running: set[asyncio.Task[None]] = set()
        try:
            while True:
                ids = [c.camera_id for c in self._cams.values() if c.mode == "patrol"]
                if not ids:
                    await asyncio.sleep(1.0)
                    continue
                self.progress.cycle_started = time.monotonic()
                self.progress.checked_this_cycle = 0
                for cid in ids:
                    # Re-planned before every visit: costs are measured as the round goes.
                    while len(running) >= self.patrol_plan().concurrency:
                        await asyncio.wait(set(running), return_when=asyncio.FIRST_COMPLETED)
                    cam = self._cams.get(cid)
                    if cam is None or cam.mode != "patrol":
                        continue
                    task = asyncio.create_task(self._visit(cam), name=f"patrol-{cid}")
                    running.add(task)
                    task.add_done_callback(running.discard)
                while running:
                    await asyncio.wait(set(running))
                took = time.monotonic() - self.progress.cycle_started
                self.progress.last_cycle_s = took
                # No sooner than the target: a small patrol need not visit every few seconds
                # (and a tiny round would spin).
                await asyncio.sleep(
                    max(0.0, self.settings.patrol_target_cycle_s - took, 1.0 - took)
                )
        finally:
            for task in running:
                task.cancel()

    async def _visit(self, cam: _Cam) -> None:
        hub = self.registry.get(cam.camera_id)
        self.progress.in_flight.add(cam.camera_id)
        started, cpu0 = time.monotonic(), cam.cpu_s
        try:
            if hub is None:
                return
            cam.health = PacketHealth()
            tap = self._tap(cam)
            sub = hub.subscribe(maxsize=64, name="patrol", with_gop=False)
            hub.add_tap(tap)
            keys = 0
            failures = hub.stats.failures
            try:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.settings.patrol_timeout_s):
                        while keys < self.settings.patrol_keyframes:
                            try:
                                pkt = await asyncio.wait_for(sub.get(), 0.5)
                            except TimeoutError:
                                # A camera that refused or dropped frees its patrol slot at once.
                                if hub.stats.failures > failures:
                                    break
                                continue
                            if pkt is None:
                                break
                            if pkt.keyframe:
                                keys += 1
                                cam.last_key = pkt
                                await self._diagnose_now(cam, hub)
                status = self._status(cam, hub, time.monotonic()) if keys else ("offline", ())
            finally:
                hub.remove_tap(tap)
                sub.close()
            if status is not None:
                await self._emit(cam, hub, *status, force=True)
        finally:
            self.progress.in_flight.discard(cam.camera_id)
            self.progress.checked_this_cycle += 1
            if hub is not None:
                self.progress.observe(time.monotonic() - started, cam.cpu_s - cpu0)

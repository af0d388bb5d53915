"""Continuous and patrol watching: packet health, keyframe diagnosis, status per camera."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

import cv2

from streams.diagnosis import Diagnoser, decode_keyframe
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
    patrol_concurrency: int = 4
    patrol_keyframes: int = 2
    patrol_timeout_s: float = 20.0
    diagnosis_workers: int = 1


@dataclass
class _Cam:
    camera_id: str
    mode: WatchMode
    health: PacketHealth = field(default_factory=PacketHealth)
    diagnoser: Diagnoser = field(default_factory=Diagnoser)
    image_faults: set[str] = field(default_factory=set)
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
    """How far the patrol is through its round."""

    cameras: int = 0
    checked_this_cycle: int = 0
    cycle_started: float = field(default_factory=time.monotonic)
    last_cycle_s: float | None = None
    in_flight: set[str] = field(default_factory=set)

    def as_dict(self, concurrency: int) -> dict[str, Any]:
        """JSON form."""
        return {
            "cameras": self.cameras,
            "checked_this_cycle": self.checked_this_cycle,
            "cycle_s": round(time.monotonic() - self.cycle_started, 1),
            "last_cycle_s": None if self.last_cycle_s is None else round(self.last_cycle_s, 1),
            "in_flight": sorted(self.in_flight),
            "concurrency": concurrency,
        }


def _diagnose(cam: _Cam, pkt: Packet, info: StreamInfo) -> tuple[set[str], bytes | None]:
    """Decode a keyframe, judge it and make a thumbnail (runs in a worker thread)."""
    img = decode_keyframe(pkt, info)
    if img is None:
        return {"blank"}, None
    faults = cam.diagnoser.judge(compute(img))
    ok, jpeg = cv2.imencode(".jpg", cv2.resize(img, (320, 180)), [cv2.IMWRITE_JPEG_QUALITY, 75])
    return faults, jpeg.tobytes() if ok else None


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

    def watch(self, camera_id: str, src: SourceUrl, mode: WatchMode) -> None:
        """Start (or re-point) watching a camera."""
        self.registry.configure(camera_id, src)
        cam = self._cams.get(camera_id)
        if cam is not None and cam.mode != mode:
            self.unwatch(camera_id)
            cam = None
        if cam is None:
            cam = _Cam(camera_id, mode)
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

    def thumbnail(self, camera_id: str) -> bytes | None:
        """JPEG of the last diagnosed keyframe."""
        cam = self._cams.get(camera_id)
        return cam.thumbnail if cam else None

    def patrol_progress(self) -> dict[str, Any]:
        """Patrol round progress."""
        return self.progress.as_dict(self.settings.patrol_concurrency)

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

    def _status(self, cam: _Cam, hub: CameraHub, now: float) -> tuple[str, tuple[str, ...]]:
        age = None if hub.last_packet_at is None else now - hub.last_packet_at
        if hub.state != LinkState.connected or age is None or age > self.settings.offline_after_s:
            return "offline", ()
        reasons = sorted(cam.image_faults | set(cam.health.packet_faults(now)))
        return ("degraded", tuple(reasons)) if reasons else ("ok", ())

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
                was_connected = hub.state == LinkState.connected
                if (
                    cam.last_key is not None
                    and now - cam.last_diag_at >= self.settings.diagnose_every_s
                ):
                    await self._diagnose_now(cam, hub)
                status = self._status(cam, hub, now)
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
        sem = asyncio.Semaphore(self.settings.patrol_concurrency)
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
                    await sem.acquire()
                    cam = self._cams.get(cid)
                    if cam is None or cam.mode != "patrol":
                        sem.release()
                        continue
                    task = asyncio.create_task(self._visit(cam, sem), name=f"patrol-{cid}")
                    running.add(task)
                    task.add_done_callback(running.discard)
                while running:
                    await asyncio.wait(set(running))
                self.progress.last_cycle_s = time.monotonic() - self.progress.cycle_started
                # A tiny round would spin; a short pause keeps the loop polite.
                await asyncio.sleep(max(0.0, 1.0 - self.progress.last_cycle_s))
        finally:
            for task in running:
                task.cancel()

    async def _visit(self, cam: _Cam, sem: asyncio.Semaphore) -> None:
        hub = self.registry.get(cam.camera_id)
        self.progress.in_flight.add(cam.camera_id)
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
            await self._emit(cam, hub, *status, force=True)
        finally:
            self.progress.in_flight.discard(cam.camera_id)
            self.progress.checked_this_cycle += 1
            sem.release()

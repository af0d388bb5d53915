"""Keeps the stream watchers in step with the registry and feeds the health recorder.

Learned baselines and reference pictures are saved in the store and given back to the
watcher when a camera is watched again (after a restart too), so a camera that moved while
the server was down is not re-learned as normal.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

import cv2
from sqlalchemy import select

from console.cameras import service as cameras
from console.cameras.models import Camera
from console.cameras.secrets import UrlVault
from console.health.models import CameraBaseline, CameraTuning
from console.health.recorder import HealthRecorder, StatusReport
from console.services import Services
from console.store.models import ServerState, utcnow
from streams.baseline import Baseline
from streams.diagnosis import Tuning, decode_keyframe
from streams.hub import HubRegistry
from streams.source import OpenOptions
from streams.urls import SourceUrl, SourceUrlError
from streams.watch import CameraStatus, Watcher, WatchSettings

log = logging.getLogger(__name__)
TARGET_KEY = "health.patrol_target_cycle_s"


def tuning_of(row: CameraTuning | None) -> Tuning:
    """The diagnoser's tuning from its stored row."""
    if row is None:
        return Tuning()
    return Tuning(dict(row.sensitivity), frozenset(row.disabled))


class CameraWatching:
    """Hubs and watchers for every enabled camera."""

    def __init__(self, services: Services, recorder: HealthRecorder) -> None:
        self.services = services
        self.recorder = recorder
        cfg = services.settings.streams
        self.media_root: Path = services.settings.data_dir / "media"
        self.vault = UrlVault(services.secret)
        self.registry = HubRegistry(
            options=OpenOptions(
                rtsp_transport=cfg.rtsp_transport,
                rtsp_parser=cfg.rtsp_parser,
                open_timeout_s=cfg.open_timeout_s,
                read_timeout_s=cfg.open_timeout_s,
            ),
            stall_timeout_s=max(cfg.offline_after_s, 2.0),
            backoff_max_s=cfg.reconnect_max_s,
            stable_s=cfg.reconnect_stable_s,
        )
        self.watcher = Watcher(
            self.registry,
            self._report,
            WatchSettings(
                diagnose_every_s=cfg.diagnose_every_s,
                offline_after_s=cfg.offline_after_s,
                patrol_concurrency=cfg.patrol_concurrency,
                patrol_keyframes=cfg.patrol_keyframes,
                patrol_timeout_s=cfg.patrol_timeout_s,
                diagnosis_workers=cfg.diagnosis_workers,
                patrol_target_cycle_s=cfg.patrol_target_cycle_s,
                patrol_cpu_budget=cfg.patrol_cpu_budget,
                patrol_max_concurrency=cfg.patrol_max_concurrency,
            ),
        )
        self.enabled = cfg.watch
        self.save_every_s = cfg.baseline_save_every_s
        self._saver: asyncio.Task[None] | None = None

    async def _report(self, status: CameraStatus) -> None:
        await self.recorder.report(
            StatusReport(status.camera_id, status.status, status.reasons, status.metrics)
        )

    async def start(self) -> None:
        """Watch every enabled camera in the registry."""
        async with self.services.store.session() as db:
            target = await db.get(ServerState, TARGET_KEY)
        if target is not None:
            self.watcher.settings.patrol_target_cycle_s = float(target.value)
        if not self.enabled:
            return
        async with self.services.store.session() as db:
            ids = list(await db.scalars(select(Camera.id).where(Camera.enabled.is_(True))))
        for cam_id in ids:
            await self.sync(cam_id)
        self._saver = asyncio.create_task(self._save_loop(), name="baseline-saver")

    async def sync(self, camera_id: str) -> None:
        """Re-read one camera and (re)watch or drop it."""
        if not self.enabled:
            return
        async with self.services.store.session() as db:
            cam = await db.get(Camera, camera_id)
            mode = cam.watch_mode if cam is not None else "patrol"
            enabled = cam is not None and cam.enabled
            src: SourceUrl | None = None
            if cam is not None and enabled:
                try:
                    src = cameras.source(cam, self.vault, self.media_root)
                except SourceUrlError as exc:
                    log.warning("camera %s not watched: %s", camera_id, exc)
                    return
            tuning = tuning_of(await db.get(CameraTuning, camera_id))
            saved = None
            if enabled and self.watcher.learning(camera_id) is None:
                saved = await db.get(CameraBaseline, camera_id)
        if src is None:
            self.watcher.unwatch(camera_id)
            await self.registry.remove(camera_id)
            return
        baseline = None
        if saved is not None and saved.data:
            try:
                baseline = await asyncio.to_thread(Baseline.from_json, saved.data)
            except (ValueError, KeyError, TypeError) as exc:
                log.warning(
                    "camera %s: saved baseline not usable (%s); re-learning", camera_id, exc
                )
        hub = self.registry.get(camera_id)
        moved = hub is not None and hub.src != src
        self.watcher.watch(
            camera_id,
            src,
            "continuous" if mode == "continuous" else "patrol",
            tuning=tuning,
            baseline=baseline,
        )
        if moved:
            await self._forget_baseline(camera_id, None)
        log.info("watching camera %s (%s) at %s", camera_id, mode, src.masked)

    def set_tuning(self, camera_id: str, tuning: Tuning) -> None:
        """Apply a camera's new tuning from its next diagnosis."""
        self.watcher.set_tuning(camera_id, tuning)

    async def accept_view(self, camera_id: str, username: str) -> None:
        """Forget the learned view and reference; the camera re-learns what it sees now."""
        self.watcher.relearn(camera_id)
        await self._forget_baseline(camera_id, username)

    async def _forget_baseline(self, camera_id: str, username: str | None) -> None:
        now = utcnow()
        async with self.services.store.session() as db, db.begin():
            row = await db.get(CameraBaseline, camera_id)
            if row is None:
                row = CameraBaseline(camera_id=camera_id, data={}, updated_at=now)
                db.add(row)
            row.data, row.ready, row.updated_at = {}, False, now
            row.reference_jpeg = row.reference_at = None
            row.accepted_by, row.accepted_at = username, now if username else None

    async def set_patrol_target(self, seconds: float) -> None:
        """A new target patrol cycle, kept across restarts."""
        async with self.services.store.session() as db, db.begin():
            row = await db.get(ServerState, TARGET_KEY)
            if row is None:
                db.add(ServerState(key=TARGET_KEY, value=str(seconds)))
            else:
                row.value = str(seconds)
        self.watcher.settings.patrol_target_cycle_s = seconds

    async def save_baselines(self) -> int:
        """Store every baseline learned since the last save; returns how many."""
        changed = await self.watcher.take_baselines()
        if not changed:
            return 0
        now = utcnow()
        async with self.services.store.session() as db, db.begin():
            known = set(
                await db.scalars(select(Camera.id).where(Camera.id.in_([c[0] for c in changed])))
            )
            for cam_id, data, ready, reference in changed:
                if cam_id not in known:
                    continue
                row = await db.get(CameraBaseline, cam_id)
                if row is None:
                    row = CameraBaseline(camera_id=cam_id, data=data, updated_at=now)
                    db.add(row)
                row.data, row.ready, row.updated_at = data, ready, now
                if reference is not None:
                    row.reference_jpeg, row.reference_at = reference, now
        return len(changed)

    async def _save_loop(self) -> None:
        waited = 0.0
        while True:
            # A baseline that just became ready (a new reference picture) is saved promptly.
            await asyncio.sleep(5.0)
            waited += 5.0
            fresh = any(c.reference_new for c in self.watcher._cams.values())
            if not fresh and waited < self.save_every_s:
                continue
            waited = 0.0
            try:
                await self.save_baselines()
            except Exception:
                log.exception("saving camera baselines failed")

    async def snapshot(self, camera_id: str) -> bytes | None:
        """A JPEG of the latest keyframe: the watcher's, or decoded from the hub's cache."""
        thumb = self.watcher.thumbnail(camera_id)
        if thumb is not None:
            return thumb
        hub = self.registry.get(camera_id)
        if hub is None or not hub.gop or hub.info is None:
            return None
        key, info = hub.gop[0], hub.info

        def encode() -> bytes | None:
            img = decode_keyframe(key, info)
            if img is None:
                return None
            ok, jpeg = cv2.imencode(".jpg", cv2.resize(img, (320, 180)))
            return jpeg.tobytes() if ok else None

        return await asyncio.to_thread(encode)

    async def close(self) -> None:
        """Save what was learned, then stop watchers and hubs (every reader thread)."""
        if self._saver is not None:
            self._saver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._saver
        if self.enabled:
            try:
                await self.save_baselines()
            except Exception:
                log.exception("saving camera baselines at shutdown failed")
        await self.watcher.close()
        await self.registry.close()

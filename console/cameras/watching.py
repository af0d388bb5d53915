"""Keeps the stream watchers in step with the registry and feeds the health recorder."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import cv2
from sqlalchemy import select

from console.cameras import service as cameras
from console.cameras.models import Camera
from console.cameras.secrets import UrlVault
from console.health.recorder import HealthRecorder, StatusReport
from console.services import Services
from streams.diagnosis import decode_keyframe
from streams.hub import HubRegistry
from streams.source import OpenOptions
from streams.urls import SourceUrlError
from streams.watch import CameraStatus, Watcher, WatchSettings

log = logging.getLogger(__name__)


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
                open_timeout_s=cfg.open_timeout_s,
                read_timeout_s=cfg.open_timeout_s,
            ),
            stall_timeout_s=max(cfg.offline_after_s, 2.0),
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
            ),
        )
        self.enabled = cfg.watch

    async def _report(self, status: CameraStatus) -> None:
        await self.recorder.report(
            StatusReport(status.camera_id, status.status, status.reasons, status.metrics)
        )

    async def start(self) -> None:
        """Watch every enabled camera in the registry."""
        if not self.enabled:
            return
        async with self.services.store.session() as db:
            ids = list(await db.scalars(select(Camera.id).where(Camera.enabled.is_(True))))
        for cam_id in ids:
            await self.sync(cam_id)

    async def sync(self, camera_id: str) -> None:
        """Re-read one camera and (re)watch or drop it."""
        if not self.enabled:
            return
        async with self.services.store.session() as db:
            cam = await db.get(Camera, camera_id)
            mode = cam.watch_mode if cam is not None else "patrol"
            if cam is None or not cam.enabled:
                src = None
            else:
                try:
                    src = cameras.source(cam, self.vault, self.media_root)
                except SourceUrlError as exc:
                    log.warning("camera %s not watched: %s", camera_id, exc)
                    return
        if src is None:
            self.watcher.unwatch(camera_id)
            await self.registry.remove(camera_id)
            return
        self.watcher.watch(camera_id, src, "continuous" if mode == "continuous" else "patrol")
        log.info("watching camera %s (%s) at %s", camera_id, mode, src.masked)

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
        """Stop watchers and hubs (every reader thread is told to stop)."""
        await self.watcher.close()
        await self.registry.close()

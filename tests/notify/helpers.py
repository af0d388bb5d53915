"""Building notifications and reading what a dispatcher asked to sleep."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from console.notify.dispatcher import Dispatcher
from console.notify.notification import Localized, Notification


def note(**kw: Any) -> Notification:
    """A camera-fault notification for street-a (unit 4) unless told otherwise."""
    kw.setdefault("kind", "camera.fault")
    kw.setdefault("severity", "major")
    kw.setdefault("unit_ids", frozenset({4}))
    kw.setdefault(
        "title", Localized("摄像机告警:东山口 · 视频丢失", "Camera alert: Dongshan · Video lost")
    )
    kw.setdefault("body", Localized("摄像机东山口出现“视频丢失”。", "Camera Dongshan: Video lost."))
    kw.setdefault("link", "/#/health/camera/street-a-cam")
    return Notification(**kw)


class SleepLog:
    """Wraps asyncio.sleep, remembering every wait a worker asked for."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(seconds)


def record_sleeps(d: Dispatcher) -> SleepLog:
    """Make workers created from now on sleep through a SleepLog."""
    log = SleepLog()
    d.deps = dataclasses.replace(d.deps, sleep=log)
    return log


async def settle(client: Any, predicate: Any, timeout: float = 30.0) -> list[dict[str, Any]]:
    """Poll the delivery log until `predicate(rows)` holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    rows: list[dict[str, Any]] = []
    while loop.time() < deadline:
        r = await client.get("/api/notify/deliveries", params={"limit": 500})
        rows = r.json()["items"]
        if predicate(rows):
            return rows
        await asyncio.sleep(0.05)
    raise AssertionError(f"delivery log never settled: {rows[:5]}")


async def add_cameras(app: Any, count: int, unit: int, prefix: str, **fields: Any) -> list[str]:
    """Register cameras straight in the store (the registry API is tested elsewhere)."""
    from console.cameras import service
    from console.cameras.schemas import CameraFields
    from console.cameras.secrets import UrlVault

    services = app.state.services
    ids = [f"{prefix}-{i:03d}" for i in range(count)]
    vault = UrlVault(services.secret)
    async with services.store.session() as db, db.begin():
        for cam_id in ids:
            data = CameraFields(
                name=f"{prefix} {cam_id[-3:]}",
                owner_unit_id=unit,
                main_url="rtsp://127.0.0.1:9/x",
                **fields,
            )
            await service.create(db, cam_id, data, vault, services.settings.data_dir / "media")
    return ids


async def report(app: Any, camera_id: str, status: str, *reasons: str) -> None:
    """Feed a status to the health recorder, as a stream watcher does."""
    from console.health.recorder import StatusReport

    recorder = app.state.services.extensions["health_recorder"]
    await recorder.report(StatusReport(camera_id, status, tuple(reasons)))

"""Turns status reports from the stream watchers into rows, alerts, events and log lines."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge
from sqlalchemy import select

from console.cameras.models import Camera
from console.events import Audience, EventBus
from console.health.models import CameraAlert, CameraHealth, MetricSample, StatusInterval
from console.store.engine import Store
from console.store.models import utcnow

log = logging.getLogger(__name__)
STATUSES = ("ok", "degraded", "offline", "unknown")


@dataclass(frozen=True, slots=True)
class StatusReport:
    """What a watcher knows about one camera now."""

    camera_id: str
    status: str
    reasons: tuple[str, ...] = ()
    metrics: dict[str, Any] = field(default_factory=dict)
    at: datetime = field(default_factory=utcnow)


def fault_kinds(status: str, reasons: tuple[str, ...]) -> set[str]:
    """The alert kinds a status implies: offline alone, or one per degradation reason."""
    if status == "offline":
        return {"offline"}
    if status == "degraded":
        return set(reasons) or {"degraded"}
    return set()


class HealthRecorder:
    """Stores status transitions once (on failure and on recovery) and samples metrics."""

    def __init__(
        self,
        store: Store,
        bus: EventBus,
        sample_every_s: float = 60.0,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.store = store
        self.bus = bus
        self.sample_every = timedelta(seconds=sample_every_s)
        self._last_sample: dict[str, datetime] = {}
        self._current: dict[str, tuple[str, int]] = {}
        # Labels are status and unit only (never camera ids) so cardinality stays bounded.
        self._by_unit = Gauge(
            "eoc_cameras",
            "Cameras by owning unit and status.",
            ["unit_id", "status"],
            registry=registry,
        )
        self._transitions = Counter(
            "eoc_camera_transitions_total",
            "Camera status changes by new status.",
            ["status"],
            registry=registry,
        )

    async def load(self) -> None:
        """Read current statuses so the gauges start right after a restart."""
        async with self.store.session() as db:
            rows = await db.execute(
                select(CameraHealth.camera_id, CameraHealth.status, Camera.owner_unit_id).join(
                    Camera, Camera.id == CameraHealth.camera_id
                )
            )
            for cam_id, status, unit in rows:
                self._count(cam_id, status, unit)

    def _count(self, camera_id: str, status: str, unit: int) -> None:
        old = self._current.get(camera_id)
        if old is not None:
            self._by_unit.labels(str(old[1]), old[0]).dec()
        self._current[camera_id] = (status, unit)
        self._by_unit.labels(str(unit), status).inc()

    async def report(self, rep: StatusReport) -> bool:
        """Record a report; return True when the status or its reasons changed."""
        if rep.status not in STATUSES:
            raise ValueError(f"unknown status {rep.status!r}")
        reasons = sorted(set(rep.reasons))
        async with self.store.session() as db, db.begin():
            camera = await db.get(Camera, rep.camera_id)
            if camera is None:
                return False
            current = await db.get(CameraHealth, rep.camera_id)
            changed = current is None or (current.status, current.reasons) != (rep.status, reasons)
            before = (current.status, tuple(current.reasons)) if current else ("unknown", ())
            if current is None:
                current = CameraHealth(
                    camera_id=rep.camera_id,
                    status=rep.status,
                    reasons=reasons,
                    since=rep.at,
                    checked_at=rep.at,
                    metrics=rep.metrics,
                )
                db.add(current)
            else:
                current.checked_at = rep.at
                current.metrics = rep.metrics
            touched: list[CameraAlert] = []
            if changed:
                touched = await self._transition(db, current, rep, reasons, before)
                await db.flush()
            alert_rows = [a.as_dict() for a in touched]
            last = self._last_sample.get(rep.camera_id)
            if last is None or rep.at - last >= self.sample_every or changed:
                self._last_sample[rep.camera_id] = rep.at
                db.add(
                    MetricSample(
                        camera_id=rep.camera_id, ts=rep.at, status=rep.status, values=rep.metrics
                    )
                )
            units = frozenset({camera.owner_unit_id, *camera.shared_unit_ids})
            name = camera.name
            owner = camera.owner_unit_id
        if changed:
            self._count(rep.camera_id, rep.status, owner)
            self._transitions.labels(rep.status).inc()
            for row in alert_rows:
                await self.bus.publish("camera.alert", row, audience=Audience("health.read", units))
            await self.bus.publish(
                "camera.status",
                {
                    "camera_id": rep.camera_id,
                    "name": name,
                    "status": rep.status,
                    "reasons": reasons,
                    "since": rep.at.isoformat(),
                    "previous": before[0],
                },
                audience=Audience("cameras.read", units),
            )
        return changed

    async def _transition(
        self,
        db: Any,
        current: CameraHealth,
        rep: StatusReport,
        reasons: list[str],
        before: tuple[str, tuple[str, ...]],
    ) -> list[CameraAlert]:
        if before[0] != "unknown" or current.status != rep.status:
            current.since = rep.at
        current.status, current.reasons = rep.status, reasons
        open_iv = await db.scalar(
            select(StatusInterval).where(
                StatusInterval.camera_id == rep.camera_id, StatusInterval.ended_at.is_(None)
            )
        )
        if open_iv is not None:
            open_iv.ended_at = rep.at
        db.add(
            StatusInterval(
                camera_id=rep.camera_id, status=rep.status, reasons=reasons, started_at=rep.at
            )
        )
        new_kinds = fault_kinds(rep.status, tuple(reasons))
        alerts = list(
            await db.scalars(
                select(CameraAlert).where(
                    CameraAlert.camera_id == rep.camera_id,
                    CameraAlert.recovered_at.is_(None),
                    CameraAlert.state != "closed",
                )
            )
        )
        active = {a.kind for a in alerts}
        touched: list[CameraAlert] = []
        for alert in alerts:
            if alert.kind not in new_kinds:
                alert.recovered_at = rep.at
                touched.append(alert)
                log.info("camera %s recovered from %s", rep.camera_id, alert.kind)
        for kind in sorted(new_kinds - active):
            new = CameraAlert(
                camera_id=rep.camera_id,
                kind=kind,
                state="open",
                opened_at=rep.at,
                detail={"metrics": rep.metrics},
            )
            db.add(new)
            touched.append(new)
            log.warning("camera %s fault: %s", rep.camera_id, kind)
        return touched

"""Turns status reports from the stream watchers into rows, alerts, events and log lines.

Alerts: at most one per camera and fault that is not closed. A fault that recovers and comes
back within the quiet period reopens the same alert and counts an occurrence; an alert that
stayed recovered for the whole quiet period closes itself. A camera inside a maintenance
window opens no alerts (its status is still recorded). Every change of an alert is published
as a `camera.alert` event (see `alert_event`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge
from sqlalchemy import select

from console.cameras.models import Camera
from console.events import Audience, EventBus
from console.health.maintenance import MaintenanceCalendar
from console.health.models import CameraAlert, CameraHealth, MetricSample, StatusInterval
from console.health.severity import severity
from console.store.engine import Store
from console.store.models import utcnow

log = logging.getLogger(__name__)
STATUSES = ("ok", "learning", "degraded", "offline", "unknown")


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


def alert_event(alert: CameraAlert, camera: Camera, transition: str) -> dict[str, Any]:
    """The `camera.alert` event body: the alert, what happened to it, and routing facts.

    transition: opened | reopened | recovered | closed | auto_closed | acknowledged.
    Routing facts: unit_id (owner), shared_unit_ids, tags, key_camera, severity, fault.
    """
    return {
        **alert.as_dict(),
        "transition": transition,
        "fault": alert.kind,
        "camera_name": camera.name,
        "unit_id": camera.owner_unit_id,
        "shared_unit_ids": camera.shared_unit_ids,
        "tags": list(camera.tags),
        "key_camera": camera.key_camera,
    }


class HealthRecorder:
    """Stores status transitions once (on failure and on recovery) and samples metrics."""

    def __init__(
        self,
        store: Store,
        bus: EventBus,
        sample_every_s: float = 60.0,
        registry: CollectorRegistry | None = None,
        quiet_s: float = 1800.0,
    ) -> None:
        self.store = store
        self.bus = bus
        self.quiet = timedelta(seconds=quiet_s)
        self.calendar = MaintenanceCalendar(store)
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
            if changed:
                await self._transition(db, current, rep, reasons, before)
            muted = self.calendar.muting(camera, rep.at)
            touched = await self._reconcile(db, camera, rep.status, reasons, rep.at, muted)
            await db.flush()
            alert_rows = [alert_event(a, camera, how) for a, how in touched]
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
        for row in alert_rows:
            await self.bus.publish("camera.alert", row, audience=Audience("health.read", units))
        if changed:
            self._count(rep.camera_id, rep.status, owner)
            self._transitions.labels(rep.status).inc()
            await self.bus.publish(
                "camera.status",
                {
                    "camera_id": rep.camera_id,
                    "name": name,
                    "status": rep.status,
                    "reasons": reasons,
                    "since": rep.at.isoformat(),
                    "previous": before[0],
                    "muted": muted is not None,
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
    ) -> None:
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

    async def _reconcile(
        self,
        db: Any,
        camera: Camera,
        status: str,
        reasons: list[str],
        at: datetime,
        muted: Any,
    ) -> list[tuple[CameraAlert, str]]:
        """Bring the camera's alerts in line with its faults now; return what changed."""
        faults = fault_kinds(status, tuple(reasons))
        alerts = list(
            await db.scalars(
                select(CameraAlert).where(
                    CameraAlert.camera_id == camera.id, CameraAlert.state != "closed"
                )
            )
        )
        touched: list[tuple[CameraAlert, str]] = []
        have = {a.kind for a in alerts}
        for alert in alerts:
            if alert.kind not in faults:
                if alert.recovered_at is None:
                    alert.recovered_at = at
                    touched.append((alert, "recovered"))
                    log.info("camera %s recovered from %s", camera.id, alert.kind)
            elif alert.recovered_at is not None and muted is None:
                if at - alert.recovered_at <= self.quiet:
                    alert.recovered_at = None
                    alert.occurrences += 1
                    alert.last_raised_at = at
                    alert.severity = severity(alert.kind, camera.key_camera)
                    touched.append((alert, "reopened"))
                    log.warning(
                        "camera %s fault again: %s (%d times)",
                        camera.id,
                        alert.kind,
                        alert.occurrences,
                    )
                else:
                    # Quiet for longer than the period: that alert is over, this is a new one.
                    self._close_quiet(alert, at)
                    touched.append((alert, "auto_closed"))
                    have.discard(alert.kind)
        if muted is not None:
            return touched
        for kind in sorted(faults - have):
            new = CameraAlert(
                camera_id=camera.id,
                kind=kind,
                state="open",
                opened_at=at,
                last_raised_at=at,
                occurrences=1,
                severity=severity(kind, camera.key_camera),
                detail={},
            )
            db.add(new)
            touched.append((new, "opened"))
            log.warning("camera %s fault: %s", camera.id, kind)
        return touched

    def _close_quiet(self, alert: CameraAlert, at: datetime) -> None:
        alert.state, alert.closed_by, alert.closed_at = "closed", "system", at
        minutes = round(self.quiet.total_seconds() / 60)
        note = f"closed after {minutes} min without recurrence"
        alert.note = (alert.note + "\n" if alert.note else "") + note

    async def sweep(self, now: datetime | None = None) -> int:
        """Close alerts recovered for the whole quiet period; open alerts whose maintenance
        window ended while the fault stays. Returns how many alerts changed."""
        now = now or utcnow()
        await self.calendar.refresh()
        events: list[tuple[dict[str, Any], frozenset[int]]] = []
        async with self.store.session() as db, db.begin():
            quiet = list(
                await db.scalars(
                    select(CameraAlert).where(
                        CameraAlert.state != "closed",
                        CameraAlert.recovered_at.is_not(None),
                        CameraAlert.recovered_at < now - self.quiet,
                    )
                )
            )
            for alert in quiet:
                self._close_quiet(alert, now)
                cam = await db.get(Camera, alert.camera_id)
                if cam is not None:
                    units = frozenset({cam.owner_unit_id, *cam.shared_unit_ids})
                    events.append((alert_event(alert, cam, "auto_closed"), units))
            # Faults that went unalerted while muted are alerted once the window is over.
            faulty = list(
                await db.scalars(
                    select(CameraHealth).where(CameraHealth.status.in_(("degraded", "offline")))
                )
            )
            for h in faulty:
                cam = await db.get(Camera, h.camera_id)
                if cam is None:
                    continue
                muted = self.calendar.muting(cam, now)
                for alert, how in await self._reconcile(
                    db, cam, h.status, list(h.reasons), now, muted
                ):
                    await db.flush()
                    units = frozenset({cam.owner_unit_id, *cam.shared_unit_ids})
                    events.append((alert_event(alert, cam, how), units))
        for body, units in events:
            await self.bus.publish("camera.alert", body, audience=Audience("health.read", units))
        return len(events)

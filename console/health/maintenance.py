"""Maintenance windows: which cameras are muted when (one-off or repeating daily/weekly)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select

from console.cameras.models import Camera
from console.health.models import MaintenanceWindow
from console.store.engine import Store
from console.store.models import utcnow

PERIOD = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}


def active_at(w: MaintenanceWindow, at: datetime) -> bool:
    """Whether the window mutes at `at` (a repeating one in any of its occurrences)."""
    if w.ended_at is not None and at >= w.ended_at:
        return False
    if at < w.starts_at:
        return False
    length = w.ends_at - w.starts_at
    if w.repeat == "none":
        return at < w.ends_at
    if w.repeat_until is not None and at > w.repeat_until:
        return False
    period = PERIOD[w.repeat]
    k = (at - w.starts_at) // period
    start = w.starts_at + k * period
    return start <= at < start + length


def next_change(w: MaintenanceWindow, at: datetime) -> datetime | None:
    """When the window next starts or ends after `at` (None: never again)."""
    if w.ended_at is not None and at >= w.ended_at:
        return None
    if w.repeat == "none":
        for t in (w.starts_at, w.ends_at):
            if t > at:
                return t
        return None
    period = PERIOD[w.repeat]
    k = max(0, (at - w.starts_at) // period)
    for n in (k, k + 1):
        for t in (w.starts_at + n * period, w.ends_at + n * period):
            if t > at and (
                w.repeat_until is None or t <= w.repeat_until + (w.ends_at - w.starts_at)
            ):
                return t
    return None


def applies_to(w: MaintenanceWindow, camera: Camera) -> bool:
    """Whether the window's scope covers the camera."""
    if w.scope == "camera":
        return w.camera_id == camera.id
    if w.scope == "unit":
        return w.unit_id == camera.owner_unit_id
    return w.tag in camera.tags and camera.owner_unit_id in (w.within_units or [])


class MaintenanceCalendar:
    """The windows that can still mute, cached in memory (refreshed on change and sweeps)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.windows: list[MaintenanceWindow] = []

    async def refresh(self) -> None:
        """Reload every window not yet over."""
        now = utcnow()
        async with self.store.session() as db:
            rows = await db.scalars(
                select(MaintenanceWindow).where(
                    or_(MaintenanceWindow.ended_at.is_(None), MaintenanceWindow.ended_at > now),
                    or_(
                        MaintenanceWindow.ends_at > now,
                        (MaintenanceWindow.repeat != "none")
                        & or_(
                            MaintenanceWindow.repeat_until.is_(None),
                            MaintenanceWindow.repeat_until > now - timedelta(days=7),
                        ),
                    ),
                )
            )
            self.windows = list(rows)

    def muting(self, camera: Camera, at: datetime) -> MaintenanceWindow | None:
        """The window muting `camera` at `at`, if any."""
        for w in self.windows:
            if applies_to(w, camera) and active_at(w, at):
                return w
        return None

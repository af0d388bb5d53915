"""Live views follow access: when a camera's sharing, a user's roles or unit, or the unit tree
changes, every open view whose user may no longer watch that camera is stopped at once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from console.audit import Actor
from console.auth.policy import authorize
from console.cameras import service as cameras
from console.cameras.models import Camera
from console.deps import principal_of
from console.events import Event
from console.services import Services
from console.store.models import User

log = logging.getLogger(__name__)

CAMERA_EVENTS = frozenset({"camera.updated", "camera.deleted", "camera.revoked"})
USER_EVENTS = frozenset({"user.updated", "user.credentials.revoked"})
UNIT_EVENTS = frozenset({"unit.created", "unit.updated"})
REVOKED = "access revoked"


@dataclass(frozen=True, slots=True)
class OpenView:
    """One open view to check: who watches which camera, and how to stop it."""

    key: object  # a viewer id, or an MJPEG task
    camera_id: str
    actor: Actor


def _affected(views: Iterable[OpenView], event: Event | None) -> list[OpenView]:
    views = list(views)
    if event is None or event.type in UNIT_EVENTS:
        return views
    about = event.data.get("id")
    if event.type in CAMERA_EVENTS:
        return [v for v in views if v.camera_id == about]
    return [v for v in views if v.actor.id == about]


async def refused(services: Services, views: list[OpenView], event: Event | None) -> list[OpenView]:
    """The views among `views` whose user may no longer watch their camera."""
    if event is not None and event.type == "user.credentials.revoked":
        if event.data.get("by_admin"):
            return views  # an admin reset the password: whoever was watching is cut off
        return []
    if not views:
        return []
    user_ids = {v.actor.id for v in views if v.actor.id is not None}
    cam_ids = {v.camera_id for v in views}
    async with services.store.session() as db:
        users = {u.id: u for u in await db.scalars(select(User).where(User.id.in_(user_ids)))}
        cams = {c.id: c for c in await db.scalars(select(Camera).where(Camera.id.in_(cam_ids)))}
    out = []
    for v in views:
        user = users.get(v.actor.id) if v.actor.id is not None else None
        cam = cams.get(v.camera_id)
        if user is None or user.disabled or cam is None:
            out.append(v)
            continue
        principal = principal_of(user, services, v.actor.ip)
        if not authorize(principal, "live.view", cameras.resource(cam)).allowed:
            out.append(v)
    return out


class AccessFollower:
    """A task that reads the event bus and stops views whose access went."""

    def __init__(self, services: Services, module: Any) -> None:
        self.services = services
        self.module = module
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start following the bus."""
        self.task = asyncio.create_task(self._run(), name="live-access")

    async def stop(self) -> None:
        """Stop following."""
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
            self.task = None

    def _views(self) -> list[OpenView]:
        from console.live.router import MJPEG_OWNERS

        manager = self.module.manager
        views: list[OpenView] = []
        if manager is not None:
            for viewer in [*manager.viewers.values(), *manager.streams.values()]:
                actor = self.module.viewer_actors.get(viewer.id)
                if actor is not None:
                    views.append(OpenView(viewer.id, viewer.camera_id, actor))
        views += [OpenView(task, cam, actor) for task, (actor, cam) in MJPEG_OWNERS.items()]
        return views

    async def check(self, event: Event | None) -> int:
        """Stop the views the event took access from; returns how many were stopped."""
        stop = await refused(self.services, _affected(self._views(), event), event)
        manager = self.module.manager
        for view in stop:
            log.info("stopping live view of %s by %s: %s", view.camera_id, view.actor.name, REVOKED)
            if isinstance(view.key, asyncio.Task):
                view.key.cancel()
            elif manager is not None and isinstance(view.key, int):
                await manager.close(view.key, REVOKED)
        return len(stop)

    async def _run(self) -> None:
        bus = self.services.bus
        watched = CAMERA_EVENTS | USER_EVENTS | UNIT_EVENTS
        while True:
            sub, _ = bus.subscribe(None, 1024)
            try:
                while (event := await sub.get()) is not None:
                    if event.type in watched:
                        try:
                            await self.check(event)
                        except Exception:
                            log.exception("checking live views after %s failed", event.type)
            finally:
                bus.unsubscribe(sub)
            # Dropped as too slow: events were missed, so look at every view.
            await self.check(None)

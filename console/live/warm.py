"""Keeps warm what an operator is about to see, so it starts at once: key cameras' and saved
walls' streams held open within a budget, and short leases browsers take for the next tour
step or the main stream behind a tile going full screen.

A held stream costs its demux (about 1 % of a core for 1080p25, see bench/RESULTS.md) and
its bandwidth; in return a viewer gets the cached GOP instead of waiting for a keyframe.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass

from sqlalchemy import select

from console.cameras.models import Camera
from console.cameras.watching import CameraWatching
from console.errors import ProblemError
from console.live.deps import hub_for
from console.services import Services
from console.walls.models import Wall
from streams.hub import CameraHub
from streams.packets import Packet

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Lease:
    """A browser's request to keep a stream open until `until` (monotonic)."""

    user: str
    key: str
    until: float


class Warmer:
    """Holds hubs open with a no-op tap: the planned set (budget) plus leases."""

    def __init__(self, services: Services, watching: CameraWatching) -> None:
        self.services = services
        self.watching = watching
        self.cfg = services.settings.live
        self.held: dict[str, CameraHub] = {}  # hub key -> hub, planned or leased
        self.planned: list[str] = []  # hub keys in priority order
        self.leases: list[Lease] = []
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    def _noop(self, _pkt: Packet) -> None:
        """The tap that keeps a hub open (the hub caches its GOP on its own)."""

    def start(self) -> None:
        """Begin planning (no-op with a zero budget and no leases)."""
        self._task = asyncio.create_task(self._run(), name="live-warmer")

    def refresh_soon(self) -> None:
        """Recompute the warm set now (walls or cameras changed)."""
        self._wake.set()

    async def _run(self) -> None:
        while True:
            try:
                await self.refresh()
            except Exception:
                log.exception("could not plan the warm camera set")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._next_wait())

    def _next_wait(self) -> float:
        wait = self.cfg.warm_refresh_s
        now = time.monotonic()
        for lease in self.leases:
            wait = min(wait, max(0.05, lease.until - now))
        return wait

    async def _plan(self) -> list[Camera]:
        """Cameras in priority order: key cameras, then saved walls' (latest change first)."""
        async with self.services.store.session() as db:
            keys = list(
                await db.scalars(
                    select(Camera)
                    .where(Camera.key_camera.is_(True), Camera.enabled.is_(True))
                    .order_by(Camera.id)
                )
            )
            walls = list(await db.scalars(select(Wall).order_by(Wall.updated_at.desc())))
            wanted = [t for w in walls for t in w.tiles if isinstance(t, str)]
            on_walls = {
                c.id: c
                for c in await db.scalars(
                    select(Camera).where(Camera.id.in_(set(wanted)), Camera.enabled.is_(True))
                )
            }
        ordered = {c.id: c for c in keys}
        for cid in wanted:
            if cid in on_walls:
                ordered.setdefault(cid, on_walls[cid])
        return list(ordered.values())

    async def refresh(self) -> None:
        """Hold the planned set within the budget, plus unexpired leases; release the rest."""
        now = time.monotonic()
        self.leases = [x for x in self.leases if x.until > now]
        planned: dict[str, CameraHub] = {}
        if self.cfg.warm_budget > 0:
            for cam in await self._plan():
                if len(planned) >= self.cfg.warm_budget:
                    break
                try:
                    hub, _stream = hub_for(cam, "auto", self.watching)
                except ProblemError:
                    continue  # an unusable URL: its tile says so when opened
                planned[hub.camera_id] = hub
        self.planned = list(planned)
        leased = {x.key: self.watching.registry.get(x.key) for x in self.leases}
        wanted = {**planned, **{k: h for k, h in leased.items() if h is not None}}
        for key in list(self.held):
            if wanted.get(key) is not self.held[key]:  # unwanted, or the hub was replaced
                self.held.pop(key).remove_tap(self._noop)
        for key, hub in wanted.items():
            if key not in self.held:
                hub.add_tap(self._noop)
                self.held[key] = hub

    def lease(self, user: str, hubs: list[CameraHub], seconds: float) -> int:
        """Keep these hubs open for `seconds` (capped); returns how many are now leased."""
        now = time.monotonic()
        seconds = min(seconds, self.cfg.prewarm_max_s)
        self.leases = [
            x
            for x in self.leases
            if x.until > now and not (x.user == user and x.key in {h.camera_id for h in hubs})
        ]
        mine = sum(1 for x in self.leases if x.user == user)
        room = max(0, self.cfg.prewarm_per_user - mine)
        for hub in hubs[:room]:
            self.leases.append(Lease(user, hub.camera_id, now + seconds))
            if hub.camera_id not in self.held:
                hub.add_tap(self._noop)
                self.held[hub.camera_id] = hub
        self.refresh_soon()  # schedules the lease's expiry
        return min(len(hubs), room)

    async def close(self) -> None:
        """Stop planning and release every held stream."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for hub in self.held.values():
            hub.remove_tap(self._noop)
        self.held.clear()

"""The readiness service: loads the layers, scores every community, keeps snapshots and events.

A full recompute reads the layers (communities, shelters, teams, buildings, routes from
gis_features; kit totals from gis_kit_distributions; cameras with their field of view from
the registry and their health) and runs the analysis in a worker thread. Kit batches
rescore only the kits of their communities; drill changes only the drills component.
A snapshot row is written for a community the first time and whenever its score moves, and
"readiness.score.changed" is published for every move.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import func, select

from console.events import Audience, Event, EventBus
from console.gis.models import ReadinessSnapshot
from console.gis.readiness_data import (
    State,
    compute,
    drill_stats,
    kit_sums,
    load_raw,
)
from console.settings import ReadinessSettings
from console.store.engine import Store
from gis import readiness as model

log = logging.getLogger(__name__)
AUDIENCE = Audience(permission="readiness.read")
FULL_EVENTS = frozenset(
    {
        "gis.feature.imported",
        "gis.feature.changed",
        "camera.status",
        "camera.created",
        "camera.updated",
        "camera.deleted",
        "camera.imported",
    }
)
TREND_POINTS = 30


class ReadinessService:
    """Holds the current readiness and keeps it up to date from bus events."""

    def __init__(
        self,
        store: Store,
        bus: EventBus,
        cfg: ReadinessSettings,
        leads: Callable[[], bool] = lambda: True,
    ) -> None:
        self.store = store
        self.bus = bus
        self.cfg = cfg
        # Every node keeps its own state from the same events; only the leading node records
        # snapshots and announces moves, so several nodes never write them twice.
        self.leads = leads
        self.state: State | None = None
        self._lock = asyncio.Lock()
        self._last: dict[str, float] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._pending: asyncio.Task[None] | None = None
        self._dirty = False

    def _spawn(self, coro: Any, name: str) -> asyncio.Task[Any]:
        task: asyncio.Task[Any] = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def start(self) -> None:
        """Load the last stored scores, subscribe to input events and compute once."""
        async with self.store.session() as db:
            latest = (
                select(func.max(ReadinessSnapshot.id))
                .group_by(ReadinessSnapshot.community_code)
                .scalar_subquery()
            )
            rows = await db.execute(
                select(ReadinessSnapshot.community_code, ReadinessSnapshot.score).where(
                    ReadinessSnapshot.id.in_(latest)
                )
            )
            self._last = {c: float(s) for c, s in rows}
        sub, _ = self.bus.subscribe(maxsize=1024)
        self._spawn(self._consume(sub), "readiness-events")
        self._spawn(self.recompute(), "readiness-initial")

    async def stop(self) -> None:
        """Cancel every task this service started."""
        tasks = list(self._tasks)
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t

    async def current(self) -> State:
        """The current state, computing it first if there is none yet."""
        if self.state is None:
            await self.recompute()
        assert self.state is not None
        return self.state

    async def recompute(self) -> dict[str, Any]:
        """Full recompute now; returns counts and timings."""
        async with self._lock:
            t0 = time.perf_counter()
            async with self.store.session() as db:
                raw = await load_raw(db)
                codes = [str(p.get("code") or f) for f, _, p in raw.layers["communities"]]
                drills = await drill_stats(db, codes)
            state = await asyncio.to_thread(compute, raw, drills, self.cfg)
            changed = await self._commit(state, np.arange(len(codes)))
            self.state = state
            out = {
                "communities": len(codes),
                "changed": changed,
                "seconds": round(time.perf_counter() - t0, 4),
                "analysis_seconds": round(state.seconds, 4),
            }
            log.info("readiness recomputed: %s communities, %s moved", len(codes), changed)
            return out

    async def update_kits(self, codes: list[str]) -> int:
        """Rescore only the kits (and score) of these communities after a kit batch."""
        async with self._lock:
            st = self.state
            if st is None:
                return 0
            idx = np.array(sorted({st.index[c] for c in codes if c in st.index}), dtype=int)
            if len(idx) == 0:
                return 0
            async with self.store.session() as db:
                sums = await kit_sums(db, [st.layers.community_codes[i] for i in idx])
            st.metrics.kits[idx] = 0.0
            cat_of = {c: k for k, c in enumerate(model.KIT_CATEGORIES)}
            for code, cat, qty in sums:
                if cat in cat_of:
                    st.metrics.kits[st.index[code], cat_of[cat]] += qty
            model.rescore_kits(st.metrics, st.scores, st.total, idx, self.cfg)
            return await self._commit(st, idx)

    async def update_drills(self) -> int:
        """Reload drill records and rescore the drills component everywhere."""
        async with self._lock:
            st = self.state
            if st is None:
                return 0
            async with self.store.session() as db:
                st.drills = await drill_stats(db, st.layers.community_codes)
            st.scores[:, model.DRILLS] = model.drill_scores(st.drills, len(st.total), self.cfg)
            st.total[:] = model.totals(st.scores, self.cfg, st.metrics.population_known)
            return await self._commit(st, np.arange(len(st.total)))

    async def _commit(self, st: State, idx: model.IntArray) -> int:
        """Snapshot the communities whose score moved (or is new); publish each move."""
        st.revision += 1
        now = datetime.now(UTC)
        moved: list[tuple[str, float, float | None]] = []
        record = self.leads()
        async with self.store.session() as db, db.begin():
            for i in idx:
                score = st.total[i]
                if not np.isfinite(score):
                    continue
                code = st.layers.community_codes[i]
                new = round(float(score), 1)
                old = self._last.get(code)
                if old is not None and round(old, 1) == new:
                    continue
                comps = {
                    c: (None if not np.isfinite(v) else round(float(v), 1))
                    for c, v in zip(model.COMPONENTS, st.scores[i], strict=True)
                }
                if record:
                    db.add(
                        ReadinessSnapshot(
                            community_code=code, score=new, components=comps, computed_at=now
                        )
                    )
                moved.append((code, new, old))
        for code, new, old in moved:
            self._last[code] = new
            if old is not None and record:
                await self.bus.publish(
                    "readiness.score.changed",
                    {"code": code, "score": new, "previous": round(old, 1)},
                    audience=AUDIENCE,
                )
        return len(moved)

    def schedule_full(self) -> None:
        """A debounced full recompute (one runs after the last of a burst of changes)."""
        self._dirty = True
        if self._pending is None or self._pending.done():
            self._pending = self._spawn(self._debounced(), "readiness-debounce")

    async def _debounced(self) -> None:
        while self._dirty:
            self._dirty = False
            await asyncio.sleep(self.cfg.debounce_s)
            if self._dirty:
                continue
            try:
                await self.recompute()
            except Exception:
                log.exception("readiness recompute failed")

    async def _consume(self, sub: Any) -> None:
        """Route input events; on a dropped subscription resubscribe and recompute."""
        while True:
            try:
                while (event := await sub.get()) is not None:
                    await self._handle(event)
            finally:
                self.bus.unsubscribe(sub)
            log.warning("readiness event subscription dropped; recomputing everything")
            sub, _ = self.bus.subscribe(maxsize=1024)
            self.schedule_full()

    async def _handle(self, event: Event) -> None:
        try:
            if event.type in FULL_EVENTS:
                self.schedule_full()
            elif event.type == "gis.kits.imported":
                codes = [str(c) for c in event.data.get("community_codes") or []]
                await self.update_kits(codes)
            elif event.type == "drills.drill.changed":
                await self.update_drills()
        except Exception:
            log.exception("readiness update for %s failed", event.type)

    async def trends(self, codes: list[str]) -> dict[str, list[list[Any]]]:
        """Stored score history per community (oldest first, the last TREND_POINTS)."""
        out: dict[str, list[list[Any]]] = {c: [] for c in codes}
        async with self.store.session() as db:
            rows = await db.execute(
                select(
                    ReadinessSnapshot.community_code,
                    ReadinessSnapshot.computed_at,
                    ReadinessSnapshot.score,
                )
                .where(ReadinessSnapshot.community_code.in_(codes))
                .order_by(ReadinessSnapshot.computed_at, ReadinessSnapshot.id)
            )
            for code, at, score in rows:
                out[code].append([at.isoformat(), score])
        return {c: v[-TREND_POINTS:] for c, v in out.items()}

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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import shapely
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from console.cameras.models import Camera
from console.events import Audience, Event, InProcessBus
from console.gis.models import Feature, KitDistribution, ReadinessSnapshot
from console.health.models import CameraHealth
from console.settings import ReadinessSettings
from console.store.engine import Store
from gis import analysis
from gis import readiness as model
from gis.synth import KINDS

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
UNHEALTHY = frozenset({"offline", "degraded"})
TREND_POINTS = 30


@dataclass
class Raw:
    """Rows read from the database, parsed in the worker thread."""

    layers: dict[str, list[tuple[str, str, dict[str, Any]]]]
    kits: list[tuple[str, str, int]]
    cameras: list[tuple[Any, ...]]


@dataclass
class State:
    """The current readiness of every community and what it was computed from."""

    computed_at: datetime
    layers: analysis.Layers
    metrics: analysis.Metrics
    scores: model.FloatArray
    total: model.FloatArray
    drills: list[model.DrillStats] | None
    communities: list[dict[str, Any]]
    index: dict[str, int]
    shelters: list[dict[str, Any]]
    teams: list[dict[str, Any]]
    routes: list[dict[str, Any]]
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)


async def load_raw(db: AsyncSession) -> Raw:
    """Read every input layer (columns only, no ORM objects for the big layers)."""
    layers: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for name in ("communities", "shelters", "teams", "buildings", "routes"):
        rows = await db.execute(
            select(Feature.fid, Feature.geometry, Feature.properties)
            .where(Feature.layer == name, Feature.deleted.is_(False))
            .order_by(Feature.fid)
        )
        layers[name] = [(r[0], r[1], r[2]) for r in rows]
    return Raw(layers, await kit_sums(db, None), await _cameras(db))


async def kit_sums(db: AsyncSession, codes: list[str] | None) -> list[tuple[str, str, int]]:
    """Delivered kits per (community, category), summed in the database."""
    stmt = select(
        KitDistribution.community_code, KitDistribution.category, func.sum(KitDistribution.quantity)
    ).group_by(KitDistribution.community_code, KitDistribution.category)
    if codes is not None:
        stmt = stmt.where(KitDistribution.community_code.in_(codes))
    return [(str(c), str(k), int(q or 0)) for c, k, q in await db.execute(stmt)]


async def _cameras(db: AsyncSession) -> list[tuple[Any, ...]]:
    """Cameras with a position and field of view, and whether each is healthy."""
    rows = await db.execute(
        select(
            Camera.id,
            Camera.lon,
            Camera.lat,
            Camera.bearing,
            Camera.fov_angle,
            Camera.fov_range_m,
            Camera.enabled,
            CameraHealth.status,
        )
        .outerjoin(CameraHealth, CameraHealth.camera_id == Camera.id)
        .where(Camera.lon.is_not(None), Camera.lat.is_not(None))
        .order_by(Camera.id)
    )
    return [(*r[:6], bool(r[6]) and r[7] not in UNHEALTHY) for r in rows]


def _num(v: Any, default: float = 0.0) -> float:
    try:
        return float(v) if v is not None else default
    except (TypeError, ValueError):
        return default


def build_layers(raw: Raw) -> tuple[analysis.Layers, dict[str, list[dict[str, Any]]]]:
    """Analysis inputs and display rows from the raw rows (CPU work: run in a thread)."""
    comms = raw.layers["communities"]
    props = [p for _, _, p in comms]
    codes = [str(p.get("code") or fid) for fid, _, p in comms]
    index = {c: i for i, c in enumerate(codes)}

    def geoms(name: str) -> analysis.GeomArray:
        texts = np.array([g for _, g, _ in raw.layers[name]], dtype=object)
        return shapely.from_geojson(texts) if len(texts) else np.empty(0, dtype=object)

    def points(name: str) -> tuple[model.FloatArray, model.FloatArray]:
        g = geoms(name)
        if len(g) == 0:
            return np.zeros(0), np.zeros(0)
        xy = shapely.get_coordinates(shapely.point_on_surface(g))
        return xy[:, 0], xy[:, 1]

    def col(rows: list[dict[str, Any]], key: str) -> model.FloatArray:
        return np.array([_num(p.get(key)) for p in rows], dtype=float)

    def comm_idx(rows: list[tuple[str, str, dict[str, Any]]]) -> model.IntArray:
        return np.array([index.get(str(p.get("community_code")), -1) for _, _, p in rows], int)

    shel = raw.layers["shelters"]
    sprops = [p for _, _, p in shel]
    kind_of = {k: i for i, k in enumerate(KINDS)}
    slon, slat = points("shelters")
    blon, blat = points("buildings")
    ratings = {"safe": 0, "moderate": 1, "unsafe": 2, "unknown": 3}
    cat_of = {c: i for i, c in enumerate(model.KIT_CATEGORIES)}
    cams = raw.cameras
    teams = raw.layers["teams"]
    routes = raw.layers["routes"]
    layers = analysis.Layers(
        community_codes=codes,
        community_geoms=geoms("communities"),
        population=col(props, "population"),
        households=col(props, "households"),
        elderly=col(props, "elderly"),
        disabled=col(props, "disabled"),
        children=col(props, "children"),
        shelter_ids=[fid for fid, _, _ in shel],
        shelter_lon=slon,
        shelter_lat=slat,
        shelter_kind=np.array([kind_of.get(str(p.get("kind")), 0) for p in sprops], int),
        shelter_capacity=col(sprops, "capacity"),
        shelter_area=np.array([_num(p.get("effective_area_m2"), np.nan) for p in sprops]),
        kit_community=np.array([index.get(c, -1) for c, _, _ in raw.kits], int),
        kit_category=np.array([cat_of.get(k, -1) for _, k, _ in raw.kits], int),
        kit_quantity=np.array([q for _, _, q in raw.kits], float),
        team_community=comm_idx(teams),
        team_heads=col([p for _, _, p in teams], "head_count"),
        building_lon=blon,
        building_lat=blat,
        building_rating=np.array(
            [ratings.get(str(p.get("rating")), 3) for _, _, p in raw.layers["buildings"]], int
        ),
        route_ids=[fid for fid, _, _ in routes],
        route_geoms=geoms("routes"),
        route_community=comm_idx(routes),
        camera_ids=[str(c[0]) for c in cams],
        camera_lon=np.array([_num(c[1], np.nan) for c in cams]),
        camera_lat=np.array([_num(c[2], np.nan) for c in cams]),
        camera_bearing=np.array([_num(c[3], np.nan) for c in cams]),
        camera_angle=np.array([_num(c[4], np.nan) for c in cams]),
        camera_range=np.array([_num(c[5], np.nan) for c in cams]),
        camera_healthy=np.array([bool(c[6]) for c in cams], dtype=bool),
    )
    display = {
        "communities": [
            {
                "code": codes[i],
                "name": p.get("name") or codes[i],
                "street_office": p.get("street_office"),
                "population": int(_num(p.get("population"))),
                "households": int(_num(p.get("households"))),
            }
            for i, p in enumerate(props)
        ],
        "shelters": [
            {"id": fid, "name": p.get("name"), "kind": p.get("kind"), "capacity": p.get("capacity")}
            for fid, _, p in shel
        ],
        "teams": [{"id": fid, **p} for fid, _, p in teams],
        "routes": [{"id": fid, "name": p.get("name")} for fid, _, p in routes],
    }
    return layers, display


def compute(raw: Raw, drills: list[model.DrillStats] | None, cfg: model.ReadinessConfig) -> State:
    """Parse, analyse and score everything (worker thread)."""
    t0 = time.perf_counter()
    layers, display = build_layers(raw)
    m = analysis.analyse(layers, cfg.radii)
    scores = model.component_scores(m, drills, cfg)
    total = model.totals(scores, cfg)
    return State(
        computed_at=datetime.now(UTC),
        layers=layers,
        metrics=m,
        scores=scores,
        total=total,
        drills=drills,
        communities=display["communities"],
        index={c: i for i, c in enumerate(layers.community_codes)},
        shelters=display["shelters"],
        teams=display["teams"],
        routes=display["routes"],
        seconds=time.perf_counter() - t0,
        timings=m.timings,
    )


async def drill_stats(db: AsyncSession, codes: list[str]) -> list[model.DrillStats] | None:
    """Drill records per community, or None ("no data") when drills are not recorded yet."""
    try:
        from console.drills.stats import community_drill_stats
    except ImportError:
        return None
    stats = await community_drill_stats(db, datetime.now(UTC))
    if not any(s.drills_12m or s.last_drill or s.open_actions for s in stats.values()):
        return None
    zero = model.DrillStats()
    return [
        model.DrillStats(s.last_drill, s.drills_12m, s.open_actions, s.overdue_actions)
        if (s := stats.get(c)) is not None
        else zero
        for c in codes
    ]


class ReadinessService:
    """Holds the current readiness and keeps it up to date from bus events."""

    def __init__(self, store: Store, bus: InProcessBus, cfg: ReadinessSettings) -> None:
        self.store = store
        self.bus = bus
        self.cfg = cfg
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
            st.total[:] = model.totals(st.scores, self.cfg)
            return await self._commit(st, np.arange(len(st.total)))

    async def _commit(self, st: State, idx: model.IntArray) -> int:
        """Snapshot the communities whose score moved (or is new); publish each move."""
        now = datetime.now(UTC)
        moved: list[tuple[str, float, float | None]] = []
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
                db.add(
                    ReadinessSnapshot(
                        community_code=code, score=new, components=comps, computed_at=now
                    )
                )
                moved.append((code, new, old))
        for code, new, old in moved:
            self._last[code] = new
            if old is not None:
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

"""Readiness inputs read from the store and scored in a worker thread (no service state here).

`load_raw` reads the layers, kit totals and cameras with their health; `compute` turns them
into analysis layers and scores every community (CPU-bound: call it through to_thread).
"""

from __future__ import annotations

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
from console.gis.models import Feature, KitDistribution
from console.health.models import CameraHealth
from gis import analysis
from gis import readiness as model
from gis.synth import KINDS

log = logging.getLogger(__name__)
UNHEALTHY = frozenset({"offline", "degraded"})


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
    # Bumped on every in-place change (kits, drills): views built from a state key on it.
    revision: int = 0


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
        population_known=np.array([p.get("population") is not None for p in props], dtype=bool),
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
        shelter_geoms=geoms("shelters"),
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
                "population": None if p.get("population") is None else int(_num(p["population"])),
                "households": None if p.get("households") is None else int(_num(p["households"])),
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


def with_area_capacity(
    layers: analysis.Layers, raw: Raw, cfg: model.ReadinessConfig
) -> analysis.Layers:
    """Capacities derived from an effective area, recomputed with today's area per person."""
    sprops = [p for _, _, p in raw.layers["shelters"]]
    derived = np.array([p.get("capacity_basis") == "area" for p in sprops], dtype=bool)
    if not derived.any():
        return layers
    per = np.array([cfg.area_per_person.of(str(p.get("kind"))) for p in sprops])
    cap = layers.shelter_capacity.copy()
    area = layers.shelter_area
    cap[derived] = np.floor(area[derived] / per[derived])
    layers.shelter_capacity = cap
    return layers


def compute(raw: Raw, drills: list[model.DrillStats] | None, cfg: model.ReadinessConfig) -> State:
    """Parse, analyse and score everything (worker thread)."""
    t0 = time.perf_counter()
    layers, display = build_layers(raw)
    layers = with_area_capacity(layers, raw, cfg)
    m = analysis.analyse(layers, cfg.radii, area_per_person=cfg.area_per_person)
    scores = model.component_scores(m, drills, cfg)
    total = model.totals(scores, cfg, m.population_known)
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

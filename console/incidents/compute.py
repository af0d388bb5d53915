"""Exposure (from the readiness state, rebuilt when it changes) and assessments per incident.

Heavy work runs in a worker thread under one lock, so a burst of revisions recomputes one
at a time and the event loop never waits on numpy.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import shapely
from sqlalchemy import select

from console.gis.models import Feature
from console.gis.readiness import ReadinessService
from console.incidents.models import Incident, QuakeEvent
from console.settings import IncidentSettings
from console.store.engine import Store
from gis.quake import assess, intensity
from gis.quake.config import (
    ImpactConfig,
    Vulnerability,
    default_vulnerability,
    load_vulnerability,
)
from gis.quake.exposure import Exposure, prepare
from gis.quake.faults import Strike, nearest_fault

log = logging.getLogger(__name__)


@dataclass
class Faults:
    """The faults layer, ready for nearest-fault lookups."""

    geoms: Any
    ids: list[str]
    names: list[str | None]
    strikes: list[float | None]


@dataclass
class Prepared:
    """Exposure and faults built from one readiness state."""

    key: tuple[int, int]  # (identity, revision) of the readiness state it was built from
    exposure: Exposure
    faults: Faults
    centre: tuple[float, float]
    built_at: float


def _num(v: Any) -> float | None:
    try:
        return float(v) if v is not None else None
    except (TypeError, ValueError):
        return None


class Assessor:
    """Keeps the exposure current and computes (and caches) incident assessments."""

    def __init__(self, store: Store, readiness: ReadinessService, cfg: IncidentSettings) -> None:
        self.store = store
        self.readiness = readiness
        self.cfg = cfg
        self.vuln: Vulnerability = (
            load_vulnerability(cfg.vulnerability_file)
            if cfg.vulnerability_file
            else default_vulnerability()
        )
        self.lock = asyncio.Lock()
        self._prepared: Prepared | None = None
        self._cache: dict[int, tuple[tuple[Any, ...], assess.Assessment]] = {}

    async def prepared(self) -> Prepared:
        """The exposure for the current readiness state (rebuilt when that changed)."""
        st = await self.readiness.current()
        if self._prepared is not None and self._prepared.key == (id(st), st.revision):
            return self._prepared
        async with self.store.session() as db:
            b_rows = await db.execute(
                select(Feature.properties)
                .where(Feature.layer == "buildings", Feature.deleted.is_(False))
                .order_by(Feature.fid)
            )
            b_props = [p for (p,) in b_rows]
            f_rows = (
                await db.execute(
                    select(Feature.fid, Feature.geometry, Feature.properties)
                    .where(Feature.layer == "faults", Feature.deleted.is_(False))
                    .order_by(Feature.fid)
                )
            ).all()
        if len(b_props) != len(st.layers.building_lon):
            b_props = [{} for _ in range(len(st.layers.building_lon))]

        def build() -> Prepared:
            structs = [p.get("structure") for p in b_props]
            res = np.array([_num(p.get("residents")) or np.nan for p in b_props], dtype=float)
            ex = prepare(st.layers, st.metrics, self.vuln, structs, res)
            geoms = (
                shapely.from_geojson(np.array([g for _, g, _ in f_rows], dtype=object))
                if f_rows
                else np.empty(0, dtype=object)
            )
            faults = Faults(
                geoms,
                [fid for fid, _, _ in f_rows],
                [p.get("name") for _, _, p in f_rows],
                [_num(p.get("strike_deg")) for _, _, p in f_rows],
            )
            lat = float(ex.comm_lat.mean()) if len(ex.comm_lat) else 0.0
            lon = float(ex.comm_lon.mean()) if len(ex.comm_lon) else 0.0
            return Prepared((id(st), st.revision), ex, faults, (lat, lon), time.time())

        self._prepared = await asyncio.to_thread(build)
        self._cache.clear()
        return self._prepared

    def strike(self, p: Prepared, ev: QuakeEvent, override: float | None) -> Strike:
        """Operator's strike (incident override or entered with the quake), fault, or none."""
        if override is not None:
            return Strike(override, "operator")
        entered = ev.solution.get("strike_deg")
        if entered is not None:
            return Strike(float(entered), "operator")
        f = p.faults
        return nearest_fault(
            ev.lat, ev.lon, f.geoms, f.ids, f.names, f.strikes, self.cfg.fault_search_km
        )

    async def decide(self, ev: QuakeEvent, now: datetime) -> dict[str, Any]:
        """Whether an event opens an incident by itself, and why (or why not)."""
        from gis.quake.dedup import km_between

        p = await self.prepared()
        c = self.cfg
        dist = km_between(ev.lat, ev.lon, *p.centre)
        strike = self.strike(p, ev, None)
        ex = p.exposure

        def peak() -> float:
            if not len(ex.comm_lat):
                return 0.0
            ens = intensity.ensemble(
                list(c.relations),
                ev.magnitude,
                ev.depth_km,
                ev.lat,
                ev.lon,
                ex.comm_lat,
                ex.comm_lon,
                strike.strike_deg,
            )
            return float(ens.median.max())

        max_i = await asyncio.to_thread(peak)
        age_h = (now - ev.origin_time).total_seconds() / 3600.0
        reasons = []
        if ev.magnitude >= c.open_magnitude and dist <= c.open_radius_km:
            reasons.append(
                f"M{ev.magnitude:g} >= {c.open_magnitude:g} within {c.open_radius_km:g} km"
            )
        if max_i >= c.open_intensity - 0.5:
            reasons.append(f"estimated intensity {intensity.ROMAN[round(max_i)]} in the district")
        too_old = age_h > c.max_age_hours
        return {
            "open": bool(reasons) and not too_old,
            "reasons": reasons,
            "too_old": too_old,
            "distance_km": round(dist, 1),
            "max_intensity": round(max_i, 2),
            "age_hours": round(age_h, 2),
            "thresholds": {
                "magnitude": c.open_magnitude,
                "radius_km": c.open_radius_km,
                "intensity": c.open_intensity,
                "max_age_hours": c.max_age_hours,
            },
        }

    async def assessment(self, inc: Incident, ev: QuakeEvent) -> tuple[assess.Assessment, Prepared]:
        """The incident's assessment for its current solution (computed once per revision)."""
        assert ev.is_exercise == inc.is_exercise, "exercise and real records never mix"
        p = await self.prepared()
        key = (
            p.key,
            ev.lat,
            ev.lon,
            ev.depth_km,
            ev.magnitude,
            inc.strike_override,
            ev.solution.get("strike_deg"),
        )
        hit = self._cache.get(inc.id)
        if hit and hit[0] == key:
            return hit[1], p
        async with self.lock:
            hit = self._cache.get(inc.id)
            if hit and hit[0] == key:
                return hit[1], p
            strike = self.strike(p, ev, inc.strike_override)
            q = assess.Quake(ev.lat, ev.lon, ev.depth_km, ev.magnitude, strike)
            cfg = ImpactConfig(**{k: getattr(self.cfg, k) for k in ImpactConfig.model_fields})
            a = await asyncio.to_thread(assess.assess, q, p.exposure, self.vuln, cfg)
            self._cache[inc.id] = (key, a)
            log.info("incident %s assessed in %s", inc.id, a.timings)
            return a, p

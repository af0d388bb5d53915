"""From an earthquake solution to intensity, impact, shelter demand and the auto-wall list."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gis.quake import autowall, impact
from gis.quake.config import ImpactConfig, Vulnerability, defaults
from gis.quake.exposure import Exposure
from gis.quake.faults import Strike
from gis.quake.intensity import (
    ROMAN,
    Ensemble,
    FloatArray,
    ensemble,
    median_at,
    mmi_rule,
    relations,
)


@dataclass(frozen=True)
class Quake:
    """The solution an assessment is for."""

    lat: float
    lon: float
    depth_km: float
    magnitude: float
    strike: Strike


@dataclass
class Assessment:
    """Everything computed for one solution; JSON views below."""

    quake: Quake
    config: ImpactConfig
    comm: Ensemble
    b_intensity: FloatArray
    damage: impact.Damage
    fatalities: FloatArray
    fatality_summary: dict[str, Any] | None
    demand: impact.Demand
    hit: Any
    cameras: list[autowall.Suggestion]
    timings: dict[str, float] = field(default_factory=dict)


def assess(q: Quake, ex: Exposure, vuln: Vulnerability, cfg: ImpactConfig) -> Assessment:
    """Compute every figure (CPU-bound: call it from a worker thread)."""
    t0 = time.perf_counter()
    timings: dict[str, float] = {}

    def lap(name: str) -> None:
        nonlocal t0
        now = time.perf_counter()
        timings[name] = round(now - t0, 5)
        t0 = now

    strike = q.strike.strike_deg
    args = (cfg.relations, q.magnitude, q.depth_km, q.lat, q.lon)
    comm = ensemble(*args, ex.comm_lat, ex.comm_lon, strike)
    b_int = median_at(*args, ex.building_lat, ex.building_lon, strike)
    lap("intensity")
    dmg = impact.damage(
        len(ex.community_codes),
        ex.building_comm,
        ex.building_struct,
        ex.building_rating,
        ex.building_residents,
        b_int,
        ex.population,
        comm.median,
        vuln,
        cfg,
    )
    lap("damage")
    fat, fat_sum = (
        impact.fatalities(ex.population, comm.median)
        if cfg.casualties
        else (np.zeros(len(ex.population)), None)
    )
    dem = impact.demand(
        dmg.displaced,
        ex.capacity,
        ex.pair_community,
        ex.pair_shelter,
        ex.pair_capacity,
        len(ex.shelter_ids),
        ex.population,
        ex.households,
        ex.kits_standard,
        dmg.buildings[:, 3] + dmg.buildings[:, 4],
        ex.local_teams,
        cfg,
    )
    lap("demand")
    hit, cams = autowall.suggest(
        ex, dmg.displaced, comm.median, cfg.autowall_communities, cfg.autowall_cameras
    )
    lap("autowall")
    return Assessment(q, cfg, comm, b_int, dmg, fat, fat_sum, dem, hit, cams, timings)


def _r(x: float, d: int = 2) -> float:
    return round(float(x), d)


def community_rows(a: Assessment, ex: Exposure) -> list[dict[str, Any]]:
    """One row per community, figures with their inputs."""
    c, d, dm = a.comm, a.damage, a.demand
    nd = a.config.needs
    rows = []
    for i, code in enumerate(ex.community_codes):
        med = float(c.median[i])
        rows.append(
            {
                "code": code,
                "intensity": _r(med),
                "degree": int(np.clip(np.rint(med), 1, 12)),
                "roman": ROMAN[int(np.clip(np.rint(med), 1, 12))],
                "intensity_low": _r(c.low[i]),
                "intensity_high": _r(c.high[i]),
                "by_relation": {rid: _r(c.values[k, i]) for k, rid in enumerate(c.used)},
                "population": int(ex.population[i]),
                "buildings": int(d.surveyed[i]),
                "damage": {g: _r(d.buildings[i, k], 1) for k, g in enumerate(impact.GRADES)},
                "displaced": round(d.displaced[i]),
                "displaced_rule": str(d.displaced_rule[i]),
                "fatalities": _r(a.fatalities[i], 3),
                "capacity_in_reach": round(ex.capacity[i]),
                "unsheltered": round(dm.unsheltered[i]),
                "water_l": round(dm.water_l[i]),
                "food_kcal": round(dm.food_kcal[i]),
                "kits_needed": int(dm.kits_needed[i]),
                "kits_in_hand": int(dm.kits_in_hand[i]),
                "kit_shortfall": int(max(0.0, dm.kits_needed[i] - dm.kits_in_hand[i])),
                "teams_needed": int(dm.teams_needed[i]),
                "local_teams": int(ex.local_teams[i]),
                "teams_to_send": int(dm.teams_to_send[i]),
                "inputs": {
                    "days": nd.days,
                    "water_l_per_person_day": nd.water_l_per_person_day,
                    "food_kcal_per_person_day": nd.food_kcal_per_person_day,
                    "buildings_per_team": a.config.buildings_per_team,
                    "households": int(ex.households[i]),
                    "standard_kits_delivered": int(ex.kits_standard[i]),
                },
            }
        )
    return rows


def shelter_rows(a: Assessment, ex: Exposure) -> list[dict[str, Any]]:
    """Expected demand per shelter against its capacity."""
    out = []
    for j, sid in enumerate(ex.shelter_ids):
        dem, cap = float(a.demand.shelter_demand[j]), float(ex.shelter_capacity[j])
        if dem <= 0:
            continue
        out.append(
            {
                "id": sid,
                "expected_demand": round(dem),
                "capacity": int(cap),
                "over_capacity": dem > cap,
                "excess": round(max(0.0, dem - cap)),
            }
        )
    return sorted(out, key=lambda r: -r["expected_demand"])


def totals(a: Assessment, ex: Exposure) -> dict[str, Any]:
    """District totals and the model inputs behind them."""
    d, dm = a.damage, a.demand
    over = int(np.sum(a.demand.shelter_demand > ex.shelter_capacity))
    return {
        "communities": len(ex.community_codes),
        "max_intensity": _r(float(a.comm.median.max())) if len(a.comm.median) else None,
        "communities_vi_plus": int(np.sum(a.comm.median >= 5.5)),
        "buildings": {
            g: _r(float(d.buildings[:, k].sum()), 1) for k, g in enumerate(impact.GRADES)
        },
        "displaced": round(float(d.displaced.sum())),
        "unsheltered": round(float(dm.unsheltered.sum())),
        "shelters_over_capacity": over,
        "water_l": round(float(dm.water_l.sum())),
        "food_kcal": round(float(dm.food_kcal.sum())),
        "kit_shortfall": int(np.maximum(0.0, dm.kits_needed - dm.kits_in_hand).sum()),
        "teams_to_send": int(dm.teams_to_send.sum()),
        "fatalities": a.fatality_summary,
        "hardest_hit": [ex.community_codes[i] for i in a.hit],
        "notes": a.comm.notes,
        "strike": a.quake.strike.as_dict(),
        "relations": [relations()[r].info() for r in a.comm.used],
        "mmi_to_chinese": mmi_rule(),
        "vulnerability_citation": defaults()["vulnerability"]["citation"],
        "needs_citation": defaults()["needs"]["citation"],
        "timings": a.timings,
    }

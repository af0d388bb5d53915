"""The community readiness score: a documented, configurable weighted model.

Seven components, each scored 0-100 from the measures in `gis.analysis` (or None, "no data",
when its inputs do not exist: no residents, no surveyed buildings, no shelters or routes to
watch, no drill data yet). The score is the weighted mean of the components that have data;
the weights of missing components are left out and the rest renormalised, and the score says
which were missing.

Defaults (all in `ReadinessConfig`):

=================  ======  ===========================================================
component          weight  100 points when
=================  ======  ===========================================================
shelter_capacity   20      shelter places in reach (allocated by demand) >= 1 per resident;
                           a shelter with only an effective area holds area / the area per
                           person of its kind (`area_per_person`: GB 50413-2007 8.2.8,
                           emergency 1 m², fixed and central 2 m²; GB 21734-2008 asks
                           1.5 m² of living area, which a site may set instead)
shelter_reach      15      every resident has a shelter within its kind's radius (half the
                           points) and within the emergency radius, 500 m (the other half).
                           Radii: emergency 500 m and fixed 2.5 km after GB 50413-2007
                           (about 500 m; 2-3 km); central 5 km is a local setting - GB
                           50413-2007 sets central shelters' size (>= 50 hm²), no radius
kits               20      1 standard kit per household (60% of the points) and the variants:
                           0.5 elderly kit per elderly resident, 0.2 infant kit per child,
                           1 disabled kit per disabled resident (40%, averaged)
drills             15      2 drills in the past 12 months; minus 10 per overdue action
teams              10      10 volunteers per 1,000 residents
camera_coverage    10      every shelter in reach and every metre of the community's routes
                           inside a healthy camera's field of view (average of the two)
building_safety    10      no surveyed building unsafe; 0 points at 25% unsafe
=================  ======  ===========================================================

A community whose population is not recorded (imported from a boundary file without it)
gets no score: four of the seven components are per resident, and a score from the other
three would rank it above communities that are counted. It is listed with "population" among
its missing inputs until someone fills it in.

Each part scales linearly up to its target and is capped there. The *weakest* component is
the one that costs the score the most points (weight x shortfall from 100), so it names what
to fix first; ties go to the lower component score.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from gis.analysis import Metrics, Radii
from gis.layers import AreaPerPerson

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

COMPONENTS = (
    "shelter_capacity",
    "shelter_reach",
    "kits",
    "drills",
    "teams",
    "camera_coverage",
    "building_safety",
)
KITS = COMPONENTS.index("kits")
DRILLS = COMPONENTS.index("drills")
KIT_CATEGORIES = ("standard", "elderly", "infant", "disabled")


class Weights(BaseModel):
    """Relative weight of each component (renormalised over components with data)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    shelter_capacity: float = Field(20.0, ge=0, description="Shelter places in reach.")
    shelter_reach: float = Field(15.0, ge=0, description="Residents within a shelter's radius.")
    kits: float = Field(20.0, ge=0, description="Household kits delivered.")
    drills: float = Field(15.0, ge=0, description="Drills held in the past 12 months.")
    teams: float = Field(10.0, ge=0, description="Volunteers per 1,000 residents.")
    camera_coverage: float = Field(10.0, ge=0, description="Shelters and routes on camera.")
    building_safety: float = Field(10.0, ge=0, description="Surveyed buildings not unsafe.")

    def array(self) -> FloatArray:
        """Weights in COMPONENTS order."""
        return np.array([getattr(self, c) for c in COMPONENTS], dtype=float)


class Targets(BaseModel):
    """What earns full marks in each component."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    places_per_resident: float = Field(
        1.0, gt=0, description="Shelter places in reach (allocated by demand) per resident."
    )
    walk_share_weight: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Part of the reach score from residents within the emergency radius.",
    )
    kits_per_household: float = Field(1.0, gt=0, description="Standard kits per household.")
    elderly_kits_per_elderly: float = Field(0.5, gt=0, description="Per elderly resident.")
    infant_kits_per_child: float = Field(0.2, gt=0, description="Per child.")
    disabled_kits_per_disabled: float = Field(1.0, gt=0, description="Per disabled resident.")
    standard_kit_share: float = Field(
        0.6, ge=0, le=1, description="Part of the kits score from standard kits."
    )
    drills_per_year: float = Field(2.0, gt=0, description="Drills in the past 12 months.")
    overdue_action_penalty: float = Field(
        10.0, ge=0, le=100, description="Points off per overdue after-action item."
    )
    volunteers_per_1000: float = Field(10.0, gt=0, description="Volunteers per 1,000 residents.")
    unsafe_share_zero: float = Field(
        0.25, gt=0, le=1, description="Share of unsafe buildings that scores 0."
    )

    def kit_array(self) -> FloatArray:
        """Kits per person of each group, in KIT_CATEGORIES order."""
        return np.array(
            [
                self.kits_per_household,
                self.elderly_kits_per_elderly,
                self.infant_kits_per_child,
                self.disabled_kits_per_disabled,
            ]
        )


class ReadinessConfig(BaseModel):
    """Weights, targets and shelter service radii of the readiness model."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    weights: Weights = Field(default_factory=Weights, description="Component weights.")
    targets: Targets = Field(default_factory=Targets, description="Full-marks targets.")
    radii: Radii = Field(default_factory=Radii, description="Shelter service radii (m).")
    area_per_person: AreaPerPerson = Field(
        default_factory=AreaPerPerson,
        description="Effective area per evacuee by shelter kind (m²), for capacity from area.",
    )


@dataclass(frozen=True)
class DrillStats:
    """A community's drill record (from console.drills.stats when it exists)."""

    last_drill: date | None = None
    drills_12m: int = 0
    open_actions: int = 0
    overdue_actions: int = 0


def _ratio(num: FloatArray, den: FloatArray) -> FloatArray:
    """num / den, NaN where den is 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out: FloatArray = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    return out


def _capped(x: FloatArray) -> FloatArray:
    """100 * min(1, x), NaN kept."""
    out: FloatArray = 100.0 * np.minimum(1.0, x)
    return out


def kit_coverage(m: Metrics, idx: IntArray | slice, cfg: ReadinessConfig) -> FloatArray:
    """Delivered / target per kit category (rows idx), NaN where the group is empty."""
    target = m.groups[idx] * cfg.targets.kit_array()
    return _ratio(m.kits[idx], target)


def kit_scores(m: Metrics, idx: IntArray | slice, cfg: ReadinessConfig) -> FloatArray:
    """The kits component for rows idx."""
    cov = np.minimum(1.0, kit_coverage(m, idx, cfg))
    variants = cov[:, 1:]
    has = np.isfinite(variants)
    with np.errstate(invalid="ignore"):
        var_mean = np.where(
            has.any(axis=1), np.nansum(variants, axis=1) / np.maximum(has.sum(axis=1), 1), np.nan
        )
    share = cfg.targets.standard_kit_share
    mixed = share * cov[:, 0] + (1 - share) * var_mean
    out: FloatArray = 100.0 * np.where(np.isfinite(var_mean), mixed, cov[:, 0])
    return out


def drill_scores(drills: list[DrillStats] | None, n: int, cfg: ReadinessConfig) -> FloatArray:
    """The drills component; all NaN ("no data") when drills is None."""
    if drills is None:
        return np.full(n, np.nan)
    held = np.array([d.drills_12m for d in drills], dtype=float)
    overdue = np.array([d.overdue_actions for d in drills], dtype=float)
    t = cfg.targets
    out: FloatArray = np.clip(
        _capped(held / t.drills_per_year) - t.overdue_action_penalty * overdue, 0.0, 100.0
    )
    return out


def component_scores(
    m: Metrics, drills: list[DrillStats] | None, cfg: ReadinessConfig
) -> FloatArray:
    """(n, 7) component scores in COMPONENTS order; NaN means no data."""
    n = len(m.population)
    t = cfg.targets
    pop = m.population
    cap = _capped(_ratio(m.capacity, pop * t.places_per_resident))
    reach_mix = (1 - t.walk_share_weight) * m.reach_share + t.walk_share_weight * m.walk_share
    reach = np.where(pop > 0, 100.0 * reach_mix, np.nan)
    teams = _capped(_ratio(m.volunteers * 1000.0, pop * t.volunteers_per_1000))
    shel = _ratio(m.shelters_watched.astype(float), m.shelters_in_reach.astype(float))
    route = _ratio(m.route_watched_m, m.route_m)
    both = np.stack([shel, route], axis=1)
    has = np.isfinite(both)
    cams = np.where(
        has.any(axis=1), 100.0 * np.nansum(both, axis=1) / np.maximum(has.sum(axis=1), 1), np.nan
    )
    unsafe = _ratio(m.buildings_unsafe.astype(float), m.buildings_surveyed.astype(float))
    safety = 100.0 * np.maximum(0.0, 1.0 - unsafe / t.unsafe_share_zero)
    kits = np.where(m.households > 0, kit_scores(m, slice(None), cfg), np.nan)
    return np.stack(
        [cap, reach, kits, drill_scores(drills, n, cfg), teams, cams, safety], axis=1
    ).astype(float)


def totals(
    scores: FloatArray, cfg: ReadinessConfig, known: npt.NDArray[np.bool_] | None = None
) -> FloatArray:
    """Weighted mean over the components with data (renormalised); NaN if none, or when the
    community's population is not known (`known` False)."""
    w = cfg.weights.array()
    has = np.isfinite(scores)
    wsum = (has * w).sum(axis=1)
    num = np.where(has, scores, 0.0) @ w
    out = _ratio(num, wsum)
    if known is not None:
        out = np.where(known, out, np.nan)
    return out


def rescore_kits(
    m: Metrics, scores: FloatArray, total: FloatArray, idx: IntArray, cfg: ReadinessConfig
) -> None:
    """Recompute the kits component and the score of rows idx in place (after m.kits changed)."""
    if len(idx) == 0:
        return
    ks = kit_scores(m, idx, cfg)
    scores[idx, KITS] = np.where(m.households[idx] > 0, ks, np.nan)
    total[idx] = totals(scores[idx], cfg, m.population_known[idx])


def _pct(x: float) -> str:
    return f"{round(100 * x)}"


def describe(component: str, value: Any, inputs: dict[str, Any]) -> dict[str, str]:
    """A component in plain words, English and Chinese."""
    if component == "shelter_capacity":
        p = _pct(min(float(value), 9.99))
        return {
            "en": f"shelters in reach have places for {p}% of residents",
            "zh-CN": f"可达避难场所容量仅够 {p}% 的居民",
        }
    if component == "shelter_reach":
        p, w = _pct(float(value)), _pct(float(inputs["walk_share"]))
        return {
            "en": f"{w}% of residents live within {inputs['walk_radius_m']:.0f} m of a shelter "
            f"({p}% within any shelter's service radius)",
            "zh-CN": f"{w}% 的居民在避难场所 {inputs['walk_radius_m']:.0f} 米范围内"
            f"（{p}% 在服务半径内）",
        }
    if component == "kits":
        p = _pct(min(float(value), 1.0))
        return {"en": f"kits reach {p}% of households", "zh-CN": f"应急包覆盖 {p}% 的家庭"}
    if component == "drills":
        n, t, od = int(value), inputs["target"], int(inputs["overdue_actions"])
        en = f"{n} drill{'s' if n != 1 else ''} in the past 12 months (target {t:g})"
        zh = f"近 12 个月演练 {n} 次（目标 {t:g} 次）"
        if od:
            en += f", {od} overdue follow-up action{'s' if od != 1 else ''}"
            zh += f"，{od} 项整改逾期"
        return {"en": en, "zh-CN": zh}
    if component == "teams":
        v, t = float(value), inputs["target"]
        return {
            "en": f"{v:.1f} volunteers per 1,000 residents (target {t:g})",
            "zh-CN": f"每千名居民志愿者 {v:.1f} 人（目标 {t:g} 人）",
        }
    if component == "camera_coverage":
        sh, rt = inputs.get("shelter_share"), inputs.get("route_share")
        en_parts = [f"{_pct(sh)}% of shelters in reach"] if sh is not None else []
        zh_parts = [f"{_pct(sh)}% 的可达避难场所"] if sh is not None else []
        if rt is not None:
            en_parts.append(f"{_pct(rt)}% of evacuation route length")
            zh_parts.append(f"{_pct(rt)}% 的疏散路线")
        return {
            "en": "healthy cameras watch " + " and ".join(en_parts),
            "zh-CN": "正常摄像机仅覆盖" + "和".join(zh_parts),
        }
    p = _pct(float(value))
    return {
        "en": f"{p}% of surveyed buildings are rated unsafe",
        "zh-CN": f"{p}% 的已调查建筑被评为不安全",
    }


def _num(x: float, digits: int = 3) -> float | None:
    """A JSON-friendly float (None for NaN)."""
    return None if not np.isfinite(x) else round(float(x), digits)


def explain(
    i: int,
    m: Metrics,
    scores: FloatArray,
    total: FloatArray,
    cfg: ReadinessConfig,
    drill: DrillStats | None,
) -> dict[str, Any]:
    """Score, components (score, value, inputs), missing components and the weakest, for row i."""
    t = cfg.targets
    pop = float(m.population[i])
    cov = kit_coverage(m, np.array([i]), cfg)[0]
    shel_in, shel_w = int(m.shelters_in_reach[i]), int(m.shelters_watched[i])
    route_m, route_w = float(m.route_m[i]), float(m.route_watched_m[i])
    surveyed, unsafe = int(m.buildings_surveyed[i]), int(m.buildings_unsafe[i])
    parts: dict[str, tuple[Any, dict[str, Any]]] = {
        "shelter_capacity": (
            _num(m.capacity[i] / pop) if pop else None,
            {
                "allocated_capacity": _num(m.capacity[i], 1),
                "allocated_area_m2": _num(m.area_m2[i], 1),
                "area_per_resident_m2": _num(m.area_m2[i] / pop, 2) if pop else None,
                "area_per_person_m2": cfg.area_per_person.model_dump(),
                "places_target_per_resident": t.places_per_resident,
                "shelters_in_reach": shel_in,
                "population": int(pop),
            },
        ),
        "shelter_reach": (
            _num(m.reach_share[i]),
            {
                "reach_share": _num(m.reach_share[i]),
                "walk_share": _num(m.walk_share[i]),
                "walk_radius_m": cfg.radii.emergency_m,
                "nearest_shelter_m": _num(m.nearest_m[i], 1),
            },
        ),
        "kits": (
            _num(cov[0]),
            {
                "households": int(m.households[i]),
                "delivered": {c: int(m.kits[i, k]) for k, c in enumerate(KIT_CATEGORIES)},
                "target": {
                    c: _num(m.groups[i, k] * t.kit_array()[k], 1)
                    for k, c in enumerate(KIT_CATEGORIES)
                },
                "coverage": {c: _num(cov[k]) for k, c in enumerate(KIT_CATEGORIES)},
            },
        ),
        "drills": (
            drill.drills_12m if drill else None,
            {
                "last_drill": drill.last_drill.isoformat() if drill and drill.last_drill else None,
                "drills_12m": drill.drills_12m if drill else None,
                "open_actions": drill.open_actions if drill else None,
                "overdue_actions": drill.overdue_actions if drill else 0,
                "target": t.drills_per_year,
            },
        ),
        "teams": (
            _num(m.volunteers[i] * 1000 / pop, 2) if pop else None,
            {
                "volunteers": int(m.volunteers[i]),
                "teams": int(m.teams[i]),
                "population": int(pop),
                "target": t.volunteers_per_1000,
            },
        ),
        "camera_coverage": (
            _num(shel_w / shel_in) if shel_in else None,
            {
                "shelters_in_reach": shel_in,
                "shelters_watched": shel_w,
                "shelter_share": _num(shel_w / shel_in) if shel_in else None,
                "route_m": _num(route_m, 1),
                "route_watched_m": _num(route_w, 1),
                "route_share": _num(route_w / route_m) if route_m > 0 else None,
            },
        ),
        "building_safety": (
            _num(unsafe / surveyed) if surveyed else None,
            {"surveyed": surveyed, "unsafe": unsafe, "zero_at": t.unsafe_share_zero},
        ),
    }
    comps: dict[str, Any] = {}
    missing: list[str] = []
    weakest: tuple[float, float, str] | None = None
    weights = cfg.weights.array()
    for k, name in enumerate(COMPONENTS):
        s = _num(scores[i, k], 1)
        value, inputs = parts[name]
        comps[name] = {"score": s, "value": value, "inputs": inputs}
        if s is None:
            missing.append(name)
        elif weakest is None or (-(100 - s) * weights[k], s) < (weakest[0], weakest[1]):
            weakest = (-(100 - s) * float(weights[k]), s, name)
    known = bool(m.population_known[i]) if len(m.population_known) > i else True
    if not known:
        missing.insert(0, "population")
        weakest = None
    weak = None
    if weakest is not None:
        name = weakest[2]
        value, inputs = parts[name]
        weak = {"component": name, "text": describe(name, value, inputs)}
    return {
        "score": _num(total[i], 1),
        "components": comps,
        "missing": missing,
        "weakest": weak,
        "population_known": known,
    }

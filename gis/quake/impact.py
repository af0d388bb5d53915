"""Damage per building, displaced residents, fatalities (PAGER), shelter demand, needs, teams.

All vectorised over buildings and communities (numpy bincount). Definitions:

- A building's damage-grade shares come from its structure's row of the vulnerability
  matrix at its intensity moved by its survey rating (data/impact.json), interpolated
  between whole degrees; below VI it is intact, above X the X row applies.
- Residents per building: its `residents` attribute, else the community's residents
  spread evenly over its buildings. Displaced = residents x displaced weight of each grade.
- A community with no buildings surveyed: all its residents taken to live in
  default-structure buildings at the community's intensity.
- Fatalities: USGS PAGER empirical model for China at the community's intensity.
- Shelter demand goes to the shelters in reach in proportion to the readiness allocation.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from gis.quake.config import RATINGS, ImpactConfig, Vulnerability, defaults
from gis.quake.intensity import FloatArray

IntArray = npt.NDArray[np.int64]
GRADES = ("intact", "slight", "moderate", "severe", "destroyed")
PAGER_BINS = (0, 1, 10, 100, 1000, 10000, math.inf)


def grade_shares(matrix: FloatArray, struct: IntArray, intensity: FloatArray) -> FloatArray:
    """(n, 5) damage-grade shares for buildings of `struct` at `intensity`."""
    x = np.clip(intensity, 5.0, 10.0)
    p = np.clip(x - 6.0, 0.0, 4.0)
    i0 = np.minimum(np.floor(p).astype(np.int64), 3)
    w = (p - i0)[:, None]
    rows = (1.0 - w) * matrix[struct, i0] + w * matrix[struct, i0 + 1]
    # From V (all intact) to VI, blend towards the VI row.
    w5 = np.clip(x - 5.0, 0.0, 1.0)[:, None]
    intact = np.zeros(5)
    intact[0] = 1.0
    out: FloatArray = np.where(x[:, None] < 6.0, (1.0 - w5) * intact + w5 * matrix[struct, 0], rows)
    return out


def rating_shift(vuln: Vulnerability, rating: IntArray) -> FloatArray:
    """Intensity shift per building from its survey rating (RATINGS order)."""
    table = np.array([vuln.rating_shift.get(r, 0.0) for r in RATINGS])
    out: FloatArray = table[np.clip(rating, 0, len(RATINGS) - 1)]
    return out


@dataclass
class Damage:
    """Per-community damage and displacement."""

    buildings: FloatArray  # (n, 5) expected buildings per grade
    surveyed: IntArray  # buildings counted per community
    displaced: FloatArray
    displaced_rule: npt.NDArray[np.str_]  # "buildings" or "population"


def damage(
    n: int,
    comm_of: IntArray,
    struct: IntArray,
    rating: IntArray,
    residents: FloatArray,
    b_intensity: FloatArray,
    population: FloatArray,
    c_intensity: FloatArray,
    vuln: Vulnerability,
    cfg: ImpactConfig,
) -> Damage:
    """Expected damage and displaced residents per community."""
    mat = vuln.matrix()
    ok = comm_of >= 0
    c, s = comm_of[ok], struct[ok]
    shares = grade_shares(mat, s, b_intensity[ok] + rating_shift(vuln, rating[ok]))
    count = np.bincount(c, minlength=n)
    per_bld = population / np.maximum(count, 1)
    res = residents[ok]
    res = np.where(np.isfinite(res), res, per_bld[c])
    w = cfg.weight_vector()
    shelterless = res * (shares @ w)
    displaced = np.bincount(c, weights=shelterless, minlength=n).astype(float)
    blds = np.stack(
        [np.bincount(c, weights=shares[:, g], minlength=n) for g in range(5)], axis=1
    ).astype(float)
    none = count == 0
    if none.any():
        idx = np.flatnonzero(none)
        dflt = np.full(len(idx), vuln.index(vuln.default_structure), dtype=np.int64)
        rate = grade_shares(mat, dflt, c_intensity[idx]) @ w
        displaced[idx] = population[idx] * rate
    rule = np.where(none, "population", "buildings")
    return Damage(blds, count.astype(np.int64), displaced, rule)


def pager_rates(theta: float, beta: float) -> FloatArray:
    """Fatality rate at MMI 0..12 (PAGER uses 5..9; 10+ counted at 9; below 5: none)."""
    rates = np.zeros(13)
    for s in range(5, 13):
        x = math.log(min(s, 9) / theta) / beta
        rates[s] = 0.5 * math.erfc(-x / math.sqrt(2.0))
    return rates


def fatalities(population: FloatArray, intensity: FloatArray) -> tuple[FloatArray, dict[str, Any]]:
    """Expected fatalities per community and the total with PAGER's range and bin odds."""
    p = defaults()["pager"]
    rates = pager_rates(p["theta"], p["beta"])
    s = np.clip(np.rint(intensity), 0, 12).astype(np.int64)
    per = population * rates[s]
    total = float(per.sum())
    zeta = float(p["zeta"])
    e = total + 1e-5
    g = 1.7613 if (e < 1 and zeta > 1.7) else zeta

    def phi(x: float) -> float:
        return 0.5 * math.erfc(-x / math.sqrt(2.0))

    def cdf(v: float) -> float:
        return 1.0 if v == math.inf else phi((math.log(v + 1e-5) - math.log(max(e, 0.5))) / g)

    bins = [
        {"from": lo, "to": None if hi == math.inf else hi, "p": round(cdf(hi) - cdf(lo), 4)}
        for lo, hi in itertools.pairwise(PAGER_BINS)
    ]
    summary = {
        "expected": round(total, 2),
        "low": round(total * math.exp(-zeta), 2),
        "high": round(total * math.exp(zeta), 2),
        "range_is": "one standard deviation of ln(fatalities) (16th-84th percentile)",
        "bins": bins,
        "model": {k: p[k] for k in ("country", "theta", "beta", "zeta", "citation")},
        "mmi_to_chinese": "identity",
    }
    return per, summary


@dataclass
class Demand:
    """Shelter demand and shortfalls."""

    shelter_demand: FloatArray  # per shelter
    unsheltered: FloatArray  # per community
    water_l: FloatArray
    food_kcal: FloatArray
    kits_needed: FloatArray
    kits_in_hand: FloatArray
    teams_needed: FloatArray
    teams_to_send: FloatArray


def demand(
    displaced: FloatArray,
    capacity: FloatArray,
    pair_c: IntArray,
    pair_s: IntArray,
    pair_cap: FloatArray,
    n_shelters: int,
    population: FloatArray,
    households: FloatArray,
    kits_standard: FloatArray,
    severe_destroyed: FloatArray,
    local_teams: FloatArray,
    cfg: ImpactConfig,
) -> Demand:
    """Where the displaced go, what they need for cfg.needs.days, and teams to send."""
    share = np.where(
        capacity[pair_c] > 0, pair_cap / np.where(capacity[pair_c] > 0, capacity[pair_c], 1.0), 0.0
    )
    shel = np.bincount(pair_s, weights=displaced[pair_c] * share, minlength=n_shelters).astype(
        float
    )
    unsheltered = np.maximum(0.0, displaced - capacity)
    nd = cfg.needs
    per_hh = np.where(households > 0, population / np.maximum(households, 1.0), 3.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        disp_share = np.where(population > 0, np.minimum(displaced / population, 1.0), 0.0)
    kits_needed = np.ceil(displaced / per_hh)
    kits_in_hand = np.floor(kits_standard * disp_share)
    teams_needed = np.ceil(severe_destroyed / cfg.buildings_per_team - 1e-9)
    return Demand(
        shelter_demand=shel,
        unsheltered=unsheltered,
        water_l=displaced * nd.water_l_per_person_day * nd.days,
        food_kcal=displaced * nd.food_kcal_per_person_day * nd.days,
        kits_needed=kits_needed,
        kits_in_hand=np.minimum(kits_in_hand, kits_needed),
        teams_needed=teams_needed,
        teams_to_send=np.maximum(0.0, teams_needed - local_teams),
    )

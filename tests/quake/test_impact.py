"""Damage shares, displaced residents, PAGER fatalities, demand and the auto-wall on a small city."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gis import analysis, synth
from gis.quake import assess, config, exposure, impact
from gis.quake.faults import Strike


def test_grade_shares_interpolate_and_sum_to_one() -> None:
    v = config.default_vulnerability()
    m = v.matrix()
    s = np.array([v.index("frame")] * 4)
    got = impact.grade_shares(m, s, np.array([4.0, 6.0, 7.5, 11.0]))
    assert np.allclose(got.sum(axis=1), 1.0)
    assert got[0].tolist() == [1.0, 0.0, 0.0, 0.0, 0.0]
    assert np.allclose(got[1], m[s[0], 0])
    assert np.allclose(got[2], (m[s[0], 1] + m[s[0], 2]) / 2)
    assert np.allclose(got[3], m[s[0], 4])
    assert v.index("砖混") == v.index("brick-concrete") and v.index("??") == v.index(
        "brick-concrete"
    )


def test_pager_china_rate() -> None:
    rates = impact.pager_rates(10.328811, 0.100058)
    x = math.log(8 / 10.328811) / 0.100058
    assert rates[8] == pytest.approx(0.5 * math.erfc(-x / math.sqrt(2)))
    assert rates[4] == 0.0 and rates[10] == rates[9]
    per, summary = impact.fatalities(np.array([10000.0, 10000.0]), np.array([8.2, 4.0]))
    assert per[0] == pytest.approx(10000 * rates[8]) and per[1] == 0.0
    assert summary["low"] < summary["expected"] < summary["high"]
    assert sum(b["p"] for b in summary["bins"]) == pytest.approx(1.0, abs=1e-3)


def test_bad_vulnerability_rows_refused() -> None:
    with pytest.raises(ValueError, match="sum to 100"):
        config.Vulnerability(
            structures={"x": [[50, 50, 0, 0, 1]] * 5},
            default_structure="x",
            rating_shift={},
        )


@pytest.fixture(scope="module")
def city() -> tuple[exposure.Exposure, config.Vulnerability]:
    d = synth.generate(communities=30, shelters=20, kit_rows=500, cameras=300, buildings=2000)
    layers = analysis.from_district(d)
    m = analysis.analyse(layers)
    v = config.default_vulnerability()
    structs = ["frame" if i % 3 else "masonry" for i in range(2000)]
    return exposure.prepare(layers, m, v, structs), v


def test_assessment_on_small_city(city: tuple[exposure.Exposure, config.Vulnerability]) -> None:
    ex, v = city
    cfg = config.ImpactConfig()
    lat, lon = float(ex.comm_lat[0]), float(ex.comm_lon[0])
    big = assess.assess(assess.Quake(lat, lon, 10, 6.5, Strike(30.0, "operator")), ex, v, cfg)
    small = assess.assess(assess.Quake(lat, lon, 10, 4.5, Strike(30.0, "operator")), ex, v, cfg)
    assert big.damage.displaced.sum() > small.damage.displaced.sum() >= 0
    rows = assess.community_rows(big, ex)
    assert rows[0]["intensity"] >= rows[-1]["intensity"] - 3
    assert set(rows[0]["by_relation"]) == set(cfg.relations)
    assert rows[0]["inputs"]["water_l_per_person_day"] == 15.0
    assert rows[0]["water_l"] == pytest.approx(rows[0]["displaced"] * 15 * 3, abs=50)
    tot = assess.totals(big, ex)
    assert tot["displaced"] == pytest.approx(big.damage.displaced.sum(), abs=1)
    assert tot["strike"]["source"] == "operator"
    # shelter demand adds up to the displaced who have capacity in reach
    assert big.demand.shelter_demand.sum() <= big.damage.displaced.sum() + 1e-6
    # auto-wall: usable cameras first, each tied to a hit community
    cams = big.cameras
    assert cams, "a M6.5 under the city must suggest cameras"
    flags = [c.usable for c in cams]
    assert flags == sorted(flags, reverse=True)
    hit = set(big.hit.tolist())
    assert all(set(c.communities) & hit for c in cams)


def test_community_without_buildings_uses_population_rule(
    city: tuple[exposure.Exposure, config.Vulnerability],
) -> None:
    ex, v = city
    ex2 = exposure.Exposure(**{**vars(ex)})
    ex2.building_comm = np.where(ex.building_comm == 0, -1, ex.building_comm)
    q = assess.Quake(
        float(ex.comm_lat[0]), float(ex.comm_lon[0]), 10, 6.5, Strike(None, "circular")
    )
    a = assess.assess(q, ex2, v, config.ImpactConfig())
    assert a.damage.displaced_rule[0] == "population" and a.damage.displaced[0] > 0
    assert a.damage.displaced_rule[1] == "buildings"

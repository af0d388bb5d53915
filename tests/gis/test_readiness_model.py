"""The weighted readiness model: renormalised weights, drills, weakest text, incremental kits."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from gis import analysis, synth
from gis import readiness as model
from tests.gis.test_analysis import CRS, cameras, layers, lonlat, shelters, square

CFG = model.ReadinessConfig()


def test_missing_components_are_left_out_and_weights_renormalised() -> None:
    nan = np.nan
    scores = np.array([[50, 100, 20, nan, 100, 0, 100], [nan] * 7])
    total = model.totals(scores, CFG)
    # Weights 20, 15, 20, (15), 10, 10, 10 without drills: 85 in all.
    assert total[0] == pytest.approx((20 * 50 + 15 * 100 + 20 * 20 + 10 * 100 + 0 + 1000) / 85)
    assert np.isnan(total[1])
    heavy = model.ReadinessConfig(weights=model.Weights(kits=100))
    assert model.totals(scores, heavy)[0] < total[0]


def test_config_refuses_unknown_keys() -> None:
    with pytest.raises(ValueError, match="extra"):
        model.ReadinessConfig.model_validate({"weights": {"kitz": 1}})


def test_drills_are_no_data_until_there_are_records() -> None:
    assert np.isnan(model.drill_scores(None, 2, CFG)).all()
    stats = [model.DrillStats(date(2026, 1, 1), 1, 2, 1), model.DrillStats(None, 3, 0, 0)]
    assert model.drill_scores(stats, 2, CFG).tolist() == [40.0, 100.0]


def one_community(standard_kits: float) -> tuple[analysis.Metrics, np.ndarray]:
    comm = square(0, 0, 1000, 1000)
    lay = layers(
        [(comm, 1000)],
        **shelters([(500, 500, 0, 5000)]),
        **cameras([(500, 400, 0, 60, 150, True)]),
        kit_community=np.array([0]),
        kit_category=np.array([0]),
        kit_quantity=np.array([standard_kits]),
        team_community=np.array([0]),
        team_heads=np.array([50.0]),
        building_lon=np.array([lonlat(100, 100)[0]]),
        building_lat=np.array([lonlat(100, 100)[1]]),
        building_rating=np.array([0]),
    )
    lay.households = np.array([1000.0])
    m = analysis.analyse(lay, crs=CRS)
    return m, model.component_scores(m, None, CFG)


def test_weakest_component_in_plain_words() -> None:
    m, scores = one_community(310)
    total = model.totals(scores, CFG)
    out = model.explain(0, m, scores, total, CFG, None)
    assert out["missing"] == ["drills"]
    assert out["components"]["kits"]["score"] == 31.0
    assert out["components"]["kits"]["inputs"]["delivered"]["standard"] == 310
    assert out["weakest"] == {
        "component": "kits",
        "text": {"en": "kits reach 31% of households", "zh-CN": "应急包覆盖 31% 的家庭"},
    }
    have = {k: v["score"] for k, v in out["components"].items() if v["score"] is not None}
    w = CFG.weights.model_dump()
    expect = sum(w[k] * s for k, s in have.items()) / sum(w[k] for k in have)
    assert out["score"] == pytest.approx(expect, abs=0.05)
    m2, scores2 = one_community(1000)
    out2 = model.explain(0, m2, scores2, model.totals(scores2, CFG), CFG, None)
    assert out2["weakest"]["component"] != "kits" and out2["score"] > out["score"]


def test_incremental_kit_update_equals_a_full_recompute() -> None:
    d = synth.generate(communities=40, shelters=30, kit_rows=2000, cameras=40, buildings=500)
    lay = analysis.from_district(d)
    m = analysis.analyse(lay)
    scores = model.component_scores(m, None, CFG)
    total = model.totals(scores, CFG)
    # A batch of 900 standard kits for community 7.
    lay.kit_community = np.r_[lay.kit_community, [7, 7]]
    lay.kit_category = np.r_[lay.kit_category, [0, 0]]
    lay.kit_quantity = np.r_[lay.kit_quantity, [400.0, 500.0]]
    full_m = analysis.analyse(lay)
    full_scores = model.component_scores(full_m, None, CFG)
    full_total = model.totals(full_scores, CFG)
    before = total.copy()
    m.kits[7] = analysis.kit_totals(
        lay.kit_community, lay.kit_category, lay.kit_quantity, len(total)
    )[7]
    model.rescore_kits(m, scores, total, np.array([7]), CFG)
    np.testing.assert_allclose(scores, full_scores, equal_nan=True)
    np.testing.assert_allclose(total, full_total)
    assert total[7] != before[7]
    assert np.array_equal(np.delete(total, 7), np.delete(before, 7))

"""Attenuation relations against worked values, ensemble, isoseismal orientation, faults."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely

from gis.quake import intensity as iq
from gis.quake.faults import nearest_fault
from gis.quake.isoseismal import isoseismals, radii


def test_gb18306_east_worked_values() -> None:
    rel = iq.relations()["gb18306_east"]
    assert rel.long is not None and rel.short is not None
    # I = 5.7123 + 1.3626*6 - 4.2903*lg(R+25): at R = 0 both axes give 7.890 (epicentre).
    r0 = np.array([0.0])
    assert rel.long.intensity(6.0, r0)[0] == pytest.approx(7.8903, abs=1e-3)
    assert rel.short.intensity(6.0, r0)[0] == pytest.approx(7.8903, abs=1e-3)
    # Long axis at 50 km: 13.8879 - 4.2903*lg(75) = 5.8434.
    assert rel.long.intensity(6.0, np.array([50.0]))[0] == pytest.approx(5.8434, abs=1e-3)
    # Radius of degree VI on each axis: 10^((6 - 13.8879)/-4.2903) - 25 = 43.96 km,
    # 10^((6 - 11.8344)/-3.5406) - 13 = 31.45 km.
    assert rel.long.radius(6.0, np.array([6.0]))[0] == pytest.approx(43.96, abs=0.05)
    assert rel.short.radius(6.0, np.array([6.0]))[0] == pytest.approx(31.45, abs=0.05)


def test_every_elliptical_relation_agrees_at_the_epicentre() -> None:
    for rel in iq.relations().values():
        if rel.elliptical:
            assert rel.long is not None and rel.short is not None
            z = np.array([0.0])
            assert rel.long.intensity(6.5, z)[0] == pytest.approx(
                rel.short.intensity(6.5, z)[0], abs=2e-3
            ), rel.id


def test_aww2012_worked_value() -> None:
    c = iq.relations()["aww2012"].coeffs
    # M6, Rhyp = 20 km: Rm = -0.209 + 2.042*e = 5.342; MMI = 2.085 + 8.568 - 1.402*ln(20.70)
    rm = -0.209 + 2.042 * math.e
    want = 2.085 + 1.428 * 6 - 1.402 * math.log(math.sqrt(400 + rm * rm))
    got = iq.evaluate(iq.relations()["aww2012"], 6.0, 0.0, np.array([20.0]), np.zeros(1), None)
    assert got[0] == pytest.approx(want, abs=1e-9) and got[0] == pytest.approx(6.40, abs=0.01)
    # beyond 50 km the anelastic term c4*ln(R/50) applies
    far = iq.evaluate(iq.relations()["aww2012"], 6.0, 0.0, np.array([100.0]), np.zeros(1), None)
    near_form = 2.085 + 1.428 * 6 - 1.402 * math.log(math.sqrt(1e4 + rm * rm))
    assert far[0] == pytest.approx(near_form + c["c4"] * math.log(2.0), abs=1e-9)


def test_ellipse_solution_on_axes_matches_axis_relations() -> None:
    rel = iq.relations()["gb18306_moderate"]
    assert rel.long is not None and rel.short is not None
    d = np.array([30.0, 30.0])
    az = np.array([40.0, 130.0])  # along and across a 40 degree strike
    got = iq.evaluate(rel, 6.0, 10.0, d, az, 40.0)
    assert got[0] == pytest.approx(rel.long.intensity(6.0, d[:1])[0], abs=1e-3)
    assert got[1] == pytest.approx(rel.short.intensity(6.0, d[:1])[0], abs=1e-3)
    circ = iq.evaluate(rel, 6.0, 10.0, d, az, None)
    assert circ[0] == pytest.approx(circ[1])
    assert got[1] < circ[0] < got[0]


def test_ensemble_median_and_spread() -> None:
    lat = np.array([23.13, 23.40])
    lon = np.array([113.30, 113.30])
    ens = iq.ensemble(
        ["gb18306_moderate", "gb18306_east", "wang2000_east", "aww2012"],
        6.0,
        10.0,
        23.13,
        113.30,
        lat,
        lon,
        None,
    )
    assert ens.values.shape == (4, 2)
    assert np.allclose(ens.median, np.median(ens.values, axis=0))
    assert np.all(ens.low <= ens.median) and np.all(ens.median <= ens.high)
    assert ens.median[0] > ens.median[1]  # farther is weaker


def test_deep_event_leaves_out_chinese_relations() -> None:
    ens = iq.ensemble(
        ["gb18306_east", "aww2012"],
        6.0,
        300.0,
        23.0,
        113.0,
        np.array([23.0]),
        np.array([113.0]),
        None,
    )
    assert ens.used == ["aww2012"] and "deeper than 70 km" in ens.notes[0]


@pytest.mark.parametrize("strike", [0.0, 45.0, 120.0])
def test_isoseismal_long_axis_follows_strike(strike: float) -> None:
    fc = isoseismals(["gb18306_east"], 6.5, 10.0, 23.1, 113.3, strike, degrees=[6, 7])
    assert [f["properties"]["degree"] for f in fc["features"]] == [6, 7]
    vi = fc["features"][0]["properties"]
    assert abs((vi["long_axis_azimuth"] - strike + 90) % 180 - 90) <= 5.0
    assert vi["long_axis_km"] > 1.2 * vi["short_axis_km"]
    poly = shapely.geometry.shape(fc["features"][0]["geometry"])
    assert poly.is_valid and poly.contains(shapely.Point(113.3, 23.1))


def test_no_strike_gives_circles() -> None:
    _az, r = radii(["gb18306_east"], 6.5, 10.0, None, [6])
    assert r.max() == pytest.approx(r.min(), rel=1e-3)


def test_median_at_grid_matches_direct() -> None:
    rng = np.random.default_rng(1)
    lat = 23.0 + rng.uniform(0, 0.2, 5000)
    lon = 113.2 + rng.uniform(0, 0.2, 5000)
    ids = ["gb18306_moderate", "aww2012"]
    grid = iq.median_at(ids, 6.0, 10.0, 23.1, 113.3, lat, lon, 30.0)
    direct = iq.ensemble(ids, 6.0, 10.0, 23.1, 113.3, lat, lon, 30.0).median
    assert np.max(np.abs(grid - direct)) < 0.05


def test_nearest_fault_strike() -> None:
    geoms = np.array(
        [
            shapely.LineString([(113.0, 23.0), (113.5, 23.5)]),  # NE-SW, passes near
            shapely.LineString([(114.5, 22.0), (114.5, 23.0)]),  # far
        ]
    )
    s = nearest_fault(23.26, 113.24, geoms, ["F1", "F2"], ["广从断裂", None], [None, None])
    assert s.source == "fault" and s.fault_id == "F1"
    assert s.strike_deg == pytest.approx(42.5, abs=2.0)
    stated = nearest_fault(23.26, 113.24, geoms, ["F1", "F2"], ["x", None], [50.0, None])
    assert stated.strike_deg == 50.0
    none = nearest_fault(30.0, 100.0, geoms, ["F1", "F2"], [None, None], [None, None])
    assert none.source == "circular" and none.strike_deg is None

"""Readiness analysis on hand-built geometries whose right answers are known by hand."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import shapely

from gis import analysis
from gis.crs import to_wgs84

CRS = "EPSG:4547"
X0, Y0 = 430_000.0, 2_560_000.0  # central Guangzhou in CGCS2000 / 3-degree GK CM 114E


def lonlat(x: float, y: float) -> tuple[float, float]:
    lon, lat = to_wgs84(CRS, np.array([X0 + x]), np.array([Y0 + y]))
    return float(lon[0]), float(lat[0])


def square(x: float, y: float, w: float, h: float) -> Any:
    """A w x h metre rectangle with its south-west corner at (x, y) metres, in WGS84."""
    ring = [(x, y), (x + w, y), (x + w, y + h), (x, y + h), (x, y)]
    return shapely.Polygon([lonlat(a, b) for a, b in ring])


def layers(comms: list[tuple[Any, float]], **kw: Any) -> analysis.Layers:
    n = len(comms)
    pop = np.array([p for _, p in comms], dtype=float)
    base = analysis.Layers(
        community_codes=[f"C{i}" for i in range(n)],
        community_geoms=np.array([g for g, _ in comms], dtype=object),
        population=pop,
        households=pop / 2,
        elderly=np.zeros(n),
        disabled=np.zeros(n),
        children=np.zeros(n),
    )
    for k, v in kw.items():
        setattr(base, k, v)
    return base


def shelters(pts: list[tuple[float, float, int, float]]) -> dict[str, Any]:
    """Shelter inputs from (x, y, kind index, capacity) in metres."""
    ll = [lonlat(x, y) for x, y, _, _ in pts]
    return {
        "shelter_ids": [f"S{i}" for i in range(len(pts))],
        "shelter_lon": np.array([p[0] for p in ll]),
        "shelter_lat": np.array([p[1] for p in ll]),
        "shelter_kind": np.array([p[2] for p in pts], dtype=np.int64),
        "shelter_capacity": np.array([p[3] for p in pts], dtype=float),
        "shelter_area": np.full(len(pts), np.nan),
    }


def cameras(cams: list[tuple[float, float, float, float, float, bool]]) -> dict[str, Any]:
    """Camera inputs from (x, y, bearing, angle, range, healthy) in metres/degrees."""
    ll = [lonlat(c[0], c[1]) for c in cams]
    return {
        "camera_ids": [f"K{i}" for i in range(len(cams))],
        "camera_lon": np.array([p[0] for p in ll]),
        "camera_lat": np.array([p[1] for p in ll]),
        "camera_bearing": np.array([c[2] for c in cams]),
        "camera_angle": np.array([c[3] for c in cams]),
        "camera_range": np.array([c[4] for c in cams]),
        "camera_healthy": np.array([c[5] for c in cams], dtype=bool),
    }


def test_shared_shelter_capacity_is_split_by_population_without_double_counting() -> None:
    a = square(0, 0, 1000, 1000)
    b = square(1000, 0, 1000, 1000)
    # A fixed shelter on the shared edge serves both; an emergency one 400 m west of A only A.
    lay = layers([(a, 3000), (b, 1000)], **shelters([(1000, 500, 1, 4000), (-400, 500, 0, 100)]))
    m = analysis.analyse(lay, crs=CRS)
    assert m.capacity == pytest.approx([3100, 1000], abs=0.01)
    assert m.capacity.sum() == pytest.approx(4100, abs=0.01)
    assert list(m.shelters_in_reach) == [2, 1]
    detail = analysis.shelters_of(m, 1)
    assert [d["shelter"] for d in detail] == [0]
    assert detail[0]["allocated_capacity"] == pytest.approx(1000, abs=0.1)
    assert detail[0]["distance_m"] == pytest.approx(500, abs=0.5)


def test_shelter_just_inside_and_just_outside_the_radius() -> None:
    comm = square(0, 0, 1000, 1000)
    lay = layers([(comm, 1000)], **shelters([(1499, 500, 0, 10), (-501, 500, 0, 20)]))
    m = analysis.analyse(lay, crs=CRS)
    assert list(m.pair_shelter) == [0]
    assert m.capacity[0] == pytest.approx(10)
    wider = analysis.analyse(lay, analysis.Radii(emergency_m=510), crs=CRS)
    assert sorted(wider.pair_shelter) == [0, 1]


def test_share_of_residents_in_reach_uses_the_sample_grid() -> None:
    comm = square(0, 0, 1000, 1000)
    lay = layers([(comm, 1000)], **shelters([(0, 0, 0, 10)]))
    m = analysis.analyse(lay, crs=CRS)
    # 5x5 grid at 100, 300, ... 900 m: (100,100), (100,300), (300,100), (300,300) lie within
    # 500 m of the corner, so 4/25; the exact area share is a quarter disc, 19.6%.
    assert m.walk_share[0] == pytest.approx(4 / 25)
    assert m.reach_share[0] == pytest.approx(4 / 25)
    assert abs(m.reach_share[0] - math.pi * 500**2 / 4 / 1e6) < 0.05
    assert m.nearest_m[0] == pytest.approx(math.hypot(500, 500), abs=0.5)
    fixed = analysis.analyse(layers([(comm, 1000)], **shelters([(0, 0, 1, 10)])), crs=CRS)
    assert fixed.reach_share[0] == 1.0 and fixed.walk_share[0] == pytest.approx(4 / 25)


def test_camera_sectors_watch_shelters_and_route_length() -> None:
    comm = square(-1000, -1000, 2000, 2000)
    route = shapely.LineString([lonlat(-50, 0), lonlat(200, 0)])
    sh = shelters([(80, 0, 0, 1), (80, 60, 0, 1), (120, 0, 0, 1), (0, -80, 0, 1)])
    cams = cameras(
        [
            (0, 0, 90, 60, 100, True),  # looks east: watches (80, 0) only
            (0, -200, 0, 10, 500, False),  # would watch (0, -80) but is offline
        ]
    )
    lay = layers(
        [(comm, 1000)],
        **sh,
        **cams,
        route_ids=["R"],
        route_geoms=np.array([route], dtype=object),
        route_community=np.array([-1]),
    )
    m = analysis.analyse(lay, crs=CRS)
    assert list(m.shelter_watched) == [True, False, False, False]
    assert list(zip(m.watch_shelter, m.watch_camera, strict=True)) == [(0, 0)]
    assert m.route_community[0] == 0
    assert m.route_watched[0] == pytest.approx(100, abs=0.01)
    assert m.shelters_watched[0] == 1 and m.shelters_in_reach[0] == 4
    # A second camera overlapping the first: 0..150 m watched, the overlap counted once.
    lay2 = layers([(comm, 1000)], **sh, **cameras([(0, 0, 90, 60, 100, True)] * 1))
    cams2 = cameras([(0, 0, 90, 60, 100, True), (50, 0, 90, 60, 100, True)])
    for k, v in cams2.items():
        setattr(lay2, k, v)
    lay2.route_geoms = np.array([route], dtype=object)
    lay2.route_community = np.array([0])
    assert analysis.analyse(lay2, crs=CRS).route_watched[0] == pytest.approx(150, abs=0.01)


def test_wide_fov_is_split_and_still_exact() -> None:
    comm = square(-1000, -1000, 2000, 2000)
    sh = shelters([(0, 50, 0, 1), (0, -50, 0, 1), (-50, 0, 0, 1)])
    lay = layers([(comm, 1000)], **sh, **cameras([(0, 0, 90, 270, 100, True)]))
    # 270 degrees centred on east leaves out the wedge centred on west.
    assert list(analysis.analyse(lay, crs=CRS).shelter_watched) == [True, True, False]


def test_unsafe_share_counts_surveyed_buildings_inside_each_community() -> None:
    a, b = square(0, 0, 500, 500), square(500, 0, 500, 500)
    pts = [(100, 100, 2), (200, 100, 0), (300, 100, 0), (400, 100, 3), (600, 100, 2), (-50, 0, 2)]
    ll = [lonlat(x, y) for x, y, _ in pts]
    lay = layers(
        [(a, 100), (b, 100)],
        building_lon=np.array([p[0] for p in ll]),
        building_lat=np.array([p[1] for p in ll]),
        building_rating=np.array([p[2] for p in pts], dtype=np.int64),
    )
    m = analysis.analyse(lay, crs=CRS)
    assert list(m.buildings_surveyed) == [3, 1]
    assert list(m.buildings_unsafe) == [1, 1]


def test_kit_totals_and_locate() -> None:
    tot = analysis.kit_totals(
        np.array([0, 1, 1, -1, 0]), np.array([0, 0, 3, 0, 1]), np.array([5.0, 2, 1, 9, 4]), 2
    )
    assert tot.tolist() == [[5, 4, 0, 0], [2, 0, 0, 1]]
    polys = np.array([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)], dtype=object)
    got = analysis.locate(polys, np.array([0.5, 1.5, 3.0]), np.array([0.5, 0.5, 0.5]))
    assert got.tolist() == [0, 1, -1]
    assert analysis.metric_crs(113.3, 23.1) == "EPSG:4547"
    assert analysis.metric_crs(136.9, 37.0) == "EPSG:32653"

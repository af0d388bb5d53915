"""Coordinate transforms: EPSG codes and the GCJ-02 / BD-09 offsets."""

from __future__ import annotations

import numpy as np
import pytest

from gis import crs

GZ = (113.27, 23.13)


def test_epsg4490_is_lon_lat_with_always_xy() -> None:
    lon, lat = crs.to_wgs84("EPSG:4490", np.array([GZ[0]]), np.array([GZ[1]]))
    assert lon[0] == pytest.approx(GZ[0], abs=1e-6)
    assert lat[0] == pytest.approx(GZ[1], abs=1e-6)
    assert crs.is_geographic(4490)


def test_epsg4547_round_trip_guangzhou() -> None:
    x, y = crs.from_wgs84(4547, np.array([GZ[0]]), np.array([GZ[1]]))
    # CM 114E, false easting 500 km: Guangzhou is ~75 km west of the meridian.
    assert 420_000 < x[0] < 430_000
    assert 2_550_000 < y[0] < 2_570_000
    lon, lat = crs.to_wgs84("4547", x, y)
    assert crs.metres_between(lon[0], lat[0], *GZ) < 0.001
    assert not crs.is_geographic("EPSG:4547")


def test_epsg6675_nanao() -> None:
    # Japan Plane Rectangular CS VII (Ishikawa): origin 137.1667E 36N.
    x, y = crs.from_wgs84(6675, np.array([136.96]), np.array([37.04]))
    lon, lat = crs.to_wgs84(6675, x, y)
    assert abs(x[0]) < 50_000 and 100_000 < y[0] < 130_000
    assert crs.metres_between(lon[0], lat[0], 136.96, 37.04) < 0.001


def test_gcj02_round_trip_under_a_centimetre() -> None:
    g = crs.wgs84_to_gcj02(*GZ)
    offset = crs.metres_between(float(g[0]), float(g[1]), *GZ)
    assert 200 < offset < 700  # the Guangzhou offset is a few hundred metres
    w = crs.gcj02_to_wgs84(g[0], g[1])
    assert crs.metres_between(float(w[0]), float(w[1]), *GZ) < 0.01


def test_one_step_inverse_is_off_by_metres() -> None:
    g = crs.wgs84_to_gcj02(*GZ)
    once = crs.gcj02_to_wgs84_once(g[0], g[1])
    err = crs.metres_between(float(once[0]), float(once[1]), *GZ)
    assert 0.5 < err < 10


def test_bd09_both_ways() -> None:
    b = crs.wgs84_to_bd09(*GZ)
    assert crs.metres_between(float(b[0]), float(b[1]), *GZ) > 500
    w = crs.bd09_to_wgs84(b[0], b[1])
    assert crs.metres_between(float(w[0]), float(w[1]), *GZ) < 0.01
    g = crs.wgs84_to_gcj02(*GZ)
    g2 = crs.bd09_to_gcj02(*crs.gcj02_to_bd09(g[0], g[1]))
    assert crs.metres_between(float(g2[0]), float(g2[1]), float(g[0]), float(g[1])) < 0.01


def test_vectorised_and_outside_china_unchanged() -> None:
    lon = np.array([113.27, 2.35])
    lat = np.array([23.13, 48.85])
    glon, glat = crs.wgs84_to_gcj02(lon, lat)
    assert glon[1] == 2.35 and glat[1] == 48.85
    assert glon[0] != 113.27
    assert crs.utm_epsg(113.27, 23.13) == 32649
    assert crs.utm_epsg(136.96, 37.04) == 32653

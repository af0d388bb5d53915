"""Isoseismal polygons: for each degree, the area where the (ensemble median) intensity reaches it.

Along each of `rays` azimuths the radius where the median intensity falls to the degree is
found by bisection (the median of relations that each decrease with distance decreases
too); the polygon joins those radii. With a strike the polygons are elongated along it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gis.quake.intensity import ROMAN, FloatArray, choose, destination, evaluate

MAX_KM = 3000.0
STEPS = 40


def _median_at(
    ids: list[str], mag: float, depth: float, dist: FloatArray, az: FloatArray, strike: float | None
) -> FloatArray:
    chosen, _ = choose(ids, depth)
    vals = np.stack([evaluate(r, mag, depth, dist, az, strike) for r in chosen])
    out: FloatArray = np.median(vals, axis=0)
    return out


def radii(
    ids: list[str],
    mag: float,
    depth: float,
    strike: float | None,
    degrees: list[int],
    rays: int = 72,
) -> tuple[FloatArray, FloatArray]:
    """Azimuths (rays,) and the radius in km (degrees, rays); 0 where never reached."""
    az = np.arange(rays) * 360.0 / rays
    k = np.asarray(degrees, dtype=float)[:, None] * np.ones((1, rays))
    azg = np.ones((len(degrees), 1)) * az[None, :]
    lo = np.zeros_like(k)
    hi = np.full_like(k, MAX_KM)
    at0 = _median_at(ids, mag, depth, np.zeros(rays), az, strike)
    reached = at0[None, :] >= k
    for _ in range(STEPS):
        mid = (lo + hi) / 2.0
        val = _median_at(ids, mag, depth, mid.ravel(), azg.ravel(), strike).reshape(k.shape)
        inside = val >= k
        lo = np.where(inside, mid, lo)
        hi = np.where(inside, hi, mid)
    r: FloatArray = np.where(reached, (lo + hi) / 2.0, 0.0)
    return az, r


def isoseismals(
    ids: list[str],
    mag: float,
    depth: float,
    lat0: float,
    lon0: float,
    strike: float | None,
    degrees: list[int] | None = None,
    rays: int = 72,
) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of one polygon per degree reached (highest last)."""
    degrees = degrees or list(range(4, 13))
    az, r = radii(ids, mag, depth, strike, degrees, rays)
    feats = []
    step = np.radians(360.0 / rays)
    for i, deg in enumerate(degrees):
        ri = r[i]
        if not np.any(ri > 0):
            continue
        lat, lon = destination(lat0, lon0, az, ri)
        ring = [[round(float(x), 6), round(float(y), 6)] for x, y in zip(lon, lat, strict=True)]
        ring.append(ring[0])
        area = float(0.5 * np.sum(ri * np.roll(ri, -1)) * np.sin(step))
        longest = int(np.argmax(ri))
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {
                    "degree": deg,
                    "roman": ROMAN[deg],
                    "long_axis_km": round(float(ri.max()), 2),
                    "short_axis_km": round(float(ri.min()), 2),
                    "long_axis_azimuth": round(float(az[longest]) % 180.0, 1),
                    "area_km2": round(area, 2),
                },
            }
        )
    return {"type": "FeatureCollection", "features": feats}

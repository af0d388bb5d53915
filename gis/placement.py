"""Where imported features land: the site's extent, and how far outside it they would be.

The site extent is a lon/lat box (a setting, else the communities layer's bounds) grown by a
margin; an import whose features mostly fall outside it is refused with where they would
land, which catches a wrong declared CRS and swapped axes that stay inside the lon/lat range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely

from gis import crs as crsmod

FloatArray = npt.NDArray[np.float64]
M_PER_DEG = 111_320.0


@dataclass(frozen=True)
class Extent:
    """A lon/lat box and where it came from ("setting", "communities", "layers")."""

    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float
    source: str

    def grown(self, margin_m: float) -> Extent:
        """The box widened by margin_m metres on every side."""
        mid = math.radians((self.min_lat + self.max_lat) / 2)
        dlat = margin_m / M_PER_DEG
        dlon = margin_m / (M_PER_DEG * max(0.05, math.cos(mid)))
        return Extent(
            max(-180.0, self.min_lon - dlon),
            max(-90.0, self.min_lat - dlat),
            min(180.0, self.max_lon + dlon),
            min(90.0, self.max_lat + dlat),
            self.source,
        )

    def inside(self, lon: FloatArray, lat: FloatArray) -> npt.NDArray[np.bool_]:
        """Which points lie in the box."""
        out: npt.NDArray[np.bool_] = (
            (lon >= self.min_lon)
            & (lon <= self.max_lon)
            & (lat >= self.min_lat)
            & (lat <= self.max_lat)
        )
        return out

    def distance_m(self, lon: float, lat: float) -> float:
        """Metres from a point to the nearest point of the box (0 inside)."""
        nlon = min(max(lon, self.min_lon), self.max_lon)
        nlat = min(max(lat, self.min_lat), self.max_lat)
        return crsmod.metres_between(lon, lat, nlon, nlat)

    def as_list(self) -> list[float]:
        """[min_lon, min_lat, max_lon, max_lat]."""
        return [self.min_lon, self.min_lat, self.max_lon, self.max_lat]


def centres(geoms: list[Any]) -> tuple[FloatArray, FloatArray]:
    """The bounding-box centre of each geometry (NaN for empty ones)."""
    if not geoms:
        return np.zeros(0), np.zeros(0)
    b = shapely.bounds(np.asarray(geoms, dtype=object))
    return (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2


def valid_lonlat(geoms: list[Any]) -> bool:
    """Whether every coordinate is a finite longitude/latitude."""
    if not geoms:
        return True
    xy = shapely.get_coordinates(np.asarray(geoms, dtype=object))
    return bool(
        np.all(np.isfinite(xy))
        and np.all(np.abs(xy[:, 0]) <= 180)
        and np.all(np.abs(xy[:, 1]) <= 90)
    )


def share_inside(geoms: list[Any], extent: Extent) -> float:
    """Share of geometries whose centre lies in the extent."""
    lon, lat = centres(geoms)
    if len(lon) == 0:
        return 1.0
    ok = np.isfinite(lon) & np.isfinite(lat)
    return float(np.mean(extent.inside(lon, lat) & ok))


def fmt_lonlat(lon: float, lat: float) -> str:
    """ "109.5E 0.0002N": degrees with up to 4 decimals, hemisphere letters."""

    def num(v: float) -> str:
        text = f"{abs(v):.4f}".rstrip("0").rstrip(".")
        return text or "0"

    return f"{num(lon)}{'E' if lon >= 0 else 'W'} {num(lat)}{'N' if lat >= 0 else 'S'}"


def landing(geoms: list[Any], extent: Extent | None) -> dict[str, Any]:
    """Where the geometries land: median centre, as text, and km from the extent."""
    lon, lat = centres(geoms)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any():
        return {"lon": None, "lat": None, "where": "nowhere (coordinates not finite)", "km": None}
    mlon, mlat = float(np.median(lon[ok])), float(np.median(lat[ok]))
    km = None if extent is None else round(extent.distance_m(mlon, mlat) / 1000.0, 1)
    return {"lon": round(mlon, 6), "lat": round(mlat, 6), "where": fmt_lonlat(mlon, mlat), "km": km}


def in_china(geoms: list[Any]) -> bool:
    """Whether most geometries lie in the box where GCJ-02 applies an offset."""
    lon, lat = centres(geoms)
    if len(lon) == 0:
        return False
    return float(np.mean(~crsmod.out_of_china(lon, lat))) >= 0.5


def offset_m(geoms: list[Any], crs: str) -> float:
    """Median metres the features would move if their coordinates were in `crs`, not WGS84."""
    lon, lat = centres(geoms)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any():
        return 0.0
    wlon, wlat = crsmod.to_wgs84(crs, lon[ok], lat[ok])
    d = [
        crsmod.metres_between(a, b, c, e)
        for a, b, c, e in zip(lon[ok], lat[ok], wlon, wlat, strict=True)
    ]
    return round(float(np.median(d)), 1)


def bounds(geoms: list[Any]) -> list[float] | None:
    """[min_lon, min_lat, max_lon, max_lat] of all geometries."""
    if not geoms:
        return None
    b = shapely.total_bounds(np.asarray(geoms, dtype=object))
    return [round(float(v), 7) for v in b] if np.all(np.isfinite(b)) else None

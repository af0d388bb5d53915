"""Geometry checks: repair with make_valid, refuse empty/wrong types, diagnose wrong CRS."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry


class GeometryError(ValueError):
    """A feature's geometry that cannot be used, with a machine-readable code."""

    def __init__(self, code: str, msg: str) -> None:
        super().__init__(msg)
        self.code = code


@dataclass
class Checked:
    """A usable geometry and the repair applied to it, if any."""

    geom: BaseGeometry
    repaired: str | None


def _close_rings(obj: dict[str, Any]) -> bool:
    """Close unclosed polygon rings in place; True when any was closed."""
    closed = False
    polys: list[Any] = []
    if obj.get("type") == "Polygon":
        polys = [obj.get("coordinates") or []]
    elif obj.get("type") == "MultiPolygon":
        polys = list(obj.get("coordinates") or [])
    for poly in polys:
        for ring in poly:
            if len(ring) >= 3 and list(ring[0]) != list(ring[-1]):
                ring.append(list(ring[0]))
                closed = True
    return closed


def from_geojson(obj: Any) -> tuple[BaseGeometry, bool]:
    """Parse a GeoJSON geometry dict; returns the geometry and whether rings were closed."""
    if not isinstance(obj, dict) or "type" not in obj:
        raise GeometryError("geometry_missing", "feature has no geometry")
    closed = _close_rings(obj)
    try:
        geom = shapely.geometry.shape(obj)
    except (ValueError, TypeError, AttributeError, IndexError, KeyError) as exc:
        # KeyError: a geometry without "coordinates" (shapely indexes it directly).
        raise GeometryError("geometry_invalid", f"geometry cannot be read: {exc}") from exc
    return geom, closed


def check(geom: BaseGeometry, allowed: frozenset[str], ring_closed: bool = False) -> Checked:
    """Refuse empty or disallowed geometry types; repair invalid ones with make_valid."""
    if geom.is_empty:
        raise GeometryError("geometry_empty", "geometry is empty")
    repaired: str | None = "closed an unclosed ring" if ring_closed else None
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        fixed = shapely.make_valid(geom)
        if fixed.geom_type == "GeometryCollection":
            parts = [g for g in shapely.get_parts(fixed) if g.geom_type in allowed]
            fixed = shapely.union_all(parts) if parts else fixed
        if fixed.is_empty:
            raise GeometryError("geometry_invalid", f"geometry cannot be repaired: {reason}")
        geom = fixed
        repaired = f"make_valid: {reason}"
    if geom.geom_type not in allowed:
        raise GeometryError(
            "geometry_type",
            f"{geom.geom_type} not allowed here (expected {', '.join(sorted(allowed))})",
        )
    return Checked(geom, repaired)


def diagnose_lonlat(coords: np.ndarray[Any, np.dtype[np.float64]]) -> str | None:
    """Why x/y values (n x 2) cannot be WGS84 lon/lat, or None when they look right."""
    if coords.size == 0:
        return None
    x, y = coords[:, 0], coords[:, 1]
    if np.any(np.abs(x) > 180) or np.any(np.abs(y) > 90):
        if np.all(np.abs(x) > 1000) or np.all(np.abs(y) > 1000):
            return "coordinates look like projected metres, not lon/lat degrees: give the EPSG code"
        if np.all(np.abs(x) <= 90) and np.all(np.abs(y) <= 180):
            return "latitude/longitude look swapped (axis order): give lon first"
        return "coordinates are outside the lon/lat range"
    return None


def diagnose_axis(coords: np.ndarray[Any, np.dtype[np.float64]], hint: tuple[float, float]) -> bool:
    """True when swapping x/y brings the data much nearer a known region (lon, lat)."""
    if coords.size == 0:
        return False
    cx, cy = float(np.median(coords[:, 0])), float(np.median(coords[:, 1]))
    straight = abs(cx - hint[0]) + abs(cy - hint[1])
    swapped = abs(cy - hint[0]) + abs(cx - hint[1])
    return swapped < straight / 4


def all_coords(geoms: list[BaseGeometry]) -> np.ndarray[Any, np.dtype[np.float64]]:
    """All vertex coordinates (x, y) of a list of geometries."""
    if not geoms:
        return np.zeros((0, 2))
    return np.asarray(shapely.get_coordinates(np.asarray(geoms, dtype=object)), dtype=float)

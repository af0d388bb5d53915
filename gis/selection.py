"""Which cameras cover a map selection: a community, a shelter or an area drawn on the map.

A camera covers the selection when its field-of-view sector (gis.coverage) overlaps it, or
when the camera stands inside it (cameras without a field of view count only that way).
A point selection (a shelter drawn as a point) is a disc of `near_m` around the point, the
site an operator means. Everything runs in a metric CRS, vectorised over the candidate
sectors an STRtree of sector boxes returns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from gis import coverage
from gis.coverage import BoolArray, FloatArray, GeomArray, IntArray

ARC_STEPS = 12  # sector arc vertices: under 0.5 % area error for a 90 degree sector


@dataclass
class Covering:
    """Cameras covering a selection (indices into the inputs), best first."""

    camera: IntArray
    in_view: BoolArray
    inside: BoolArray
    distance_m: FloatArray


def sector_polygons(fov: coverage.Fov, k: IntArray, steps: int = ARC_STEPS) -> GeomArray:
    """Polygons of sectors k: the apex, then the arc from the left edge to the right."""
    frac = np.linspace(0.0, 1.0, steps + 1)[None, :]
    ang = np.radians(fov.bearing[k, None] - fov.half[k, None] + 2 * fov.half[k, None] * frac)
    r = fov.range_m[k, None]
    xs = np.concatenate([fov.x[k, None], fov.x[k, None] + r * np.sin(ang), fov.x[k, None]], 1)
    ys = np.concatenate([fov.y[k, None], fov.y[k, None] + r * np.cos(ang), fov.y[k, None]], 1)
    polys: GeomArray = shapely.polygons(np.stack([xs, ys], axis=-1))
    return polys


def covering(
    fov: coverage.Fov,
    cam_x: FloatArray,
    cam_y: FloatArray,
    area: BaseGeometry,
    near_m: float = 60.0,
) -> Covering:
    """Cameras whose sector overlaps `area` or that stand inside it, nearest first."""
    if area.geom_type in ("Point", "MultiPoint", "LineString", "MultiLineString"):
        area = area.buffer(near_m)
    shapely.prepare(area)
    n = len(cam_x)
    in_view = np.zeros(n, dtype=bool)
    if fov.tree is not None and len(fov.camera):
        k = np.asarray(fov.tree.query(area), dtype=np.int64)
        if len(k):
            hit = shapely.intersects(sector_polygons(fov, k), area)
            in_view[fov.camera[k[hit]]] = True
    ok = np.isfinite(cam_x) & np.isfinite(cam_y)
    inside = np.zeros(n, dtype=bool)
    inside[ok] = shapely.contains_xy(area, cam_x[ok], cam_y[ok])
    idx = np.flatnonzero(in_view | inside)
    centre = area.centroid
    dist = np.hypot(cam_x[idx] - centre.x, cam_y[idx] - centre.y)
    # Cameras both inside and looking at it first, then those looking at it, then the rest.
    rank = np.where(in_view[idx] & inside[idx], 0, np.where(in_view[idx], 1, 2))
    order = np.lexsort((dist, rank))
    idx = idx[order]
    return Covering(idx.astype(np.int64), in_view[idx], inside[idx], dist[order])

"""Which cameras see what: the one definition the map, live drill mode and readiness share.

A camera's view is a sector with its apex at the camera, a compass bearing (clockwise from
north), an opening angle and a range. A camera without a recorded field of view (no bearing,
angle or range: a PTZ dome, or not surveyed yet) is taken to see a full circle of its range,
or of NO_FOV_RANGE_M when that is missing too. A sector wider than 180 degrees is split in two.

A camera sees a point inside its view (edges included), a line when some length of it lies in
view, and an area (a shelter polygon) when any part of it does. Everything is computed in a
metric CRS, vectorised over (item, sector) pairs found with an STRtree of sector boxes; the
map draws the same sectors (`view_ring`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from gis import crs as crsmod

NO_FOV_RANGE_M = 150.0  # without a recorded field of view: a full circle this wide

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
GeomArray = npt.NDArray[np.object_]


@dataclass
class Fov:
    """Healthy camera sectors in metric coordinates, split so none opens wider than 180°."""

    camera: IntArray
    x: FloatArray
    y: FloatArray
    bearing: FloatArray
    half: FloatArray
    range_m: FloatArray
    tree: shapely.STRtree | None


def effective(
    bearing_deg: FloatArray, angle_deg: FloatArray, range_m: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(bearing, angle, range) used for each camera: a full circle where the view is unknown."""
    b = np.asarray(bearing_deg, dtype=float)
    a = np.asarray(angle_deg, dtype=float)
    r = np.asarray(range_m, dtype=float)
    rng = np.where(np.isfinite(r) & (r > 0), r, NO_FOV_RANGE_M)
    has_fov = np.isfinite(b) & np.isfinite(a) & (a > 0) & np.isfinite(r) & (r > 0)
    return np.where(has_fov, b, 0.0), np.where(has_fov, np.minimum(a, 360.0), 360.0), rng


def sectors(
    lon: FloatArray,
    lat: FloatArray,
    healthy: BoolArray,
    bearing_deg: FloatArray,
    angle_deg: FloatArray,
    range_m: FloatArray,
    crs: str,
) -> Fov:
    """Sectors of the healthy cameras with a position, in metric `crs` (see `effective`)."""
    bearing_deg, angle_deg, range_m = effective(bearing_deg, angle_deg, range_m)
    ok = np.asarray(healthy, dtype=bool) & np.isfinite(lon + lat)
    idx = np.flatnonzero(ok)
    angle = angle_deg[idx]
    bearing = bearing_deg[idx]
    wide = angle > 180.0
    # A sector wider than 180 degrees is two half-width sectors side by side.
    cam = np.concatenate([idx, idx[wide]])
    bear = np.concatenate(
        [np.where(wide, bearing - angle / 4, bearing), bearing[wide] + angle[wide] / 4]
    )
    half = np.concatenate([np.where(wide, angle / 4, angle / 2), angle[wide] / 4])
    x, y = crsmod.from_wgs84(crs, lon[cam], lat[cam])
    bear = bear + grid_north(crs, lon[cam], lat[cam], x, y)
    r = range_m[cam]
    tree = shapely.STRtree(shapely.box(x - r, y - r, x + r, y + r)) if len(cam) else None
    return Fov(cam.astype(np.int64), x, y, bear, half, r, tree)


def grid_north(
    crs: str, lon: FloatArray, lat: FloatArray, x: FloatArray, y: FloatArray
) -> FloatArray:
    """Compass angle (degrees) of true north in the metric grid at each point: added to a
    camera's bearing so its sector points where the camera looks (meridian convergence)."""
    if len(lon) == 0:
        return np.zeros(0)
    nx, ny = crsmod.from_wgs84(crs, lon, lat + 1e-4)
    out: FloatArray = np.degrees(np.arctan2(nx - x, ny - y))
    return out


def _side(fov: Fov, k: IntArray, sign: float) -> tuple[FloatArray, FloatArray]:
    """Unit vector of a sector's left (sign -1) or right (+1) edge, compass bearings."""
    t = np.radians(fov.bearing[k] + sign * fov.half[k])
    return np.sin(t), np.cos(t)


def in_sector(fov: Fov, k: IntArray, px: FloatArray, py: FloatArray) -> BoolArray:
    """Whether each point lies inside sector k (within range, between the two edges)."""
    fx, fy = px - fov.x[k], py - fov.y[k]
    lx, ly = _side(fov, k, -1.0)
    rx, ry = _side(fov, k, 1.0)
    # Clockwise of the left edge and counter-clockwise of the right edge (x east, y north).
    inside: BoolArray = (
        (fx * fx + fy * fy <= fov.range_m[k] ** 2)
        & (lx * fy - ly * fx <= 1e-9)
        & (rx * fy - ry * fx >= -1e-9)
    )
    return inside


def _segment_cover(
    fov: Fov, k: IntArray, ax: FloatArray, ay: FloatArray, bx: FloatArray, by: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Parameter interval [lo, hi] of each segment A->B inside sector k (empty when lo >= hi)."""
    dx, dy = bx - ax, by - ay
    fx, fy = ax - fov.x[k], ay - fov.y[k]
    a = np.maximum(dx * dx + dy * dy, 1e-12)
    b = fx * dx + fy * dy
    c = fx * fx + fy * fy - fov.range_m[k] ** 2
    disc = b * b - a * c
    root = np.sqrt(np.maximum(disc, 0.0))
    lo = np.maximum(0.0, (-b - root) / a)
    hi = np.where(disc >= 0, np.minimum(1.0, (-b + root) / a), -1.0)
    for sign, keep_neg in ((-1.0, True), (1.0, False)):
        ux, uy = _side(fov, k, sign)
        g0 = ux * fy - uy * fx
        g1 = ux * dy - uy * dx
        if not keep_neg:
            g0, g1 = -g0, -g1
        # Condition g0 + t * g1 <= 0.
        with np.errstate(divide="ignore", invalid="ignore"):
            t = -g0 / g1
        hi = np.where(g1 > 0, np.minimum(hi, t), hi)
        lo = np.where(g1 < 0, np.maximum(lo, t), lo)
        hi = np.where((g1 == 0) & (g0 > 0), -1.0, hi)
    return lo, hi


def _segments(
    lines: GeomArray,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, IntArray]:
    """Every segment (ax, ay, bx, by) of the lines and the line it belongs to.

    Segments join consecutive vertices of one part: the gap between two parts of a
    multi-line is not a segment.
    """
    parts, owner = shapely.get_parts(lines, return_index=True)
    xy, part = shapely.get_coordinates(parts, return_index=True)
    seg = np.flatnonzero(part[1:] == part[:-1])
    return (
        xy[seg, 0],
        xy[seg, 1],
        xy[seg + 1, 0],
        xy[seg + 1, 1],
        np.asarray(owner[part[seg]], dtype=np.int64),
    )


def watched_lines(fov: Fov, lines: GeomArray) -> FloatArray:
    """Length of each line inside the union of the sectors (overlaps counted once)."""
    out = np.zeros(len(lines))
    if fov.tree is None or len(lines) == 0:
        return out
    ax, ay, bx, by, seg_owner = _segments(lines)
    seg = np.arange(len(ax))
    boxes = shapely.box(
        np.minimum(ax, bx), np.minimum(ay, by), np.maximum(ax, bx), np.maximum(ay, by)
    )
    si, k = fov.tree.query(boxes)
    lo, hi = _segment_cover(fov, k, ax[si], ay[si], bx[si], by[si])
    keep = hi > lo
    si, lo, hi = si[keep], lo[keep], hi[keep]
    # Merge intervals per segment: offset each segment by its index so one sort orders all.
    start, stop = si + lo, si + hi
    order = np.lexsort((start, si))
    start, stop, si = start[order], stop[order], si[order]
    reach = np.maximum.accumulate(stop)
    prev = np.r_[-1.0, reach[:-1]]
    prev = np.where(np.r_[True, si[1:] != si[:-1]], si.astype(float), prev)
    frac = np.maximum(0.0, stop - np.maximum(start, prev))
    seg_len = np.hypot(bx - ax, by - ay)
    covered = np.bincount(si, weights=frac * seg_len[si], minlength=len(seg))
    np.add.at(out, seg_owner, covered)
    return out


def watched_points(fov: Fov, x: FloatArray, y: FloatArray) -> tuple[IntArray, IntArray]:
    """(point, camera) pairs where the point lies in one of the camera's sectors."""
    if fov.tree is None or len(x) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    pi, k = fov.tree.query(shapely.points(x, y))
    ok = in_sector(fov, k, x[pi], y[pi])
    pairs = np.unique(np.stack([pi[ok], fov.camera[k[ok]]]), axis=1)
    return pairs[0].astype(np.int64), pairs[1].astype(np.int64)


def line_pairs(fov: Fov, lines: GeomArray) -> tuple[IntArray, IntArray]:
    """(line, camera) pairs where some length of the line (or ring) lies in the camera's view."""
    if fov.tree is None or len(lines) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    ax, ay, bx, by, owner = _segments(lines)
    boxes = shapely.box(
        np.minimum(ax, bx), np.minimum(ay, by), np.maximum(ax, bx), np.maximum(ay, by)
    )
    si, k = fov.tree.query(boxes)
    lo, hi = _segment_cover(fov, k, ax[si], ay[si], bx[si], by[si])
    keep = hi >= lo
    line = owner[si[keep]]
    if len(line) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    pairs = np.unique(np.stack([line, fov.camera[k[keep]]]), axis=1)
    return pairs[0].astype(np.int64), pairs[1].astype(np.int64)


def area_pairs(fov: Fov, areas: GeomArray) -> tuple[IntArray, IntArray]:
    """(area, camera) pairs where any part of the polygon lies in the camera's view.

    A polygon meets a sector when the sector's apex is inside it, or its boundary crosses
    or lies in the sector (a polygon wholly inside the sector has its boundary in it).
    """
    if fov.tree is None or len(areas) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    ai, ci = line_pairs(fov, shapely.boundary(areas))
    tree = shapely.STRtree(areas)
    apex_k, area_i = tree.query(shapely.points(fov.x, fov.y), predicate="intersects")
    a = np.concatenate([ai, area_i])
    c = np.concatenate([ci, fov.camera[apex_k]])
    if len(a) == 0:
        return a.astype(np.int64), c.astype(np.int64)
    pairs = np.unique(np.stack([a, c]), axis=1)
    return pairs[0].astype(np.int64), pairs[1].astype(np.int64)


def watchers(fov: Fov, targets: GeomArray) -> tuple[IntArray, IntArray]:
    """(target, camera) pairs: who sees each metric geometry (point, line or polygon)."""
    kind = shapely.get_type_id(targets) if len(targets) else np.zeros(0, int)
    out_t: list[IntArray] = []
    out_c: list[IntArray] = []
    for ids, fn in (
        ((0, 4), _point_pairs),  # Point, MultiPoint
        ((1, 2, 5), line_pairs),  # LineString, LinearRing, MultiLineString
        ((3, 6), area_pairs),  # Polygon, MultiPolygon
    ):
        sel = np.flatnonzero(np.isin(kind, ids))
        if len(sel):
            t, c = fn(fov, targets[sel])
            out_t.append(sel[t])
            out_c.append(c)
    if not out_t:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(out_t).astype(np.int64), np.concatenate(out_c).astype(np.int64)


def _point_pairs(fov: Fov, pts: GeomArray) -> tuple[IntArray, IntArray]:
    xy, owner = shapely.get_coordinates(pts, return_index=True)
    p, c = watched_points(fov, xy[:, 0], xy[:, 1])
    if len(p) == 0:
        return p, c
    pairs = np.unique(np.stack([owner[p], c]), axis=1)
    return pairs[0].astype(np.int64), pairs[1].astype(np.int64)


def cameras_seeing(
    cams: list[tuple[float, float, float | None, float | None, float | None]],
    targets: list[BaseGeometry],
) -> list[set[int]]:
    """For each WGS84 target, the indices of the cameras (lon, lat, bearing, angle, range)
    that see it: the entry point for code outside the vectorised readiness analysis."""
    out: list[set[int]] = [set() for _ in targets]
    if not cams or not targets:
        return out
    arr = np.array([[np.nan if v is None else float(v) for v in c] for c in cams], dtype=float)
    geoms = np.asarray(targets, dtype=object)
    cx, cy = shapely.get_coordinates(shapely.centroid(geoms[:1]))[0]
    crs = crsmod.metric_crs(float(cx), float(cy))
    fov = sectors(
        arr[:, 0], arr[:, 1], np.ones(len(arr), bool), arr[:, 2], arr[:, 3], arr[:, 4], crs
    )

    def fn(xy: FloatArray) -> FloatArray:
        x, y = crsmod.from_wgs84(crs, xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    t, c = watchers(fov, shapely.transform(geoms, fn))
    for ti, ci in zip(t, c, strict=True):
        out[int(ti)].add(int(ci))
    return out


def view_ring(
    lon: float,
    lat: float,
    bearing: float | None,
    angle: float | None,
    range_m: float | None,
    step_deg: float = 5.0,
) -> list[list[float]]:
    """The camera's view as a closed lon/lat ring for the map (the sector `sectors` uses)."""
    b, a, r = (
        float(v[0])
        for v in effective(
            np.array([bearing if bearing is not None else np.nan]),
            np.array([angle if angle is not None else np.nan]),
            np.array([range_m if range_m is not None else np.nan]),
        )
    )
    crs = crsmod.metric_crs(lon, lat)
    gx, gy = crsmod.from_wgs84(crs, np.array([lon]), np.array([lat]))
    x0, y0 = float(gx[0]), float(gy[0])
    b += float(grid_north(crs, np.array([lon]), np.array([lat]), gx, gy)[0])
    full = a >= 360.0
    steps = max(2, math.ceil(a / step_deg))
    start = b - (0.0 if full else a / 2)
    ang = np.radians(start + a * np.arange(steps + 1) / steps)
    xs, ys = x0 + r * np.sin(ang), y0 + r * np.cos(ang)
    if not full:
        xs, ys = np.r_[x0, xs, x0], np.r_[y0, ys, y0]
    rlon, rlat = crsmod.to_wgs84(crs, xs, ys)
    ring = [[round(float(p), 7), round(float(q), 7)] for p, q in zip(rlon, rlat, strict=True)]
    if full:
        ring[-1] = ring[0]
    else:
        ring[0] = ring[-1] = [lon, lat]
    return ring

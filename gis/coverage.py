"""Camera field-of-view sectors: which points and how much of each line they watch.

A sector has its apex at the camera, a compass bearing (clockwise from north), an opening
angle and a range; one wider than 180 degrees is split into two halves. Everything is in a
metric CRS and vectorised over (item, sector) pairs found with an STRtree of sector boxes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely

from gis import crs as crsmod

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


def sectors(
    lon: FloatArray,
    lat: FloatArray,
    healthy: BoolArray,
    bearing_deg: FloatArray,
    angle_deg: FloatArray,
    range_m: FloatArray,
    crs: str,
) -> Fov:
    """Sectors of healthy cameras with a position and field of view, in metric `crs`."""
    ok = healthy & np.isfinite(lon + lat + bearing_deg)
    ok &= np.isfinite(angle_deg + range_m) & (range_m > 0)
    ok &= angle_deg > 0
    idx = np.flatnonzero(ok)
    angle = np.minimum(angle_deg[idx], 360.0)
    bearing = bearing_deg[idx]
    wide = angle > 180.0
    # A sector wider than 180 degrees is two half-width sectors side by side.
    cam = np.concatenate([idx, idx[wide]])
    bear = np.concatenate(
        [np.where(wide, bearing - angle / 4, bearing), bearing[wide] + angle[wide] / 4]
    )
    half = np.concatenate([np.where(wide, angle / 4, angle / 2), angle[wide] / 4])
    x, y = crsmod.from_wgs84(crs, lon[cam], lat[cam])
    r = range_m[cam]
    tree = shapely.STRtree(shapely.box(x - r, y - r, x + r, y + r)) if len(cam) else None
    return Fov(cam.astype(np.int64), x, y, bear, half, r, tree)


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


def watched_lines(fov: Fov, lines: GeomArray) -> FloatArray:
    """Length of each line inside the union of the sectors (overlaps counted once)."""
    out = np.zeros(len(lines))
    if fov.tree is None or len(lines) == 0:
        return out
    xy, owner = shapely.get_coordinates(lines, return_index=True)
    seg = np.flatnonzero(owner[1:] == owner[:-1])
    ax, ay, bx, by = xy[seg, 0], xy[seg, 1], xy[seg + 1, 0], xy[seg + 1, 1]
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
    np.add.at(out, owner[seg], covered)
    return out


def watched_points(fov: Fov, x: FloatArray, y: FloatArray) -> tuple[IntArray, IntArray]:
    """(point, camera) pairs where the point lies in one of the camera's sectors."""
    if fov.tree is None or len(x) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    pi, k = fov.tree.query(shapely.points(x, y))
    ok = in_sector(fov, k, x[pi], y[pi])
    pairs = np.unique(np.stack([pi[ok], fov.camera[k[ok]]]), axis=1)
    return pairs[0].astype(np.int64), pairs[1].astype(np.int64)

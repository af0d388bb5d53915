"""Shelter reach: community-shelter pairs within a radius, residents in reach, point-in-polygon.

Residents are assumed to be spread evenly over a community, so the share in reach is taken
over a grid of sample points inside its polygon (SAMPLE_GRID x SAMPLE_GRID over the bounds).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import shapely

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
GeomArray = npt.NDArray[np.object_]
SAMPLE_GRID = 5


def reach_pairs(
    comm: GeomArray, sx: FloatArray, sy: FloatArray, radius: FloatArray
) -> tuple[IntArray, IntArray]:
    """(community, shelter) pairs with the shelter within its radius of the polygon."""
    if len(comm) == 0 or len(sx) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    pts = shapely.points(sx, sy)
    tree = shapely.STRtree(shapely.box(sx - radius, sy - radius, sx + radius, sy + radius))
    c, s = tree.query(comm)
    ok = shapely.distance(comm[c], pts[s]) <= radius[s]
    return c[ok].astype(np.int64), s[ok].astype(np.int64)


def sample_points(comm: GeomArray) -> tuple[FloatArray, FloatArray, IntArray]:
    """A grid of sample points inside each community (its point on surface when none fall)."""
    n = len(comm)
    b = shapely.bounds(comm)
    f = (np.arange(SAMPLE_GRID) + 0.5) / SAMPLE_GRID
    fx, fy = np.meshgrid(f, f)
    xs = (b[:, [0]] + (b[:, [2]] - b[:, [0]]) * fx.ravel()[None, :]).ravel()
    ys = (b[:, [1]] + (b[:, [3]] - b[:, [1]]) * fy.ravel()[None, :]).ravel()
    owner = np.repeat(np.arange(n), SAMPLE_GRID * SAMPLE_GRID)
    inside = shapely.intersects_xy(comm[owner], xs, ys)
    xs, ys, owner = xs[inside], ys[inside], owner[inside]
    empty = np.flatnonzero(np.bincount(owner, minlength=n) == 0)
    if len(empty):
        xy = shapely.get_coordinates(shapely.point_on_surface(comm[empty]))
        xs, ys = np.r_[xs, xy[:, 0]], np.r_[ys, xy[:, 1]]
        owner = np.r_[owner, empty]
    return xs, ys, owner.astype(np.int64)


def reach_share(
    comm: GeomArray, sx: FloatArray, sy: FloatArray, radius: FloatArray, walk_m: float
) -> tuple[FloatArray, FloatArray]:
    """Share of sample points with a shelter within its kind's radius, and within walk_m."""
    n = len(comm)
    px, py, owner = sample_points(comm)
    pts = shapely.points(px, py)
    reached = np.zeros(len(px), dtype=bool)
    walk = np.zeros(len(px), dtype=bool)
    if len(sx):
        tree = shapely.STRtree(shapely.points(sx, sy))
        hit, dist = tree.query_nearest(pts, return_distance=True, all_matches=False)
        walk[hit[0]] = dist <= walk_m
        reached = walk.copy()
        # Widest radii first: most points are settled by the first pass.
        for r in np.unique(radius)[::-1]:
            todo = np.flatnonzero(~reached)
            if len(todo) == 0:
                break
            group = np.flatnonzero(radius == r)
            sub = shapely.STRtree(shapely.points(sx[group], sy[group]))
            got = sub.query_nearest(pts[todo], max_distance=float(r), all_matches=False)
            reached[todo[got[0]]] = True
    total = np.maximum(np.bincount(owner, minlength=n), 1)
    any_share = np.bincount(owner, weights=reached, minlength=n) / total
    walk_share = np.bincount(owner, weights=walk, minlength=n) / total
    return any_share, walk_share


def locate(comm: GeomArray, x: FloatArray, y: FloatArray) -> IntArray:
    """Index of the polygon holding each point (-1: none), by grid binning + intersects_xy."""
    owner = np.full(len(x), -1, dtype=np.int64)
    if len(comm) == 0 or len(x) == 0:
        return owner
    b = shapely.bounds(comm)
    g = float(np.median(np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]))) or 1.0
    x0, y0 = min(b[:, 0].min(), x.min()), min(b[:, 1].min(), y.min())
    width = int((max(b[:, 2].max(), x.max()) - x0) / g) + 2
    cell = ((y - y0) / g).astype(np.int64) * width + ((x - x0) / g).astype(np.int64)
    order = np.argsort(cell, kind="stable")
    sorted_cells = cell[order]
    cx0, cx1 = ((b[:, 0] - x0) / g).astype(np.int64), ((b[:, 2] - x0) / g).astype(np.int64)
    cy0, cy1 = ((b[:, 1] - y0) / g).astype(np.int64), ((b[:, 3] - y0) / g).astype(np.int64)
    nxc = cx1 - cx0 + 1
    per = nxc * (cy1 - cy0 + 1)
    rep = np.repeat(np.arange(len(comm)), per)
    k = np.arange(int(per.sum())) - np.repeat(np.cumsum(per) - per, per)
    cells = (cy0[rep] + k // nxc[rep]) * width + cx0[rep] + k % nxc[rep]
    lo = np.searchsorted(sorted_cells, cells, "left")
    cnt = np.searchsorted(sorted_cells, cells, "right") - lo
    pc = np.repeat(rep, cnt)
    pos = np.repeat(lo - (np.cumsum(cnt) - cnt), cnt) + np.arange(int(cnt.sum()))
    pp = order[pos]
    ok = (x[pp] >= b[pc, 0]) & (x[pp] <= b[pc, 2]) & (y[pp] >= b[pc, 1]) & (y[pp] <= b[pc, 3])
    pc, pp = pc[ok], pp[ok]
    hit = shapely.intersects_xy(comm[pc], x[pp], y[pp])
    owner[pp[hit]] = pc[hit]
    return owner

"""Cameras whose field of view covers a drill's venue or routes (blocking geometry)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import Point, Polygon
from shapely.geometry.base import BaseGeometry

NEAR_M = 150.0  # without a field of view, a camera this close is taken to see the place
M_PER_DEG_LAT = 110_540.0
M_PER_DEG_LON = 111_320.0


@dataclass(frozen=True)
class CameraPlace:
    """Where a camera is and what it sees."""

    id: str
    lon: float
    lat: float
    bearing: float | None
    angle: float | None
    range_m: float | None


def _local(lon0: float, lat0: float) -> Callable[[NDArray[np.float64]], NDArray[np.float64]]:
    k = math.cos(math.radians(lat0))

    def to_m(xy: NDArray[np.float64]) -> NDArray[np.float64]:
        out = np.empty_like(xy)
        out[:, 0] = (xy[:, 0] - lon0) * M_PER_DEG_LON * k
        out[:, 1] = (xy[:, 1] - lat0) * M_PER_DEG_LAT
        return out

    return to_m


def sector(cam: CameraPlace) -> BaseGeometry:
    """The camera's view in local metres around it: a sector, or a 150 m disc without FOV."""
    if cam.bearing is None or not cam.angle or not cam.range_m:
        return Point(0, 0).buffer(NEAR_M)
    half = min(cam.angle, 360.0) / 2
    steps = max(2, int(cam.angle // 5) + 1)
    pts = [(0.0, 0.0)]
    for i in range(steps + 1):
        # Compass bearing: 0 = north, clockwise; x east, y north.
        b = math.radians(cam.bearing - half + (2 * half) * i / steps)
        pts.append((cam.range_m * math.sin(b), cam.range_m * math.cos(b)))
    return Polygon(pts)


def covering(
    cams: list[CameraPlace], targets: dict[str, BaseGeometry]
) -> list[tuple[str, list[str]]]:
    """(camera id, target keys it covers) for each camera covering at least one target."""
    out = []
    for cam in cams:
        view = sector(cam)
        to_m = _local(cam.lon, cam.lat)
        hits = [
            key for key, geom in targets.items() if view.intersects(shapely.transform(geom, to_m))
        ]
        if hits:
            out.append((cam.id, hits))
    return out

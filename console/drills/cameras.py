"""Cameras whose view covers a drill's venue or routes: gis.coverage's definition, as used by
the map and the readiness score (a camera without a recorded view sees a 150 m circle)."""

from __future__ import annotations

from dataclasses import dataclass

from shapely.geometry.base import BaseGeometry

from gis.coverage import NO_FOV_RANGE_M, cameras_seeing

NEAR_M = NO_FOV_RANGE_M


@dataclass(frozen=True)
class CameraPlace:
    """Where a camera is and what it sees."""

    id: str
    lon: float
    lat: float
    bearing: float | None
    angle: float | None
    range_m: float | None


def covering(
    cams: list[CameraPlace], targets: dict[str, BaseGeometry]
) -> list[tuple[str, list[str]]]:
    """(camera id, target keys it covers) for each camera covering at least one target."""
    keys = list(targets)
    seen = cameras_seeing(
        [(c.lon, c.lat, c.bearing, c.angle, c.range_m) for c in cams], [targets[k] for k in keys]
    )
    hits: dict[int, list[str]] = {}
    for key, who in zip(keys, seen, strict=True):
        for ci in sorted(who):
            hits.setdefault(ci, []).append(key)
    return [(cams[ci].id, hits[ci]) for ci in sorted(hits)]

"""What is exposed, prepared once per layer change (not per earthquake).

Communities (centroids, residents), buildings (community, structure, rating, residents),
the readiness allocation of shelter places, and which cameras look at which shelters and
evacuation routes. Camera coverage here is geometric (every camera with a field of view,
healthy or not) so the auto-wall can say that a camera would help but is down.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely

from gis import analysis
from gis import crs as crsmod
from gis.coverage import line_pairs, sectors, watched_points, watchers
from gis.quake.config import Vulnerability
from gis.quake.intensity import FloatArray
from gis.reach import locate

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass
class Exposure:
    """Quake-independent inputs of the incident assessment."""

    community_codes: list[str]
    comm_lat: FloatArray
    comm_lon: FloatArray
    population: FloatArray
    households: FloatArray
    kits_standard: FloatArray
    local_teams: FloatArray
    capacity: FloatArray
    building_lat: FloatArray
    building_lon: FloatArray
    building_comm: IntArray
    building_struct: IntArray
    building_rating: IntArray
    building_residents: FloatArray
    structures: list[str]
    shelter_ids: list[str]
    shelter_capacity: FloatArray
    pair_community: IntArray
    pair_shelter: IntArray
    pair_capacity: FloatArray
    route_ids: list[str]
    route_community: IntArray
    camera_ids: list[str]
    camera_healthy: BoolArray
    shelter_cam: tuple[IntArray, IntArray]  # (shelter, camera) pairs
    route_cam: tuple[IntArray, IntArray]  # (route, camera) pairs


def prepare(
    layers: analysis.Layers,
    metrics: analysis.Metrics,
    vuln: Vulnerability,
    structures: list[str | None] | None = None,
    residents: FloatArray | None = None,
) -> Exposure:
    """Build the exposure from the readiness inputs and results (CPU: worker thread)."""
    crs = metrics.crs
    n = len(layers.community_codes)
    cen = (
        shapely.get_coordinates(shapely.centroid(layers.community_geoms)) if n else np.zeros((0, 2))
    )
    comm = analysis.project(layers.community_geoms, crs)
    bx, by = crsmod.from_wgs84(crs, layers.building_lon, layers.building_lat)
    b_comm = locate(comm, bx, by) if len(bx) else np.zeros(0, dtype=np.int64)
    nb = len(layers.building_lon)
    structs = structures if structures is not None else [None] * nb
    names = vuln.names()
    cache: dict[str | None, int] = {}
    b_struct = np.fromiter(
        (cache.setdefault(s, vuln.index(s)) for s in structs), dtype=np.int64, count=nb
    )
    healthy_all = np.ones(len(layers.camera_ids), dtype=bool)
    fov = sectors(
        layers.camera_lon,
        layers.camera_lat,
        healthy_all,
        layers.camera_bearing,
        layers.camera_angle,
        layers.camera_range,
        crs,
    )
    # The one coverage definition (gis.coverage), as readiness and the map use it: a shelter
    # area is watched when any part of it is in view, a route when some length of it is.
    if layers.shelter_geoms is not None and len(layers.shelter_geoms) == len(layers.shelter_ids):
        shelter_cam = watchers(fov, analysis.project(layers.shelter_geoms, crs))
    else:
        sx, sy = crsmod.from_wgs84(crs, layers.shelter_lon, layers.shelter_lat)
        shelter_cam = watched_points(fov, sx, sy)
    pairs = line_pairs(fov, analysis.project(layers.route_geoms, crs))
    route_comm = metrics.route_community
    return Exposure(
        community_codes=layers.community_codes,
        comm_lat=cen[:, 1].astype(float),
        comm_lon=cen[:, 0].astype(float),
        population=layers.population,
        households=layers.households,
        kits_standard=metrics.kits[:, 0] if len(metrics.kits) else np.zeros(n),
        local_teams=metrics.teams.astype(float),
        capacity=metrics.capacity,
        building_lat=layers.building_lat,
        building_lon=layers.building_lon,
        building_comm=b_comm,
        building_struct=b_struct,
        building_rating=layers.building_rating.astype(np.int64),
        building_residents=(
            residents.astype(float) if residents is not None else np.full(nb, np.nan)
        ),
        structures=names,
        shelter_ids=layers.shelter_ids,
        shelter_capacity=layers.shelter_capacity,
        pair_community=metrics.pair_community,
        pair_shelter=metrics.pair_shelter,
        pair_capacity=metrics.pair_capacity,
        route_ids=layers.route_ids,
        route_community=route_comm,
        camera_ids=layers.camera_ids,
        camera_healthy=layers.camera_healthy,
        shelter_cam=(shelter_cam[0], shelter_cam[1]),
        route_cam=pairs,
    )

"""Per-community shelter reach and capacity, kits, teams, camera coverage and building safety.

Pure and vectorised (shapely 2 arrays, STRtree, numpy bincount); metric work happens in a
projected CRS (EPSG:4547, CGCS2000 / 3-degree Gauss-Kruger CM 114E, inside its zone; a local
UTM zone elsewhere). Definitions:

- A shelter is *in reach* of a community when it lies within its kind's service radius of the
  community polygon (any part of it).
- Each shelter's capacity (and effective area) is split among the communities that reach it
  in proportion to their population, so no place is counted twice.
- The share of residents in reach is estimated with a 5x5 grid of sample points over each
  community's bounding box, kept where inside the polygon (residents are assumed to be
  spread evenly over the community's area); a point is in reach when a shelter of some kind
  lies within that kind's radius.
- The nearest shelter distance is measured from the community centroid.
- A shelter or a stretch of route is *watched* when it lies inside a healthy camera's view,
  as `gis.coverage` defines it for the map and live drill mode too: a field-of-view sector
  (apex at the camera, bearing clockwise from north, opening angle, range), or a 150 m circle
  for a camera without a recorded view; a shelter area counts when any part is in view.
- Buildings belong to the community containing their point (or centroid); "surveyed" means
  a rating other than unknown.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from pydantic import BaseModel, ConfigDict, Field

from gis import crs as crsmod
from gis.coverage import line_pairs, sectors, watched_lines, watched_points, watchers
from gis.layers import SHELTER_KINDS, AreaPerPerson
from gis.reach import locate, reach_pairs, reach_share
from gis.synth import District

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
GeomArray = npt.NDArray[np.object_]

N_KIT = 4  # standard, elderly, infant, disabled (gis.synth.KIT_CATEGORIES order)
UNSAFE = 2  # index of "unsafe" in gis.synth.RATINGS
UNKNOWN = 3


class Radii(BaseModel):
    """Service radius per shelter kind, in metres.

    GB 50413-2007 (城市抗震防灾规划标准) gives emergency shelters a service radius of about
    500 m (10 minutes' walk) and fixed shelters 2-3 km (within an hour's walk); the fixed
    defaults take 2.5 km. It sets no radius for central shelters (only their size, at least
    50 hm²): the 5 km default is a local planning choice, to be set by each site.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    emergency_m: float = Field(
        500.0, gt=0, description="Emergency shelters (GB 50413-2007: about 500 m)."
    )
    fixed_short_m: float = Field(
        2500.0, gt=0, description="Short-stay fixed shelters (GB 50413-2007: 2-3 km)."
    )
    fixed_medium_m: float = Field(2500.0, gt=0, description="Medium-stay fixed shelters.")
    fixed_long_m: float = Field(2500.0, gt=0, description="Long-stay fixed shelters.")
    central_m: float = Field(
        5000.0,
        gt=0,
        description="Central shelters: a local setting (no national standard gives a radius).",
    )

    def by_kind(self) -> FloatArray:
        """Radii in gis.synth.KINDS order."""
        return np.array(
            [
                self.emergency_m,
                self.fixed_short_m,
                self.fixed_medium_m,
                self.fixed_long_m,
                self.central_m,
            ]
        )


def _empty_geoms() -> GeomArray:
    return np.empty(0, dtype=object)


def _ints() -> IntArray:
    return np.zeros(0, dtype=np.int64)


def _floats() -> FloatArray:
    return np.zeros(0, dtype=np.float64)


@dataclass
class Layers:
    """Analysis inputs in WGS84; community indices of kits, teams and routes (-1: unknown)."""

    community_codes: list[str]
    community_geoms: GeomArray
    population: FloatArray
    households: FloatArray
    elderly: FloatArray
    disabled: FloatArray
    children: FloatArray
    shelter_ids: list[str] = field(default_factory=list)
    shelter_lon: FloatArray = field(default_factory=_floats)
    shelter_lat: FloatArray = field(default_factory=_floats)
    shelter_kind: IntArray = field(default_factory=_ints)
    shelter_capacity: FloatArray = field(default_factory=_floats)
    shelter_area: FloatArray = field(default_factory=_floats)
    kit_community: IntArray = field(default_factory=_ints)
    kit_category: IntArray = field(default_factory=_ints)
    kit_quantity: FloatArray = field(default_factory=_floats)
    team_community: IntArray = field(default_factory=_ints)
    team_heads: FloatArray = field(default_factory=_floats)
    building_lon: FloatArray = field(default_factory=_floats)
    building_lat: FloatArray = field(default_factory=_floats)
    building_rating: IntArray = field(default_factory=_ints)
    route_ids: list[str] = field(default_factory=list)
    route_geoms: GeomArray = field(default_factory=_empty_geoms)
    route_community: IntArray = field(default_factory=_ints)
    camera_ids: list[str] = field(default_factory=list)
    camera_lon: FloatArray = field(default_factory=_floats)
    camera_lat: FloatArray = field(default_factory=_floats)
    camera_bearing: FloatArray = field(default_factory=_floats)
    camera_angle: FloatArray = field(default_factory=_floats)
    camera_range: FloatArray = field(default_factory=_floats)
    camera_healthy: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    shelter_geoms: GeomArray | None = None  # polygons watched when any part is in view
    population_known: BoolArray | None = None  # False: population not recorded (no score)


def from_district(d: District) -> Layers:
    """Analysis inputs from a generated district."""
    c, s, cam = d.communities, d.shelters, d.cameras
    return Layers(
        community_codes=c.codes,
        community_geoms=c.geoms,
        population=c.population.astype(float),
        households=c.households.astype(float),
        elderly=c.elderly.astype(float),
        disabled=c.disabled.astype(float),
        children=c.children.astype(float),
        shelter_ids=s.ids,
        shelter_lon=shapely.get_x(s.geoms),
        shelter_lat=shapely.get_y(s.geoms),
        shelter_kind=s.kind,
        shelter_capacity=s.capacity.astype(float),
        shelter_area=s.area_m2,
        kit_community=d.kits.community,
        kit_category=d.kits.category,
        kit_quantity=d.kits.quantity.astype(float),
        team_community=d.teams.community,
        team_heads=d.teams.head_count.astype(float),
        building_lon=shapely.get_x(d.buildings.geoms),
        building_lat=shapely.get_y(d.buildings.geoms),
        building_rating=d.buildings.rating,
        route_ids=d.routes.ids,
        route_geoms=d.routes.geoms,
        route_community=d.routes.community,
        camera_ids=cam.ids,
        camera_lon=cam.lon,
        camera_lat=cam.lat,
        camera_bearing=cam.bearing,
        camera_angle=cam.angle,
        camera_range=cam.range_m,
        camera_healthy=cam.healthy,
    )


@dataclass
class Metrics:
    """Per-community results (arrays of length n) plus the pairs behind them."""

    crs: str
    population: FloatArray
    households: FloatArray
    groups: FloatArray  # (n, 4): households, elderly, children, disabled (kit denominators)
    capacity: FloatArray
    area_m2: FloatArray
    reach_share: FloatArray
    walk_share: FloatArray
    nearest_m: FloatArray
    nearest_shelter: IntArray
    kits: FloatArray  # (n, 4) delivered by category
    volunteers: FloatArray
    teams: IntArray
    shelters_in_reach: IntArray
    shelters_watched: IntArray
    route_m: FloatArray
    route_watched_m: FloatArray
    buildings_surveyed: IntArray
    buildings_unsafe: IntArray
    pair_community: IntArray
    pair_shelter: IntArray
    pair_capacity: FloatArray
    shelter_watched: BoolArray
    watch_shelter: IntArray
    watch_camera: IntArray
    route_len: FloatArray
    route_watched: FloatArray
    route_community: IntArray
    centroids: GeomArray
    shelter_points: GeomArray
    population_known: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    watch_route: IntArray = field(default_factory=_ints)
    watch_route_camera: IntArray = field(default_factory=_ints)
    timings: dict[str, float] = field(default_factory=dict)


metric_crs = crsmod.metric_crs


def project(geoms: GeomArray, crs: str) -> GeomArray:
    """WGS84 geometries into the metric CRS (one vectorised pyproj call)."""
    if len(geoms) == 0:
        return _empty_geoms()

    def fn(xy: FloatArray) -> FloatArray:
        x, y = crsmod.from_wgs84(crs, xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    out: GeomArray = shapely.transform(geoms, fn)
    return out


def kit_totals(community: IntArray, category: IntArray, quantity: FloatArray, n: int) -> FloatArray:
    """Delivered kits per (community, category) with one bincount; rows with -1 are ignored."""
    ok = (community >= 0) & (community < n) & (category >= 0) & (category < N_KIT)
    flat = _sum(community[ok] * N_KIT + category[ok], quantity[ok], n * N_KIT)
    return flat.reshape(n, N_KIT)


def _sum(idx: IntArray, weights: Any, n: int) -> FloatArray:
    """Weighted counts per index as floats (np.bincount)."""
    return np.asarray(np.bincount(idx, weights=weights, minlength=n), dtype=np.float64)


def analyse(
    layers: Layers,
    radii: Radii | None = None,
    crs: str | None = None,
    area_per_person: AreaPerPerson | None = None,
) -> Metrics:
    """Compute every per-community measure; CPU-bound, call it from a worker thread."""
    clock = time.perf_counter()
    timings: dict[str, float] = {}

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = now - clock
        clock = now

    rad_by_kind = (radii or Radii()).by_kind()
    n = len(layers.community_codes)
    if crs is None:
        if n:
            cx, cy = shapely.get_coordinates(shapely.centroid(layers.community_geoms[:1]))[0]
            crs = metric_crs(float(cx), float(cy))
        else:
            crs = "EPSG:4547"
    comm = project(layers.community_geoms, crs)
    shapely.prepare(comm)
    sx, sy = crsmod.from_wgs84(crs, layers.shelter_lon, layers.shelter_lat)
    bx, by = crsmod.from_wgs84(crs, layers.building_lon, layers.building_lat)
    routes = project(layers.route_geoms, crs)
    fov = sectors(
        layers.camera_lon,
        layers.camera_lat,
        layers.camera_healthy,
        layers.camera_bearing,
        layers.camera_angle,
        layers.camera_range,
        crs,
    )
    lap("project")

    ns = len(sx)
    radius = rad_by_kind[layers.shelter_kind] if ns else _floats()
    pc, ps = reach_pairs(comm, sx, sy, radius)
    demand = layers.population[pc]
    total = np.bincount(ps, weights=demand, minlength=ns)
    count = np.bincount(ps, minlength=ns)
    # When nobody who reaches a shelter has residents, they share it equally.
    tot = total[ps]
    share = np.where(tot > 0, demand / np.where(tot > 0, tot, 1.0), 1.0 / np.maximum(count[ps], 1))
    per_kind = area_per_person or AreaPerPerson()
    app = np.array([per_kind.of(k) for k in SHELTER_KINDS])
    kind_area = app[layers.shelter_kind] if ns else _floats()
    area = np.where(
        np.isfinite(layers.shelter_area), layers.shelter_area, layers.shelter_capacity * kind_area
    )
    pair_cap = layers.shelter_capacity[ps] * share
    capacity = _sum(pc, pair_cap, n)
    area_m2 = _sum(pc, area[ps] * share, n)
    in_reach = np.bincount(pc, minlength=n)
    lap("capacity")

    walk_m = float(rad_by_kind[0])
    reach, walk = reach_share(comm, sx, sy, radius, walk_m) if n else (_floats(), _floats())
    lap("reach")

    centroids = shapely.centroid(comm)
    shel_pts = shapely.points(sx, sy) if ns else _empty_geoms()
    nearest_m = np.full(n, np.nan)
    nearest_s = np.full(n, -1, dtype=np.int64)
    if ns and n:
        idx, dist = shapely.STRtree(shel_pts).query_nearest(
            centroids, return_distance=True, all_matches=False
        )
        nearest_m[idx[0]] = dist
        nearest_s[idx[0]] = idx[1]
    lap("nearest")

    kits = kit_totals(layers.kit_community, layers.kit_category, layers.kit_quantity, n)
    tok = (layers.team_community >= 0) & (layers.team_community < n)
    volunteers = _sum(layers.team_community[tok], layers.team_heads[tok], n)
    teams = np.bincount(layers.team_community[tok], minlength=n)
    lap("kits_teams")

    if layers.shelter_geoms is not None and len(layers.shelter_geoms) == ns:
        # Shelter areas are watched when any part of them is in view (gis.coverage).
        w_s, w_c = watchers(fov, project(layers.shelter_geoms, crs))
    else:
        w_s, w_c = watched_points(fov, sx, sy)
    shelter_watched = np.zeros(ns, dtype=bool)
    shelter_watched[w_s] = True
    watched = np.bincount(pc, weights=shelter_watched[ps], minlength=n).astype(np.int64)
    route_comm = layers.route_community.copy()
    lost = np.flatnonzero(route_comm < 0)
    if len(lost):
        mid = shapely.get_coordinates(
            shapely.line_interpolate_point(routes[lost], 0.5, normalized=True)
        )
        route_comm[lost] = locate(comm, mid[:, 0], mid[:, 1])
    route_len = shapely.length(routes) if len(routes) else _floats()
    route_watched = watched_lines(fov, routes)
    r_route, r_camera = line_pairs(fov, routes)
    rok = route_comm >= 0
    route_m = _sum(route_comm[rok], route_len[rok], n)
    route_w = _sum(route_comm[rok], route_watched[rok], n)
    lap("cameras")

    rated = layers.building_rating != UNKNOWN
    owner = locate(comm, bx[rated], by[rated])
    bok = owner >= 0
    surveyed = np.bincount(owner[bok], minlength=n)
    unsafe = np.bincount(
        owner[bok], weights=layers.building_rating[rated][bok] == UNSAFE, minlength=n
    )
    lap("buildings")

    groups = np.stack([layers.households, layers.elderly, layers.children, layers.disabled], axis=1)
    return Metrics(
        crs=crs,
        population=layers.population,
        households=layers.households,
        groups=groups,
        capacity=capacity,
        area_m2=area_m2,
        reach_share=reach,
        walk_share=walk,
        nearest_m=nearest_m,
        nearest_shelter=nearest_s,
        kits=kits,
        volunteers=volunteers,
        teams=teams.astype(np.int64),
        shelters_in_reach=in_reach.astype(np.int64),
        shelters_watched=watched,
        route_m=route_m,
        route_watched_m=route_w,
        buildings_surveyed=surveyed.astype(np.int64),
        buildings_unsafe=np.asarray(unsafe, dtype=np.int64),
        pair_community=pc,
        pair_shelter=ps,
        pair_capacity=pair_cap,
        shelter_watched=shelter_watched,
        watch_shelter=w_s,
        watch_camera=w_c,
        route_len=route_len,
        route_watched=route_watched,
        route_community=route_comm,
        centroids=centroids,
        shelter_points=shel_pts,
        watch_route=r_route,
        watch_route_camera=r_camera,
        population_known=(
            np.ones(n, dtype=bool)
            if layers.population_known is None
            else np.asarray(layers.population_known, dtype=bool)
        ),
        timings=timings,
    )


def shelters_of(m: Metrics, i: int) -> list[dict[str, Any]]:
    """The shelters in reach of community i: index, distance from its centroid, allocation."""
    sel = np.flatnonzero(m.pair_community == i)
    s = m.pair_shelter[sel]
    dist = shapely.distance(m.centroids[i], m.shelter_points[s]) if len(s) else _floats()
    rows = [
        {
            "shelter": int(j),
            "distance_m": round(float(d), 1),
            "allocated_capacity": round(float(c), 1),
            "watched": bool(m.shelter_watched[j]),
        }
        for j, d, c in zip(s, dist, m.pair_capacity[sel], strict=True)
    ]
    return sorted(rows, key=lambda r: r["distance_m"])

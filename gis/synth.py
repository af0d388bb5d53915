"""A seeded generator of a Guangzhou-like district for the demo, the tests and the benchmark.

Communities tessellate the district (a grid of convex quads with shared, jittered corners, so
they never overlap); every other layer is placed with numpy in a handful of vectorised passes,
so the benchmark city (3,000 communities, 1,000,000 kit rows, 200,000 buildings) takes
seconds. Each community gets hidden strengths (kits, teams, unsafe buildings) so readiness
varies from strong to weak in different components.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
GeomArray = npt.NDArray[np.object_]

KINDS = ("emergency", "fixed_short", "fixed_medium", "fixed_long", "central")
KIT_CATEGORIES = ("standard", "elderly", "infant", "disabled")
RATINGS = ("safe", "moderate", "unsafe", "unknown")
TEAM_KINDS = ("rescue", "assistant", "medical")
DEMO_BBOX = (113.262, 23.105, 113.322, 23.150)
M_PER_DEG_LAT = 110_940.0

_KIND_SHARE = (0.60, 0.15, 0.10, 0.10, 0.05)
# Effective area (m2) range per shelter kind, roughly GB 51143 sizes for an inner district.
_KIND_AREA = ((800, 4000), (4000, 12000), (8000, 25000), (15000, 40000), (60000, 150000))
_STREETS = (
    "东山",
    "农林",
    "梅花村",
    "黄花岗",
    "大塘",
    "珠光",
    "白云",
    "建设",
    "华乐",
    "登峰",
    "矿泉",
    "流花",
    "洪桥",
    "北京",
    "六榕",
    "人民",
    "光塔",
    "诗书",
)
_NAMES = (
    "东湖",
    "龙腾",
    "明月",
    "建新",
    "华侨",
    "德政",
    "寺贝",
    "竹丝",
    "三育",
    "松岗",
    "百子",
    "培正",
    "犀牛",
    "共和",
    "恒福",
    "执信",
    "福今",
    "永胜",
    "淘金",
    "环市",
    "麓湖",
    "越华",
    "仓边",
    "府前",
)


@dataclass
class Communities:
    """Community polygons (WGS84) and their census attributes."""

    codes: list[str]
    names: list[str]
    street_offices: list[str]
    geoms: GeomArray
    population: IntArray
    households: IntArray
    elderly: IntArray
    disabled: IntArray
    children: IntArray


@dataclass
class Shelters:
    """Shelter points with kind (index into KINDS), effective area and capacity."""

    ids: list[str]
    names: list[str]
    kind: IntArray
    area_m2: FloatArray
    capacity: IntArray
    geoms: GeomArray


@dataclass
class Kits:
    """Kit distribution rows: community index, category index, quantity, days ago."""

    community: IntArray
    category: IntArray
    quantity: IntArray
    days_ago: IntArray


@dataclass
class Teams:
    """Volunteer teams with their community index and head count."""

    ids: list[str]
    names: list[str]
    kind: IntArray
    community: IntArray
    head_count: IntArray
    geoms: GeomArray


@dataclass
class Buildings:
    """Surveyed building points and their rating (index into RATINGS)."""

    geoms: GeomArray
    rating: IntArray


@dataclass
class Routes:
    """Evacuation route lines from inside a community towards a shelter."""

    ids: list[str]
    names: list[str]
    community: IntArray
    geoms: GeomArray


@dataclass
class Cameras:
    """Camera positions with field of view (bearing clockwise from north) and health."""

    ids: list[str]
    lon: FloatArray
    lat: FloatArray
    bearing: FloatArray
    angle: FloatArray
    range_m: FloatArray
    healthy: BoolArray


@dataclass
class District:
    """Every layer of a generated district."""

    communities: Communities
    shelters: Shelters
    kits: Kits
    teams: Teams
    buildings: Buildings
    routes: Routes
    cameras: Cameras


def _label(pool: tuple[str, ...], i: int) -> str:
    """A name from the pool, numbered once the pool is used up."""
    base = pool[i % len(pool)]
    return base if i < len(pool) else f"{base}{i // len(pool) + 1}"


def bbox_for(communities: int, cell_m: float = 420.0) -> tuple[float, float, float, float]:
    """A bbox around central Guangzhou sized so each community is about cell_m across."""
    side = math.sqrt(communities) * cell_m
    half_lat = side / 2 / M_PER_DEG_LAT
    half_lon = side / 2 / (M_PER_DEG_LAT * math.cos(math.radians(23.13)))
    return 113.33 - half_lon, 23.13 - half_lat, 113.33 + half_lon, 23.13 + half_lat


def _communities(
    rng: np.random.Generator, n: int, bbox: tuple[float, float, float, float]
) -> tuple[Communities, FloatArray]:
    """Jittered-grid quads; also returns the corner array (n, 4, 2) for point sampling."""
    x0, y0, x1, y1 = bbox
    aspect = (x1 - x0) * math.cos(math.radians((y0 + y1) / 2)) / (y1 - y0)
    nx = max(1, math.ceil(math.sqrt(n * aspect)))
    ny = max(1, math.ceil(n / nx))
    gx, gy = np.meshgrid(np.linspace(x0, x1, nx + 1), np.linspace(y0, y1, ny + 1))
    dx, dy = (x1 - x0) / nx, (y1 - y0) / ny
    # Interior corners move at most 0.18 of a cell so every quad stays convex.
    jit = rng.uniform(-0.18, 0.18, (2, ny - 1, nx - 1)) if nx > 1 and ny > 1 else None
    if jit is not None:
        gx[1:-1, 1:-1] += jit[0] * dx
        gy[1:-1, 1:-1] += jit[1] * dy
    rows, cols = np.divmod(np.arange(n), nx)
    corners = np.stack(
        [
            np.stack([gx[r, c], gy[r, c]], axis=-1)
            for r, c in ((rows, cols), (rows, cols + 1), (rows + 1, cols + 1), (rows + 1, cols))
        ],
        axis=1,
    )
    ring = np.concatenate([corners, corners[:, :1]], axis=1)
    geoms = shapely.polygons(ring)
    population = rng.integers(3000, 14000, n)
    households = (population / rng.uniform(2.6, 3.2, n)).astype(np.int64)
    office = (rows // 3) * ((nx + 2) // 3) + cols // 3
    offices = [f"{_label(_STREETS, int(o))}街道" for o in office]
    comms = Communities(
        codes=[f"C{i + 1:02d}" if n < 100 else f"C{i + 1:04d}" for i in range(n)],
        names=[f"{_label(_NAMES, i)}社区" for i in range(n)],
        street_offices=offices,
        geoms=geoms,
        population=population,
        households=households,
        elderly=(population * rng.uniform(0.12, 0.24, n)).astype(np.int64),
        disabled=(population * rng.uniform(0.01, 0.03, n)).astype(np.int64),
        children=(population * rng.uniform(0.08, 0.16, n)).astype(np.int64),
    )
    return comms, corners


def _in_quads(rng: np.random.Generator, corners: FloatArray, which: IntArray) -> FloatArray:
    """Random points inside the given convex quads (bilinear in the unit square)."""
    q = corners[which]
    u = rng.uniform(0.05, 0.95, (len(which), 1))
    v = rng.uniform(0.05, 0.95, (len(which), 1))
    pts = (1 - u) * (1 - v) * q[:, 0] + u * (1 - v) * q[:, 1] + u * v * q[:, 2]
    result: FloatArray = pts + (1 - u) * v * q[:, 3]
    return result


def _weights(values: FloatArray) -> FloatArray:
    """Normalised probabilities (uniform when all are zero)."""
    total = float(values.sum())
    return values / total if total > 0 else np.full(len(values), 1.0 / len(values))


def generate(
    communities: int = 48,
    shelters: int = 40,
    kit_rows: int = 4000,
    cameras: int = 60,
    buildings: int = 3000,
    teams_per_community: float = 1.5,
    capacity_share: float = 0.8,
    seed: int = 7,
    bbox: tuple[float, float, float, float] | None = None,
    extra_shelters: FloatArray | None = None,
) -> District:
    """Generate a district; the same arguments always give the same district.

    capacity_share sizes the shelters so they hold that share of all residents in total;
    extra_shelters (lon/lat rows) adds emergency shelters at given places (e.g. by cameras).
    """
    rng = np.random.default_rng(seed)
    comms, corners = _communities(rng, communities, bbox or bbox_for(communities))
    n = communities
    # Hidden strengths make readiness vary per component, not just overall.
    kit_strength = np.clip(rng.beta(1.6, 1.4, n) * 1.15, 0.02, 1.2)
    team_strength = rng.uniform(0.0, 1.6, n) * (rng.uniform(0, 1, n) > 0.12)
    unsafe_share = rng.beta(1.2, 8.0, n)
    shelter_pull = rng.gamma(1.0, 1.0, n) * (rng.uniform(0, 1, n) > 0.25)

    kinds = rng.choice(len(KINDS), size=shelters, p=_KIND_SHARE)
    kinds[: min(shelters, len(KINDS))] = np.arange(min(shelters, len(KINDS)))
    host = rng.choice(n, size=shelters, p=_weights(shelter_pull))
    spts = _in_quads(rng, corners, host)
    if extra_shelters is not None and len(extra_shelters):
        extra = np.asarray(extra_shelters, dtype=float).reshape(-1, 2)
        owner = shapely.STRtree(comms.geoms).query_nearest(shapely.points(extra), all_matches=False)
        spts = np.concatenate([spts, extra])
        kinds = np.concatenate([kinds, np.zeros(len(extra), dtype=kinds.dtype)])
        host = np.concatenate([host, owner[1]])
        shelters += len(extra)
    lo = np.array([a for a, _ in _KIND_AREA], dtype=float)[kinds]
    hi = np.array([b for _, b in _KIND_AREA], dtype=float)[kinds]
    area = rng.uniform(lo, hi)
    # Scale so the district's shelters hold capacity_share of its residents in all.
    area = np.round(area * capacity_share * comms.population.sum() * 1.5 / area.sum(), -1)
    capacity = (area / 1.5).astype(np.int64)
    stated = rng.uniform(0, 1, shelters) < 0.15
    capacity[stated] = (capacity[stated] * rng.uniform(0.6, 1.0, int(stated.sum()))).astype(
        np.int64
    )
    sids = [f"S{i + 1:02d}" if shelters < 100 else f"S{i + 1:04d}" for i in range(shelters)]
    kind_zh = (
        "应急避难场所",
        "短期固定避难场所",
        "中期固定避难场所",
        "长期固定避难场所",
        "中心避难场所",
    )
    shel = Shelters(
        ids=sids,
        names=[f"{comms.names[h][:-2]}{kind_zh[k]}" for h, k in zip(host, kinds, strict=True)],
        kind=kinds.astype(np.int64),
        area_m2=area,
        capacity=capacity,
        geoms=shapely.points(spts),
    )

    # Expected kits per category follow the community's strength and its population groups.
    bases = np.stack([comms.households, comms.elderly, comms.children // 5, comms.disabled], 1)
    expected = bases * kit_strength[:, None] * np.array([1.0, 0.8, 0.7, 0.9])
    shares = np.array([0.7, 0.15, 0.07, 0.08])
    k_comm, k_cat, k_qty = [], [], []
    for c in range(len(KIT_CATEGORIES)):
        rows_c = int(kit_rows * shares[c]) if c else kit_rows - int(kit_rows * shares[1:].sum())
        who = rng.choice(n, size=rows_c, p=_weights(expected[:, c]))
        per = np.bincount(who, minlength=n)
        mean = expected[who, c] / np.maximum(per[who], 1)
        k_comm.append(who)
        k_cat.append(np.full(rows_c, c))
        k_qty.append(np.maximum(1, np.rint(mean * rng.uniform(0.5, 1.5, rows_c))).astype(int))
    kits = Kits(
        community=np.concatenate(k_comm).astype(np.int64),
        category=np.concatenate(k_cat).astype(np.int64),
        quantity=np.concatenate(k_qty).astype(np.int64),
        days_ago=rng.integers(0, 365, sum(len(a) for a in k_comm)).astype(np.int64),
    )

    per_comm = rng.poisson(teams_per_community, n) * (team_strength > 0)
    t_comm = np.repeat(np.arange(n), per_comm)
    volunteers = comms.population * team_strength * 12.0 / 1000.0
    heads = np.maximum(1, np.rint(volunteers[t_comm] / np.maximum(per_comm[t_comm], 1)))
    t_kind = rng.integers(0, len(TEAM_KINDS), len(t_comm))
    team_zh = ("应急救援队", "地震宏观观测员", "医疗救护队")
    teams = Teams(
        ids=[f"T-{comms.codes[c]}-{i}" for i, c in enumerate(t_comm)],
        names=[f"{comms.names[c]}{team_zh[k]}" for c, k in zip(t_comm, t_kind, strict=True)],
        kind=t_kind.astype(np.int64),
        community=t_comm.astype(np.int64),
        head_count=heads.astype(np.int64),
        geoms=shapely.points(_in_quads(rng, corners, t_comm)),
    )

    b_comm = rng.integers(0, n, buildings)
    p_unsafe = unsafe_share[b_comm]
    roll = rng.uniform(0, 1, buildings)
    rating = np.where(
        roll < p_unsafe, 2, np.where(roll < p_unsafe + 0.2, 1, np.where(roll > 0.93, 3, 0))
    )
    blds = Buildings(geoms=shapely.points(_in_quads(rng, corners, b_comm)), rating=rating)

    routes = _routes(rng, comms, corners, shel)
    cams = _cameras(rng, cameras, spts, routes, corners)
    return District(comms, shel, kits, teams, blds, routes, cams)


def _routes(
    rng: np.random.Generator, comms: Communities, corners: FloatArray, shel: Shelters
) -> Routes:
    """One route per community from a point inside it to its nearest shelter, with a bend."""
    n = len(comms.codes)
    start = _in_quads(rng, corners, np.arange(n))
    tree = shapely.STRtree(shel.geoms)
    nearest = tree.query_nearest(shapely.points(start), all_matches=False)
    end = np.asarray(shapely.get_coordinates(shel.geoms))[nearest[1]]
    bend = np.column_stack([start[:, 0], end[:, 1]]) * 0.5 + (start + end) / 4
    coords = np.stack([start, bend, end], axis=1)
    return Routes(
        ids=[f"R-{c}" for c in comms.codes],
        names=[f"{nm}疏散路线" for nm in comms.names],
        community=np.arange(n, dtype=np.int64),
        geoms=shapely.linestrings(coords),
    )


def _cameras(
    rng: np.random.Generator, n: int, shelters: FloatArray, routes: Routes, corners: FloatArray
) -> Cameras:
    """A third of cameras watch a shelter, a third a route, the rest anywhere."""
    near_s, near_r = n // 3, n // 3
    spot = np.empty((n, 2))
    spot[:near_s] = shelters[rng.integers(0, len(shelters), near_s)]
    pick = rng.integers(0, len(routes.ids), near_r)
    spot[near_s : near_s + near_r] = np.asarray(
        shapely.get_coordinates(
            shapely.line_interpolate_point(
                routes.geoms[pick], rng.uniform(0, 1, near_r), normalized=True
            )
        )
    )
    spot[near_s + near_r :] = _in_quads(rng, corners, rng.integers(0, len(corners), n - 2 * near_s))
    # Each camera stands 20-90 m from its spot and looks at it.
    dist = rng.uniform(20, 90, n)
    look = rng.uniform(0, 360, n)
    rad = np.radians(look)
    cos_lat = math.cos(math.radians(23.13))
    lon = spot[:, 0] - dist * np.sin(rad) / (M_PER_DEG_LAT * cos_lat)
    lat = spot[:, 1] - dist * np.cos(rad) / M_PER_DEG_LAT
    return Cameras(
        ids=[f"SC-{i:05d}" for i in range(n)],
        lon=lon,
        lat=lat,
        bearing=(look + rng.normal(0, 8, n)) % 360,
        angle=rng.choice(np.array([60.0, 70.0, 90.0]), n),
        range_m=rng.uniform(80, 150, n),
        healthy=rng.uniform(0, 1, n) > 0.1,
    )

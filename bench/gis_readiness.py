"""Readiness benchmarks: full recompute of a synthetic city against a per-feature baseline,
an incremental kit batch, and the map's GeoJSON layer response.

Usage: .venv/bin/python bench/gis_readiness.py [--communities 3000] [--subset 10]
City: 3,000 communities, 5,000 shelters, 1,000,000 kit rows, 20,000 cameras, 200,000
buildings (gis/synth.py, seed 1). Runs on one core (analysis is single-threaded).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from console.gis import store  # noqa: E402
from console.gis.models import Feature  # noqa: E402
from console.gis.router import feature_collection, feature_dict  # noqa: E402
from gis import analysis, synth  # noqa: E402
from gis import readiness as model  # noqa: E402

CFG = model.ReadinessConfig()


def best(fn: Any, runs: int = 3) -> tuple[float, Any]:
    """Best wall time of a few runs, and the last result."""
    times, out = [], None
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def full(layers: analysis.Layers) -> tuple[analysis.Metrics, Any, Any]:
    """The full recompute the service runs (analysis + scores)."""
    m = analysis.analyse(layers, CFG.radii)
    scores = model.component_scores(m, None, CFG)
    return m, scores, model.totals(scores, CFG)


def baseline(layers: analysis.Layers, subset: int) -> dict[str, float]:
    """Straightforward per-feature shapely loops; per-community parts timed on a subset."""
    crs = "EPSG:4547"
    comm = analysis.project(layers.community_geoms, crs)
    sx, sy = analysis.crsmod.from_wgs84(crs, layers.shelter_lon, layers.shelter_lat)
    shel = [shapely.Point(x, y) for x, y in zip(sx, sy, strict=True)]
    bx, by = analysis.crsmod.from_wgs84(crs, layers.building_lon, layers.building_lat)
    blds = [shapely.Point(x, y) for x, y in zip(bx, by, strict=True)]
    radius = CFG.radii.by_kind()[layers.shelter_kind]
    n = len(comm)
    out: dict[str, float] = {}

    t = time.perf_counter()
    for i in range(subset):
        poly = comm[i]
        [j for j, p in enumerate(shel) if poly.distance(p) <= radius[j]]
    out["shelters in reach (per community x shelter)"] = (time.perf_counter() - t) * n / subset

    t = time.perf_counter()
    for i in range(subset):
        poly = comm[i]
        sum(1 for b in blds if poly.contains(b))
    out["buildings per community (contains loop)"] = (time.perf_counter() - t) * n / subset

    cams = np.flatnonzero(layers.camera_healthy)
    cx, cy = analysis.crsmod.from_wgs84(crs, layers.camera_lon[cams], layers.camera_lat[cams])
    secs = []
    for x, y, b, a, r in zip(
        cx,
        cy,
        layers.camera_bearing[cams],
        layers.camera_angle[cams],
        layers.camera_range[cams],
        strict=True,
    ):
        th = np.radians(np.linspace(b - a / 2, b + a / 2, 17))
        ring = [(x, y), *zip(x + r * np.sin(th), y + r * np.cos(th), strict=True), (x, y)]
        secs.append(shapely.Polygon(ring))
    k = max(1, subset * 5)
    t = time.perf_counter()
    for p in shel[:k]:
        any(s.contains(p) for s in secs)
    out["shelters on camera (shelter x sector)"] = (time.perf_counter() - t) * len(shel) / k

    t = time.perf_counter()
    kits: dict[tuple[int, int], float] = defaultdict(float)
    for c, cat, q in zip(
        layers.kit_community.tolist(),
        layers.kit_category.tolist(),
        layers.kit_quantity.tolist(),
        strict=True,
    ):
        kits[(c, cat)] += q
    out["kits (Python loop over rows)"] = time.perf_counter() - t
    return out


def incremental(m: analysis.Metrics, scores: Any, total: Any, runs: int = 200) -> float:
    """Median time to fold one 500-row kit batch into one community and rescore it."""
    rng = np.random.default_rng(3)
    times = []
    for _ in range(runs):
        c = int(rng.integers(0, len(total)))
        cat = rng.integers(0, 4, 500)
        qty = rng.integers(1, 3, 500).astype(float)
        t = time.perf_counter()
        m.kits[c] += np.bincount(cat, weights=qty, minlength=4)
        model.rescore_kits(m, scores, total, np.array([c]), CFG)
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def geojson(d: synth.District, zoom: int | None, per_feature: bool = False) -> tuple[float, int]:
    """Serialise 3,000 community polygons as the layer route does; returns (s, bytes).

    per_feature=True is the baseline: parse, simplify and re-encode one feature at a time.
    """
    feats = [
        Feature(
            layer="communities",
            fid=code,
            geometry=shapely.to_geojson(g),
            properties={"name": nm, "code": code},
            version=1,
        )
        for code, nm, g in zip(
            d.communities.codes, d.communities.names, d.communities.geoms, strict=True
        )
    ]
    tol = store.tolerance(zoom)

    def run() -> str:
        if not per_feature:
            return feature_collection(feats, tol)
        body = {"type": "FeatureCollection", "features": [feature_dict(f, tol) for f in feats]}
        return json.dumps(body, ensure_ascii=False)

    secs, body = best(run, 5)
    return secs, len(body.encode())


def main() -> None:
    """Build the city, time everything, print tables."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--communities", type=int, default=3000)
    ap.add_argument("--subset", type=int, default=10)
    args = ap.parse_args()
    print(f"# GIS readiness bench, {platform.processor() or platform.machine()}, {time.ctime()}")
    t = time.perf_counter()
    d = synth.generate(args.communities, 5000, 1_000_000, 20_000, 200_000, seed=1, bbox=None)
    print(f"city generated in {time.perf_counter() - t:.2f} s")
    layers = analysis.from_district(d)
    secs, (m, scores, total) = best(lambda: full(layers))
    print("\n| full recompute step | s |\n|---|---:|")
    for k, v in m.timings.items():
        print(f"| {k} | {v:.3f} |")
    print(f"| **ours, total (best of 3)** | **{secs:.3f}** |")
    base = baseline(layers, args.subset)
    print(f"\n| baseline part (subset {args.subset}, extrapolated) | s |\n|---|---:|")
    for k, v in base.items():
        print(f"| {k} | {v:.1f} |")
    total_base = sum(base.values())
    print(f"| **baseline total (these parts only)** | **{total_base:.1f}** |")
    print(f"\nratio baseline/ours: {total_base / secs:.0f}x")
    inc = incremental(m, scores, total) * 1e3
    print(f"incremental kit batch (one community, median): {inc:.3f} ms")
    print(
        "\n| GeoJSON, 3,000 polygons | ours ms | bytes | per-feature baseline ms | ratio |"
        "\n|---|---:|---:|---:|---:|"
    )
    for z in (None, 12, 14):
        s, size = geojson(d, z)
        b, _ = geojson(d, z, per_feature=True)
        label = z if z is not None else "none (full)"
        print(f"| zoom {label} | {s * 1e3:.0f} | {size:,} | {b * 1e3:.0f} | {b / s:.1f}x |")
    lo, mid, hi = np.nanmin(total), np.nanmedian(total), np.nanmax(total)
    print(f"\nscores: min {lo:.1f} median {mid:.1f} max {hi:.1f}")


if __name__ == "__main__":
    main()

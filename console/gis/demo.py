"""Demo GIS layers: a generated Guangzhou-like district whose readiness varies, with history."""

from __future__ import annotations

import asyncio
import logging
import math
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import insert, select

from console.cameras.models import Camera
from console.gis import store
from console.gis.models import Feature, KitDistribution, ReadinessSnapshot
from console.services import Services
from gis import analysis, synth
from gis import readiness as model
from gis.layers import LAYERS

log = logging.getLogger(__name__)
BY = "demo"
HISTORY_DAYS = (300, 240, 180, 120, 60)
STRUCTURES = ("brick-concrete", "frame", "shear-wall", "masonry")


def _in_front(cams: list[tuple[Any, ...]]) -> np.ndarray[Any, np.dtype[np.float64]]:
    """A point half-way along each camera's view axis, where a shelter will be watched."""
    out = []
    for _, lon, lat, bearing, rng in cams:
        d = 0.5 * (rng or 100.0)
        b = math.radians(bearing or 0.0)
        out.append(
            (
                lon + d * math.sin(b) / (synth.M_PER_DEG_LAT * math.cos(math.radians(lat))),
                lat + d * math.cos(b) / synth.M_PER_DEG_LAT,
            )
        )
    return np.asarray(out, dtype=float).reshape(-1, 2)


def _items(d: synth.District) -> dict[str, list[store.Item]]:
    """Features per layer, each validated by its layer schema."""
    c, s, t, r, b = d.communities, d.shelters, d.teams, d.routes, d.buildings

    def ok(layer: str, props: dict[str, Any]) -> dict[str, Any]:
        return LAYERS[layer].model_validate(props).model_dump(exclude_none=True)

    out: dict[str, list[store.Item]] = {
        "communities": [
            (
                code,
                c.geoms[i],
                ok(
                    "communities",
                    {
                        "name": c.names[i],
                        "code": code,
                        "population": int(c.population[i]),
                        "households": int(c.households[i]),
                        "elderly": int(c.elderly[i]),
                        "disabled": int(c.disabled[i]),
                        "children": int(c.children[i]),
                        "street_office": c.street_offices[i],
                    },
                ),
            )
            for i, code in enumerate(c.codes)
        ],
        "shelters": [
            (
                sid,
                s.geoms[i],
                ok(
                    "shelters",
                    {
                        "name": s.names[i],
                        "kind": synth.KINDS[s.kind[i]],
                        "effective_area_m2": float(s.area_m2[i]),
                        "capacity": int(s.capacity[i]),
                        "open": False,
                    },
                ),
            )
            for i, sid in enumerate(s.ids)
        ],
        "teams": [
            (
                tid,
                t.geoms[i],
                ok(
                    "teams",
                    {
                        "community_code": c.codes[t.community[i]],
                        "name": t.names[i],
                        "kind": synth.TEAM_KINDS[t.kind[i]],
                        "head_count": int(t.head_count[i]),
                    },
                ),
            )
            for i, tid in enumerate(t.ids)
        ],
        "routes": [
            (rid, r.geoms[i], ok("routes", {"name": r.names[i], "community_code": c.codes[i]}))
            for i, rid in enumerate(r.ids)
        ],
        "buildings": [
            (
                f"B{i + 1:05d}",
                b.geoms[i],
                ok(
                    "buildings",
                    {"structure": STRUCTURES[i % 4], "rating": synth.RATINGS[b.rating[i]]},
                ),
            )
            for i in range(len(b.geoms))
        ],
    }
    return out


def history(
    d: synth.District, cams: list[tuple[Any, ...]], cfg: model.ReadinessConfig
) -> list[tuple[int, list[float]]]:
    """Scores at past dates as the kits were delivered (days ago, score per community)."""
    layers = analysis.from_district(d)
    layers.camera_ids = [str(x[0]) for x in cams]
    layers.camera_lon = np.array([x[1] for x in cams], dtype=float)
    layers.camera_lat = np.array([x[2] for x in cams], dtype=float)
    layers.camera_bearing = np.array([x[3] or 0.0 for x in cams], dtype=float)
    layers.camera_angle = np.array([70.0 for _ in cams], dtype=float)
    layers.camera_range = np.array([x[4] or 100.0 for x in cams], dtype=float)
    layers.camera_healthy = np.ones(len(cams), dtype=bool)
    m = analysis.analyse(layers, cfg.radii)
    out = []
    n = len(d.communities.codes)
    for days in HISTORY_DAYS:
        old = d.kits.days_ago >= days
        m.kits = analysis.kit_totals(
            d.kits.community[old], d.kits.category[old], d.kits.quantity[old].astype(float), n
        )
        total = model.totals(model.component_scores(m, None, cfg), cfg)
        out.append((days, [float(v) for v in total]))
    return out


async def seed(services: Services) -> None:
    """Seed the demo district's layers, kit rows and score history (idempotent)."""
    async with services.store.session() as db:
        if await db.scalar(select(Feature.id).where(Feature.layer == "communities").limit(1)):
            return
        rows = await db.execute(
            select(Camera.id, Camera.lon, Camera.lat, Camera.bearing, Camera.fov_range_m).where(
                Camera.lon.is_not(None), Camera.lat.is_not(None)
            )
        )
        cams = [tuple(r) for r in rows]
    # Shelters in front of two thirds of the registry's cameras, so coverage shows somewhere.
    watched = cams[: max(1, 2 * len(cams) // 3)] if cams else []
    district = await asyncio.to_thread(
        synth.generate,
        communities=48,
        shelters=30,
        kit_rows=3000,
        cameras=0,
        buildings=800,
        bbox=synth.DEMO_BBOX,
        extra_shelters=_in_front(watched),
    )
    items = await asyncio.to_thread(_items, district)
    cfg = services.settings.readiness
    past = await asyncio.to_thread(history, district, cams, cfg)
    today = date.today()
    k = district.kits
    kit_rows = [
        {
            "community_code": district.communities.codes[int(c)],
            "category": synth.KIT_CATEGORIES[int(cat)],
            "quantity": int(q),
            "date": today - timedelta(days=int(ago)),
            "unit": district.communities.street_offices[int(c)],
        }
        for c, cat, q, ago in zip(k.community, k.category, k.quantity, k.days_ago, strict=True)
    ]
    now = datetime.now(UTC)
    async with services.store.session() as db, db.begin():
        for layer, feats in items.items():
            await store.upsert(db, layer, feats, BY)
        await db.execute(insert(KitDistribution), kit_rows)
        last: dict[str, float] = {}
        for days, scores in past:
            for code, score in zip(district.communities.codes, scores, strict=True):
                if np.isfinite(score) and round(score, 1) != last.get(code):
                    last[code] = round(score, 1)
                    db.add(
                        ReadinessSnapshot(
                            community_code=code,
                            score=round(score, 1),
                            components={},
                            computed_at=now - timedelta(days=days),
                        )
                    )
    n_feats = sum(len(v) for v in items.values())
    log.info("demo GIS: %s features, %s kit rows", n_feats, len(kit_rows))

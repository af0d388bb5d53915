"""A data dir holding the synthetic city for the operations-view benchmark and browser tests:
the demo units and users, the GIS layers from gis/synth.py and every synthetic camera in the
camera registry (owned by the police sub-bureau, stream URLs sealed like real ones) with a
health status (most OK, some degraded or offline, a few never checked).

Usage: .venv/bin/python bench/ops_city.py DATA_DIR [--communities 3000] [--cameras 20000] ...
Serve it with camera watching off: EOC_STREAMS__WATCH=false eoc serve --data-dir DATA_DIR
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import insert, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from console.cameras.models import Camera  # noqa: E402
from console.cameras.secrets import UrlVault  # noqa: E402
from console.demo import seed_demo  # noqa: E402
from console.gis import store  # noqa: E402
from console.gis.demo import _items  # noqa: E402
from console.health.models import CameraHealth  # noqa: E402
from console.services import Services  # noqa: E402
from console.settings import load_settings  # noqa: E402
from console.store.engine import prepare_data_dir  # noqa: E402
from console.store.models import Unit  # noqa: E402
from gis import synth  # noqa: E402

CHUNK = 2000
STATUS_SHARE = {"degraded": 0.5, "offline": 0.5}  # of the unhealthy tenth


def statuses(healthy: np.ndarray[Any, Any], seed: int) -> list[str | None]:
    """A health status per camera: ok, degraded, offline, or None (never checked, 2 %)."""
    rng = np.random.default_rng(seed)
    bad = rng.choice(["degraded", "offline"], size=len(healthy))
    never = rng.uniform(0, 1, len(healthy)) < 0.02
    return [
        None if n else ("ok" if h else str(b))
        for h, b, n in zip(healthy.tolist(), bad.tolist(), never.tolist(), strict=True)
    ]


async def build(
    data_dir: Path,
    communities: int = 3000,
    shelters: int = 5000,
    buildings: int = 200_000,
    cameras: int = 20_000,
    seed: int = 1,
) -> dict[str, Any]:
    """Write the city into a fresh data dir; returns counts and the status totals."""
    t0 = time.perf_counter()
    settings = load_settings(data_dir=data_dir, streams={"watch": False})
    prepare_data_dir(settings.data_dir)
    services = Services.build(settings)
    await services.store.upgrade()
    await seed_demo(services, [])
    d = await asyncio.to_thread(
        synth.generate,
        communities=communities,
        shelters=shelters,
        kit_rows=communities * 20,
        cameras=cameras,
        buildings=buildings,
        seed=seed,
    )
    items = await asyncio.to_thread(_items, d)
    async with services.store.session() as db, db.begin():
        for layer, feats in items.items():
            await store.upsert(db, layer, feats, "bench")
    vault = UrlVault(services.secret)
    c = d.cameras
    status = statuses(c.healthy, seed)
    now = datetime.now(UTC)
    async with services.store.session() as db, db.begin():
        psb = await db.scalar(select(Unit.id).where(Unit.code == "psb"))
        sealed = vault.seal("rtsp://bench:secret@127.0.0.1:9/none")
        rows: list[dict[str, Any]] = [
            {
                "id": cid,
                "name": f"合成摄像机 {i}",
                "owner_unit_id": psb,
                "lon": float(c.lon[i]),
                "lat": float(c.lat[i]),
                "bearing": float(c.bearing[i]),
                "fov_angle": float(c.angle[i]),
                "fov_range_m": float(c.range_m[i]),
                "main_url_enc": sealed,
                "main_url_masked": "rtsp://***@127.0.0.1:9/none",
                "tags": [],
                "key_camera": i % 97 == 0,
                "watch_mode": "patrol",
                "enabled": True,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for i, cid in enumerate(c.ids)
        ]
        for k in range(0, len(rows), CHUNK):
            await db.execute(insert(Camera), rows[k : k + CHUNK])
        health = [
            {
                "camera_id": cid,
                "status": s,
                "reasons": [] if s == "ok" else [s],
                "since": now,
                "checked_at": now,
                "metrics": {},
            }
            for cid, s in zip(c.ids, status, strict=True)
            if s is not None
        ]
        for k in range(0, len(health), CHUNK):
            await db.execute(insert(CameraHealth), health[k : k + CHUNK])
    await services.store.close()
    totals = {s: status.count(s) for s in ("ok", "degraded", "offline")}
    totals["unknown"] = status.count(None)
    return {
        "communities": communities,
        "shelters": shelters,
        "buildings": buildings,
        "cameras": cameras,
        "status": totals,
        "seconds": round(time.perf_counter() - t0, 1),
    }


def main() -> None:
    """Build a city into the given data dir."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("--communities", type=int, default=3000)
    ap.add_argument("--shelters", type=int, default=5000)
    ap.add_argument("--buildings", type=int, default=200_000)
    ap.add_argument("--cameras", type=int, default=20_000)
    a = ap.parse_args()
    info = asyncio.run(build(a.data_dir, a.communities, a.shelters, a.buildings, a.cameras))
    print(json.dumps(info))


if __name__ == "__main__":
    main()

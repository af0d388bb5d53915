"""Demo cameras: the shipped sample footage looped, plus faulty variants derived from it."""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import select

from console.audit import CLI_ACTOR, AuditLog
from console.cameras import service
from console.cameras.models import Camera
from console.cameras.schemas import CameraFields, FieldOfView
from console.cameras.secrets import UrlVault
from console.services import Services
from console.store.models import Unit
from streams.faults import write_faulty_clip

log = logging.getLogger(__name__)
SHIPPED = Path(__file__).resolve().parent / "demo_media"


def prepare_media(media: Path, step: Callable[[str], None] = lambda _: None) -> None:
    """Copy the footage into the media folder and derive the faulty variants once."""
    media.mkdir(parents=True, exist_ok=True)
    for clip in SHIPPED.glob("*.mp4"):
        if not (media / clip.name).exists():
            shutil.copyfile(clip, media / clip.name)
    shutil.copyfile(SHIPPED / "ATTRIBUTION.md", media / "ATTRIBUTION.md")
    todo = [
        name
        for name in ("too-dark", "blur", "colour-cast", "frozen")
        if not (media / f"road-{name}.mp4").exists()
    ]
    if todo:
        step(f"cameras: deriving {', '.join(todo)} footage")
        # Encoding releases the GIL: the clips are derived side by side, one per core.
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="demo-media") as pool:
            jobs = [
                pool.submit(
                    write_faulty_clip,
                    SHIPPED / "car-detection.mp4",
                    media / f"road-{name}.mp4",
                    name.replace("-", "_"),
                )
                for name in todo
            ]
            for job in jobs:
                job.result()
    flaky = media / "road-flaky.mp4"
    if not flaky.exists():
        shutil.copyfile(SHIPPED / "car-detection.mp4", flaky)


# id, name, owner, shared, file or URL, lon, lat, bearing, key, watch mode, tags
DEMO_CAMERAS: list[
    tuple[str, str, str, list[str], str, float, float, float, bool, str, list[str]]
] = [
    (
        "YX-0001",
        "北京路步行街口",
        "psb",
        ["street-a"],
        "car-detection.mp4",
        113.2695,
        23.1255,
        200,
        True,
        "continuous",
        ["crossroad", "key"],
    ),
    (
        "YX-0002",
        "应急物资仓库（室内）",
        "eqo",
        ["psb"],
        "bottle-detection.mp4",
        113.2801,
        23.1322,
        90,
        True,
        "continuous",
        ["warehouse"],
    ),
    (
        "YX-0003",
        "东山口夜间道路",
        "psb",
        ["street-a"],
        "road-too-dark.mp4",
        113.2978,
        23.1301,
        160,
        False,
        "patrol",
        ["road"],
    ),
    (
        "YX-0004",
        "西湖路口",
        "psb",
        ["street-b"],
        "road-blur.mp4",
        113.2702,
        23.1290,
        45,
        False,
        "patrol",
        ["crossroad"],
    ),
    (
        "YX-0005",
        "中山四路（画面冻结）",
        "psb",
        [],
        "road-frozen.mp4",
        113.2760,
        23.1280,
        270,
        False,
        "continuous",
        ["road"],
    ),
    (
        "YX-0006",
        "农林下路",
        "street-a",
        [],
        "road-colour-cast.mp4",
        113.2905,
        23.1265,
        10,
        False,
        "patrol",
        ["road"],
    ),
    (
        "YX-0007",
        "越秀公园避难场所入口",
        "eqo",
        ["street-a", "street-b"],
        "road-flaky.mp4",
        113.2670,
        23.1395,
        120,
        True,
        "continuous",
        ["shelter"],
    ),
    (
        "YX-0008",
        "解放北路（离线）",
        "psb",
        [],
        "rtsp://demo:demo-secret@127.0.0.1:9/live",
        113.2650,
        23.1350,
        300,
        False,
        "patrol",
        ["road"],
    ),
]


async def seed(services: Services, step: Callable[[str], None] = lambda _: None) -> None:
    """Register the demo cameras (idempotent)."""
    media = services.settings.data_dir / "media"
    await asyncio.to_thread(prepare_media, media, step)
    vault = UrlVault(services.secret)
    async with services.store.session() as db, db.begin():
        codes = dict((await db.execute(select(Unit.code, Unit.id))).all())
        existing = set((await db.scalars(select(Camera.id))).all())
        for cam_id, name, owner, shared, src, lon, lat, bearing, key, mode, tags in DEMO_CAMERAS:
            if cam_id in existing:
                continue
            url = src if "://" in src else f"file://{(media / src).resolve()}"
            fields = CameraFields(
                name=name,
                owner_unit_id=codes[owner],
                shared_unit_ids=[codes[s] for s in shared],
                lon=lon,
                lat=lat,
                fov=FieldOfView(bearing=bearing, angle=70, range_m=120),
                main_url=url,
                tags=tags,
                key_camera=key,
                watch_mode=mode,
            )
            await service.create(db, cam_id, fields, vault, media)
            AuditLog.add(
                db,
                CLI_ACTOR,
                "camera.create",
                target_type="camera",
                target_id=cam_id,
                detail={"name": name, "demo": True},
            )


async def drop_and_return(media: Path, off_s: float = 45.0, on_s: float = 75.0) -> None:
    """Demo only: take the flaky camera's footage away now and then, so it drops and returns."""
    clip = media / "road-flaky.mp4"
    hidden = media / "road-flaky.off"
    try:
        while True:
            await asyncio.sleep(on_s)
            if clip.exists():
                clip.rename(hidden)
            await asyncio.sleep(off_s)
            if hidden.exists():
                hidden.rename(clip)
    finally:
        if hidden.exists() and not clip.exists():
            hidden.rename(clip)

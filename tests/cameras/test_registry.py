"""Camera registry: CRUD, masking, unit scoping, import/export with row errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import func, select

from console.app import create_app
from console.cameras.models import Camera
from console.cameras.module import CamerasModule
from console.settings import Settings
from tests.conftest import login, new_client

SECRET = "s3cr3t-pa55"
CAM = {
    "id": "gz-yx-0001",
    "name": "北京路口东",
    "owner_unit_id": 2,
    "shared_unit_ids": [4],
    "lon": 113.2701,
    "lat": 23.1291,
    "fov": {"bearing": 90, "angle": 60, "range_m": 80},
    "main_url": f"rtsp://admin:{SECRET}@127.0.0.1:554/Streaming/Channels/101",
    "sub_url": f"rtsp://admin:{SECRET}@127.0.0.1:554/Streaming/Channels/102",
    "tags": ["crossroad", "key"],
    "key_camera": True,
    "watch_mode": "continuous",
}


@pytest.fixture
async def app(settings: Settings) -> Any:
    application = create_app(settings, modules=[CamerasModule()])
    async with LifespanManager(application):
        yield application


async def count(app: Any) -> int:
    async with app.state.services.store.session() as db:
        return int(await db.scalar(select(func.count()).select_from(Camera)) or 0)


@pytest.mark.asyncio
async def test_create_masks_credentials_everywhere(client: httpx.AsyncClient, app: Any) -> None:
    await login(client, "admin")
    r = await client.post("/api/cameras", json=CAM)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["main_url"] == "rtsp://***@127.0.0.1:554/Streaming/Channels/101"
    assert SECRET not in r.text
    for path in (
        "/api/cameras",
        "/api/cameras/gz-yx-0001",
        "/api/cameras/export.csv",
        "/api/cameras/export.geojson",
        "/api/audit?limit=1000",
    ):
        resp = await client.get(path)
        assert resp.status_code == 200 and SECRET not in resp.text, path
    async with app.state.services.store.session() as db:
        row = await db.get(Camera, "gz-yx-0001")
        assert row is not None and SECRET not in row.main_url_enc
    r = await client.post(
        "/api/cameras", json={**CAM, "main_url": f"rtsp://admin:{SECRET}@bad host/x"}
    )
    assert r.status_code in (409, 422) and SECRET not in r.text


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("patch", "loc"),
    [
        ({"main_url": "gopher://cam/1"}, "body.main_url"),
        ({"main_url": "not a url"}, "body.main_url"),
        ({"main_url": "file:///etc/passwd"}, "body.main_url"),
        ({"main_url": "file:///../../etc/passwd"}, "body.main_url"),
        ({"fov": {"bearing": 400, "angle": 60, "range_m": 80}}, "body.fov.bearing"),
        ({"fov": {"bearing": 10, "angle": 0, "range_m": 80}}, "body.fov.angle"),
        ({"lon": 200}, "body.lon"),
        ({"lat": None}, "body"),
        ({"id": "bad id!"}, "body.id"),
        ({"owner_unit_id": 999}, "body.owner_unit_id"),
        ({"shared_unit_ids": [4, 999]}, "body.shared_unit_ids[1]"),
        ({"watch_mode": "always"}, "body.watch_mode"),
        ({"colour": "red"}, "body.colour"),
    ],
)
async def test_bad_camera_fields(
    client: httpx.AsyncClient, app: Any, patch: dict[str, Any], loc: str
) -> None:
    await login(client, "admin")
    r = await client.post("/api/cameras", json={**CAM, **patch})
    assert r.status_code == 422, r.text
    assert loc in [e["loc"] for e in r.json()["errors"]], r.json()
    assert await count(app) == 0


@pytest.mark.asyncio
async def test_unit_scoping_and_sharing(client: httpx.AsyncClient, app: Any) -> None:
    await login(client, "admin")
    assert (await client.post("/api/cameras", json=CAM)).status_code == 201
    assert (
        await client.post("/api/cameras", json={**CAM, "id": "psb-only", "shared_unit_ids": []})
    ).status_code == 201
    viewer = await new_client(app, "viewer")  # street-a: shared gz-yx-0001 only
    other = await new_client(app, "operator2")  # street-b: nothing
    operator = await new_client(app, "operator")  # psb: owns both
    try:
        assert [c["id"] for c in (await viewer.get("/api/cameras")).json()["items"]] == [
            "gz-yx-0001"
        ]
        assert (await other.get("/api/cameras")).json()["total"] == 0
        # A camera not shared with the caller's unit answers like a missing one.
        assert (await other.get("/api/cameras/gz-yx-0001")).status_code == 404
        assert (await operator.get("/api/cameras")).json()["total"] == 2
        # Only admin/maintenance may change the registry.
        r = await operator.patch("/api/cameras/psb-only", json={"name": "x"})
        assert r.status_code == 403
    finally:
        for c in (viewer, other, operator):
            await c.aclose()


@pytest.mark.asyncio
async def test_patch_versions_and_delete(client: httpx.AsyncClient) -> None:
    await login(client, "admin")
    await client.post("/api/cameras", json=CAM)
    r = await client.patch(
        "/api/cameras/gz-yx-0001?version=1", json={"name": "北京路口东（新）", "sub_url": ""}
    )
    assert r.status_code == 200 and r.json()["version"] == 2 and r.json()["sub_url"] is None
    r = await client.patch("/api/cameras/gz-yx-0001?version=1", json={"name": "stale"})
    assert r.status_code == 412 and r.json()["current"]["version"] == 2
    assert (await client.delete("/api/cameras/gz-yx-0001")).status_code == 204
    assert (await client.get("/api/cameras/gz-yx-0001")).status_code == 404


CSV_HEAD = "id,name,owner_unit,shared_units,lon,lat,bearing,fov_angle,fov_range_m,main_url,sub_url,tags,key_camera,watch_mode,enabled\n"


def csv_row(i: int, **over: Any) -> str:
    vals = {
        "id": f"c{i:04d}",
        "name": f"摄像机{i}",
        "owner_unit": "psb",
        "shared_units": "street-a",
        "lon": "113.27",
        "lat": "23.13",
        "bearing": "45",
        "fov_angle": "60",
        "fov_range_m": "100",
        "main_url": f"rtsp://u:{SECRET}@127.0.0.1:8554/c{i}",
        "sub_url": "",
        "tags": "road;night",
        "key_camera": "no",
        "watch_mode": "patrol",
        "enabled": "yes",
    }
    vals.update(over)
    return ",".join(vals.values()) + "\n"


@pytest.mark.asyncio
async def test_csv_import_all_or_nothing_with_row_numbers(
    client: httpx.AsyncClient, app: Any
) -> None:
    await login(client, "admin")
    text = (
        CSV_HEAD
        + csv_row(1)
        + csv_row(2, fov_angle="999")
        + csv_row(3, owner_unit="nowhere")
        + csv_row(1)
        + csv_row(5)
    )
    r = await client.post("/api/cameras/import?format=csv", content=text.encode())
    assert r.status_code == 422
    errors = r.json()["report"]["errors"]
    assert {(e["row"], e["loc"]) for e in errors} >= {
        (3, "fov.angle"),
        (4, "owner_unit"),
        (5, "id"),
    }
    assert "row 3" in r.json()["detail"] and SECRET not in r.text
    assert await count(app) == 0
    r = await client.post("/api/cameras/import?format=csv&partial=true", content=text.encode())
    assert r.status_code == 200 and r.json()["created"] == 2 and r.json()["skipped"] == 3
    assert await count(app) == 2
    r = await client.post(
        "/api/cameras/import?format=csv", content=(CSV_HEAD + csv_row(1, name="改名")).encode()
    )
    assert r.status_code == 422 and "upsert" in r.json()["detail"]
    r = await client.post(
        "/api/cameras/import?format=csv&upsert=true",
        content=(CSV_HEAD + csv_row(1, name="改名")).encode(),
    )
    assert r.status_code == 200 and r.json()["updated"] == 1
    r = await client.post("/api/cameras/import?format=csv", content=b"id,nme\nx,y\n")
    assert r.status_code == 422 and r.json()["report"]["errors"][0]["row"] == 1
    r = await client.post("/api/cameras/import?format=csv", content="id,name\n".encode("utf-16"))
    assert r.status_code == 422


@pytest.mark.asyncio
async def test_export_then_import_roundtrip(client: httpx.AsyncClient, app: Any) -> None:
    await login(client, "admin")
    rows = "".join(csv_row(i) for i in range(1, 301))
    r = await client.post("/api/cameras/import?format=csv", content=(CSV_HEAD + rows).encode())
    assert r.status_code == 200 and r.json()["created"] == 300
    geo = (await client.get("/api/cameras/export.geojson")).json()
    assert len(geo["features"]) == 300 and geo["features"][0]["geometry"]["coordinates"] == [
        113.27,
        23.13,
    ]
    assert geo["features"][0]["properties"]["owner_unit"] == "psb"
    exported = (await client.get("/api/cameras/export.csv")).text
    assert (
        exported.lstrip("\ufeff").startswith("id,name,owner_unit") and exported.count("\n") == 301
    )
    # GeoJSON import into a fresh id space (masked URLs are valid URLs, credentials gone).
    for f in geo["features"]:
        f["id"] = f["properties"]["id"] = "g-" + f["id"]
    r = await client.post("/api/cameras/import?format=geojson", content=json.dumps(geo).encode())
    assert r.status_code == 200, r.text
    assert await count(app) == 600
    bad = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
                "properties": {},
            }
        ],
    }
    r = await client.post("/api/cameras/import?format=geojson", content=json.dumps(bad).encode())
    assert r.status_code == 422 and r.json()["report"]["errors"][0]["loc"] == "geometry"


@pytest.mark.asyncio
async def test_file_sources_only_inside_media_folder(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await login(client, "admin")
    media = settings.data_dir / "media"
    media.mkdir(exist_ok=True)
    (media / "clip.mp4").write_bytes(b"\x00" * 10)
    r = await client.post(
        "/api/cameras", json={**CAM, "main_url": f"file://{media / 'clip.mp4'}", "sub_url": None}
    )
    assert r.status_code == 201, r.text
    outside = Path(settings.data_dir) / "secret_key"
    r = await client.post(
        "/api/cameras", json={**CAM, "id": "c2", "main_url": f"file://{outside}", "sub_url": None}
    )
    assert r.status_code == 422
    (media / "link.mp4").symlink_to(outside)
    r = await client.post(
        "/api/cameras",
        json={**CAM, "id": "c3", "main_url": f"file://{media / 'link.mp4'}", "sub_url": None},
    )
    assert r.status_code == 422

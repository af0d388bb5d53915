"""Bad import inputs: each refused with a 4xx naming what is wrong, nothing stored."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from console.app import create_app
from tests.conftest import login, make_settings
from tests.gis.importing import add_community, codes, fc, layer, point, post_import, square

GZ = (113.27, 23.13)


def shelter(lon: float = GZ[0], lat: float = GZ[1], **props: Any) -> dict[str, Any]:
    return point(lon, lat, {"name": "s", **props})


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("crs", "loc"),
    [
        ("EPSG:99999", "query.crs"),
        ("garbage", "query.crs"),
        ("+proj=longlat +init=/etc/passwd", "query.crs"),
        ("EPSG:4326; DROP TABLE", "query.crs"),
    ],
)
async def test_unknown_crs_parameter_is_422(client: httpx.AsyncClient, crs: str, loc: str) -> None:
    await login(client, "coordinator")
    r = await post_import(client, "shelters", fc(shelter()), crs=crs)
    assert r.status_code == 422, r.text
    err = r.json()["errors"][0]
    assert (err["loc"], err["type"]) == (loc, "unknown_crs") and err["params"]["crs"] == crs
    assert await layer(client, "shelters") == {}


@pytest.mark.asyncio
async def test_unknown_crs_member_names_the_member(client: httpx.AsyncClient) -> None:
    await login(client, "coordinator")
    crs = {"type": "name", "properties": {"name": "EPSG:99999"}}
    r = await post_import(client, "shelters", fc(shelter(), crs=crs))
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == "body.crs.properties.name"


@pytest.mark.asyncio
@pytest.mark.parametrize("name", ["gcj02", "GCJ-02", "gcj_02", "BD-09", "bd09", "bd09ll"])
async def test_chinese_map_crs_accepted_by_name(client: httpx.AsyncClient, name: str) -> None:
    await login(client, "coordinator")
    r = await post_import(client, "shelters", fc(shelter()), crs=name, dry_run=True)
    assert r.status_code == 200, r.text
    assert r.json()["crs"] in ("GCJ-02", "BD-09") and r.json()["crs_declared"]
    crs = {"type": "name", "properties": {"name": name}}
    r = await post_import(client, "shelters", fc(shelter(), crs=crs), dry_run=True)
    assert r.status_code == 200 and r.json()["crs"] in ("GCJ-02", "BD-09")
    # Declared: no "which web map is this from" warning.
    assert "crs_undeclared_china" not in codes(r.json())


@pytest.mark.asyncio
async def test_wrong_declared_crs_lands_far_away_and_is_refused(
    client: httpx.AsyncClient,
) -> None:
    await login(client, "coordinator")
    await add_community(client, "GZ1", 113.26, 23.12)
    districts = fc(
        {
            "type": "Feature",
            "properties": {"name": "天河", "code": "T1"},
            "geometry": square(113.33, 23.12),
        }
    )
    r = await post_import(client, "communities", districts, crs="EPSG:4547")
    assert r.status_code == 422, r.text
    body = r.json()
    err = body["errors"][0]
    assert (err["loc"], err["type"]) == ("query.crs", "outside_site")
    # lon/lat degrees taken as Gauss-Kruger metres: a few metres from the false origin.
    assert err["params"]["where"].startswith("109.51") and err["params"]["where"].endswith(
        "0.0002N"
    )
    assert 2400 < err["params"]["km"] < 2700
    assert "would land at 109.51" in body["detail"] and "km from the site" in body["detail"]
    assert set(await layer(client, "communities")) == {"GZ1"}


@pytest.mark.asyncio
async def test_empty_collection_and_empty_files(client: httpx.AsyncClient) -> None:
    await login(client, "coordinator")
    r = await post_import(client, "shelters", fc())
    assert r.status_code == 422 and r.json()["errors"][0]["type"] == "empty"
    r = await post_import(client, "shelters", b"name,lon,lat\n", format="csv")
    assert r.status_code == 422 and r.json()["errors"][0]["type"] == "empty"
    r = await post_import(client, "shelters", b"[]")
    assert r.status_code == 422 and r.json()["errors"][0]["type"] == "bad_geojson"


@pytest.mark.asyncio
async def test_z_values_dropped_with_a_note(client: httpx.AsyncClient) -> None:
    await login(client, "coordinator")
    feats = [
        point(113.27, 23.13, {"name": "a"}, "a")
        | {"geometry": {"type": "Point", "coordinates": [113.27, 23.13, 12.5]}},
        point(113.28, 23.13, {"name": "b"}, "b"),
    ]
    r = await post_import(client, "shelters", fc(*feats))
    assert r.status_code == 200, r.text
    note = next(n for n in r.json()["notes"] if n["code"] == "z_dropped")
    assert note["params"] == {"count": 1}
    assert (await layer(client, "shelters"))["a"]["geometry"]["coordinates"] == [113.27, 23.13]


@pytest.mark.asyncio
async def test_swapped_axes_outside_china_with_and_without_a_site(
    client: httpx.AsyncClient,
) -> None:
    await login(client, "coordinator")
    # Madrid (3.7W 40.4N) written lat/lon: both readings are valid lon/lat.
    madrid = fc(point(40.4168, -3.7038, {"name": "Puerta del Sol"}, "sol"))
    r = await post_import(client, "pois", madrid, dry_run=True)
    assert r.status_code == 200
    assert "site_unknown" in codes(r.json())  # nothing to judge against: said, not hidden
    await add_community(client, "MAD", -3.75, 40.38)
    r = await post_import(client, "pois", madrid)
    assert r.status_code == 200, r.text
    assert "axis_swapped" in codes(r.json())
    assert (await layer(client, "pois"))["sol"]["geometry"]["coordinates"] == [-3.7038, 40.4168]


@pytest.mark.asyncio
async def test_projected_metres_without_crs(client: httpx.AsyncClient) -> None:
    await login(client, "coordinator")
    r = await post_import(client, "shelters", fc(shelter(425000.0, 2559000.0)))
    assert r.status_code == 422 and r.json()["errors"][0]["type"] == "projected_metres"


@pytest.mark.asyncio
async def test_feature_id_and_id_column_are_not_extra_fields(client: httpx.AsyncClient) -> None:
    await login(client, "coordinator")
    # QGIS copies Feature.id into properties; the ID column is not a layer field either.
    data = fc(
        point(113.27, 23.13, {"id": "P1", "name": "board", "kind": "Board", "OBJECTID": 7}, "P1")
    )
    r = await post_import(client, "pois", data)
    assert r.status_code == 200, r.text
    ignored = next(n for n in r.json()["notes"] if n["code"] == "columns_ignored")
    assert ignored["params"]["columns"] == ["id", "OBJECTID"]
    got = await layer(client, "pois")
    assert got["P1"]["properties"]["kind"] == "board"  # "Board" matched the choice
    csv_text = "编号,name,kind,lon,lat\nW9,仓库,warehouse,113.27,23.13\n".encode()
    r = await post_import(client, "pois", csv_text, format="csv", fid_field="编号")
    assert r.status_code == 200, r.text
    assert "W9" in await layer(client, "pois")


@pytest.mark.asyncio
async def test_mapping_coerces_and_defaults_fill(client: httpx.AsyncClient) -> None:
    await login(client, "coordinator")
    data = fc(
        {
            "type": "Feature",
            "properties": {"NAME": "东山", "adcode": 440104001, "pop": "12,345", "hh": 4000.0},
            "geometry": square(113.27, 23.12),
        }
    )
    mapping = {"NAME": "name", "adcode": "code", "pop": "population", "hh": "households"}
    defaults = {"street_office": "东山街道", "elderly": "120"}
    r = await post_import(client, "communities", data, mapping=mapping, defaults=defaults)
    assert r.status_code == 200, r.text
    p = (await layer(client, "communities"))["440104001"]["properties"]
    assert (p["code"], p["population"], p["households"]) == ("440104001", 12345, 4000)
    assert (p["street_office"], p["elderly"]) == ("东山街道", 120)
    # A default for a field the layer does not have: named.
    r = await post_import(client, "communities", data, mapping=mapping, defaults={"colour": "red"})
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == "query.defaults.colour"
    r = await post_import(client, "communities", data, mapping={"NAME": "nom"})
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == "query.mapping.NAME"
    r = await post_import(client, "communities", data, defaults="[1]")
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == "query.defaults"


@pytest.mark.asyncio
async def test_id_problems_named(client: httpx.AsyncClient) -> None:
    await login(client, "coordinator")
    dup = fc(point(113.27, 23.13, {"name": "a"}, "X1"), point(113.28, 23.13, {"name": "b"}, "X1"))
    r = await post_import(client, "pois", dup)
    assert r.status_code == 422
    err = r.json()["errors"][0]
    assert (err["loc"], err["type"], err["params"]) == (
        "features.1.id",
        "id_duplicate",
        {"id": "X1", "first": 0},
    )
    r = await post_import(client, "pois", fc(point(113.27, 23.13, {"name": "a"}, "a/b")))
    assert r.status_code == 422 and r.json()["errors"][0]["type"] == "id_invalid"
    r = await post_import(client, "pois", fc(point(113.27, 23.13, {"name": "a"})), fid_field="code")
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == "query.fid_field"
    assert await layer(client, "pois") == {}


@pytest.mark.asyncio
async def test_bad_encoding_name(client: httpx.AsyncClient) -> None:
    await login(client, "coordinator")
    r = await post_import(
        client, "shelters", b"name,lon,lat\na,1,2\n", format="csv", encoding="ebcdic"
    )
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == "query.encoding"
    gbk = "name,lon,lat\n天河,113.27,23.13\n".encode("gbk")
    r = await post_import(client, "shelters", gbk, format="csv", encoding="utf-8")
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == "query.encoding"
    r = await post_import(client, "shelters", gbk, format="csv", encoding="gbk", fid_field="name")
    assert r.status_code == 200, r.text


@pytest.mark.asyncio
async def test_errors_do_not_leak_server_paths(client: httpx.AsyncClient) -> None:
    await login(client, "coordinator")
    for fmt in ("gpkg", "fgb"):
        r = await post_import(client, "shelters", b"hello world", format=fmt)
        assert r.status_code == 422, r.text
        detail = r.json()["detail"]
        assert "/tmp" not in r.text and f"'upload.{fmt}' not recognized" in detail
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.shp", b"not a shapefile")
        zf.writestr("a.dbf", b"nope")
    r = await post_import(client, "shelters", buf.getvalue(), format="zip")
    assert r.status_code == 422 and "/tmp/" not in r.text


@pytest.fixture
async def small_app(tmp_path: Path, demo_template: Path) -> AsyncIterator[Any]:
    """An app whose GIS imports take up to 12 MiB (server bodies stay at 10 MiB)."""
    import shutil

    data = tmp_path / "data"
    shutil.copytree(demo_template, data)
    app = create_app(make_settings(data, gis={"max_import_bytes": 12 * 1024 * 1024}))
    async with LifespanManager(app):
        yield app


@pytest.mark.asyncio
async def test_one_setting_governs_the_import_body_limit(small_app: Any) -> None:
    transport = httpx.ASGITransport(app=small_app, client=("10.0.0.1", 1234))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        await login(client, "coordinator")
        # 11 MiB: above server.max_body_bytes (10 MiB), under gis.max_import_bytes.
        pad = b" " * (11 * 1024 * 1024)
        body = fc(shelter(), crs=None)[:-1] + pad + b"}"
        r = await post_import(client, "shelters", body, dry_run=True)
        assert r.status_code == 200, r.text[:300]
        big = b" " * (13 * 1024 * 1024)
        for path in ("/api/gis/layers/shelters/import", "/api/gis/kits/import"):
            r = await client.post(path, content=big)
            assert r.status_code == 413
            problem = r.json()
            assert problem["limit"] == 12 * 1024 * 1024
            assert "12 MiB" in problem["detail"] and problem["errors"][0]["type"] == "too_large"
        # Other routes keep the server limit.
        r = await client.post("/api/cameras/import", content=b" " * (11 * 1024 * 1024))
        assert r.status_code == 413 and "10 MiB" in r.json()["detail"]

"""Imports of files shaped like the ones GIS officers get (tests/data/gis, see its README)."""

from __future__ import annotations

import csv
import io
import json
from statistics import median
from typing import Any

import httpx
import pytest
import shapely
from pyproj import Geod

from tests.conftest import login
from tests.gis.importing import add_community, codes, fixture, layer, post_import
from tests.paths import GIS_FIXTURES, NANAO

GEOD = Geod(ellps="WGS84")
DATAV_MAP = {"adcode": "code", "name": "name"}


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Geodesic metres between two lon/lat points."""
    return float(GEOD.inv(a[0], a[1], b[0], b[1])[2])


def worst_vertex_error(got: dict[str, Any], truth: dict[str, Any]) -> float:
    """Largest distance (m) between matching vertices of two polygons."""
    g = shapely.get_coordinates(shapely.from_geojson(json.dumps(got)))
    t = shapely.get_coordinates(shapely.from_geojson(json.dumps(truth)))
    assert len(g) == len(t)
    return max(metres(tuple(a), tuple(b)) for a, b in zip(g, t, strict=True))


@pytest.mark.asyncio
async def test_datav_gcj02_without_crs_previewed_then_imported_as_gcj02(
    client: httpx.AsyncClient,
) -> None:
    await login(client, "coordinator")
    data = fixture("datav_guangzhou_districts_gcj02.json")
    truth = json.loads(fixture("datav_guangzhou_districts_truth_wgs84.geojson"))["features"]
    # Dry run as the file says (nothing): taken as WGS84, and the report says what to choose.
    r = await post_import(client, "communities", data, mapping=DATAV_MAP, dry_run=True)
    assert r.status_code == 200, r.text
    rep = r.json()
    assert rep["dry_run"] and not rep["crs_declared"] and rep["crs"] == "EPSG:4326"
    assert "crs_undeclared_china" in codes(rep)
    choices = {c["crs"]: c["shift_m"] for c in rep["crs_choices"]}
    # The GCJ-02 offset in Guangzhou is 500-700 m: more than an emergency shelter's radius.
    assert 500 < choices["GCJ-02"] < 700 and choices["BD-09"] > choices["GCJ-02"]
    assert rep["created"] == 4 and len(rep["preview"]["features"]) == 4
    assert {f["import_action"] for f in rep["preview"]["features"]} == {"create"}
    # The adcode is an integer in the file and code a string field: coerced, not refused.
    assert {f["id"] for f in rep["preview"]["features"]} == {"440103", "440104", "440105", "440106"}
    assert await layer(client, "communities") == {}  # a dry run writes nothing
    # The user picks GCJ-02: every vertex lands where the WGS84 truth is (6-decimal file).
    r = await post_import(client, "communities", data, mapping=DATAV_MAP, crs="gcj02")
    assert r.status_code == 200, r.text
    assert r.json()["crs"] == "GCJ-02" and r.json()["created"] == 4
    got = await layer(client, "communities")
    for t in truth:
        f = got[t["id"]]
        assert f["properties"]["name"] == t["properties"]["name"]
        assert worst_vertex_error(f["geometry"], t["geometry"]) < 0.15
        # No population in a boundary file: stored as "to fill in", not 0.
        assert f["properties"]["population"] is None


@pytest.mark.asyncio
async def test_baidu_csv_gbk_bd09(client: httpx.AsyncClient) -> None:
    await login(client, "coordinator")
    data = fixture("baidu_shelters_bd09.csv")
    truth = {
        t["id"]: (t["lon"], t["lat"])
        for t in json.loads(fixture("baidu_shelters_truth_wgs84.json"))
    }
    mapping = {"名称": "name", "容纳人数": "capacity"}
    r = await post_import(
        client, "shelters", data, format="csv", crs="BD-09", mapping=mapping, fid_field="编号"
    )
    assert r.status_code == 200, r.text
    rep = r.json()
    assert rep["crs"] == "BD-09" and rep["created"] == 6
    detected = [n for n in rep["notes"] if n["code"] == "encoding_detected"]
    assert detected and detected[0]["params"]["encoding"] == "gb18030"
    got = await layer(client, "shelters")
    for fid, where in truth.items():
        f = got[fid]
        assert metres(tuple(f["geometry"]["coordinates"]), where) < 0.15
        assert f["properties"]["capacity"] > 0 and f["properties"]["name"].endswith("应急避难场所")
    # Taken as WGS84 instead, the same file is over a kilometre off and the report says why.
    r = await post_import(client, "shelters", data, format="csv", mapping=mapping, dry_run=True)
    rep = r.json()
    assert "crs_undeclared_china" in codes(rep)
    assert "Baidu data BD-09" in next(
        n["msg"] for n in rep["notes"] if n["code"] == "crs_undeclared_china"
    )
    first = rep["preview"]["features"][0]["geometry"]["coordinates"]
    assert metres(tuple(first), truth["BD001"]) > 1000


@pytest.mark.asyncio
async def test_gbk_shapefile_without_cpg(client: httpx.AsyncClient) -> None:
    await login(client, "coordinator")
    data = fixture("gbk_communities_nocpg.zip")
    mapping = {
        "编码": "code",
        "名称": "name",
        "人口": "population",
        "户数": "households",
        "街道": "street_office",
    }
    # Read as UTF-8 on request: refused naming the parameter, nothing stored.
    r = await post_import(
        client, "communities", data, format="zip", mapping=mapping, encoding="utf-8"
    )
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["loc"] == "query.encoding"
    r = await post_import(client, "communities", data, format="zip", mapping=mapping)
    assert r.status_code == 200, r.text
    rep = r.json()
    assert rep["created"] == 8 and "4547" in rep["crs"]
    note = next(n for n in rep["notes"] if n["code"] == "encoding_detected")
    assert note["params"] == {"file": ".dbf", "encoding": "gb18030", "plausible": 1.0}
    got = await layer(client, "communities")
    assert got["440104000"]["properties"]["name"] == "东山社区居委会"
    assert got["440104000"]["properties"]["street_office"] == "东山街道"
    # Chosen explicitly, GBK reads the same.
    r = await post_import(
        client, "communities", data, format="zip", mapping=mapping, encoding="GBK"
    )
    assert r.status_code == 200 and r.json()["updated"] == 8


@pytest.mark.asyncio
async def test_real_nanao_shift_jis_shapefile(client: httpx.AsyncClient) -> None:
    await login(client, "coordinator")
    data = fixture("nanao_shelters_cp932_nocpg.zip")
    r = await post_import(
        client,
        "shelters",
        data,
        format="zip",
        mapping={"名称": "name", "収容人数": "capacity"},
        fid_field="ID",
    )
    assert r.status_code == 200, r.text
    rep = r.json()
    assert "6668" in rep["crs"]
    assert (
        next(n for n in rep["notes"] if n["code"] == "encoding_detected")["params"]["encoding"]
        == "cp932"
    )
    with (NANAO / "reference_data.csv").open(encoding="utf-8-sig") as fh:
        rows = {row["ID"]: row for row in csv.DictReader(fh)}
    got = await layer(client, "shelters")
    assert len(got) == 40
    for fid, f in got.items():
        assert f["properties"]["name"] == rows[fid]["名称"]
        lon, lat = f["geometry"]["coordinates"]
        assert metres((lon, lat), (float(rows[fid]["経度"]), float(rows[fid]["緯度"]))) < 0.01
    assert got["CC0000000505"]["properties"]["capacity"] == 1371 + 5470


@pytest.mark.asyncio
async def test_lat_lon_urn_outside_china_judged_against_the_site(
    client: httpx.AsyncClient,
) -> None:
    await login(client, "coordinator")
    data = fixture("berlin_lighthouses_latlon_urn.geojson")
    truth = {f["id"]: f["geometry"]["coordinates"][::-1] for f in json.loads(data)["features"]}
    # Every coordinate is a valid lon/lat either way round: only the site can tell.
    await add_community(client, "B-NK", 13.43, 52.47)  # a Berlin district
    r = await post_import(client, "pois", data, dry_run=True)
    assert r.status_code == 200, r.text
    rep = r.json()
    swapped = [n for n in rep["notes"] if n["code"] == "axis_swapped"]
    assert swapped and swapped[0]["params"] == {"reason": "extent"}
    r = await post_import(client, "pois", data)
    assert r.status_code == 200 and r.json()["created"] == 8
    got = await layer(client, "pois")
    # Ids are the WFS feature ids; positions are lon/lat in Berlin.
    assert set(got) == set(truth)
    for fid, (lon, lat) in truth.items():
        assert got[fid]["geometry"]["coordinates"] == [lon, lat]


@pytest.mark.asyncio
async def test_file_from_elsewhere_refused_naming_where_it_lands(
    client: httpx.AsyncClient,
) -> None:
    await login(client, "coordinator")
    await add_community(client, "GZ1", 113.26, 23.12)
    data = fixture("berlin_lighthouses_latlon_urn.geojson")
    pts = [f["geometry"]["coordinates"] for f in json.loads(data)["features"]]
    # Read as written (lon first), the town halls land in the Arabian Sea.
    where = f"{median(p[0] for p in pts):.4f}E {median(p[1] for p in pts):.4f}N"
    r = await post_import(client, "pois", data)
    assert r.status_code == 422, r.text
    err = r.json()["errors"][0]
    assert err["type"] == "outside_site" and err["loc"] == "body.crs.properties.name"
    assert err["params"]["where"] == where
    assert err["params"]["km"] > 5000 and err["params"]["site_source"] == "communities"
    assert f"would land at {where}" in r.json()["detail"]
    assert await layer(client, "pois") == {}
    # The user says it belongs there anyway: imported, and the report says so.
    r = await post_import(client, "pois", data, allow_outside_site=True)
    assert r.status_code == 200, r.text
    assert "outside_site_accepted" in codes(r.json())


def test_fixture_readme_lists_every_file() -> None:
    readme = (GIS_FIXTURES / "README.md").read_text("utf-8")
    for f in GIS_FIXTURES.iterdir():
        if f.suffix in (".json", ".geojson", ".csv", ".zip"):
            assert f"`{f.name}`" in readme, f.name
    text = io.BytesIO(fixture("baidu_shelters_bd09.csv")).read()
    with pytest.raises(UnicodeDecodeError):
        text.decode("utf-8")  # really GBK, as Excel writes it

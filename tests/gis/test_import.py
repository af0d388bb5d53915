"""Import pipeline: real Nanao shelters and bad inputs."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from gis.attributes import AttributeMap
from gis.importer import ImportRefused, Options, build
from gis.layers import Shelter, parse_capacity_text
from gis.readers import ReadError, read_csv, read_geojson, read_ogr
from tests.paths import NANAO

NANAO_MAP = {"名称": "name", "人数": "occupancy"}


def nanao() -> Options:
    """The Nanao open-shelter files: Japanese columns mapped, ids from the ID column."""
    return Options(attributes=AttributeMap(NANAO_MAP), fid_field="ID")


def _fc(*geoms: dict[str, Any], props: dict[str, Any] | None = None) -> bytes:
    p = props or {"name": "x", "code": "c1", "population": 10, "households": 4}
    feats = [
        {
            "type": "Feature",
            "properties": dict(p, code=f"c{i}") if "code" in p else p,
            "geometry": g,
        }
        for i, g in enumerate(geoms)
    ]
    return json.dumps({"type": "FeatureCollection", "features": feats}).encode()


SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[113.26, 23.12], [113.27, 23.12], [113.27, 23.13], [113.26, 23.13], [113.26, 23.12]]
    ],
}


def test_capacity_text_and_derived_capacity() -> None:
    assert parse_capacity_text("屋内1,371人／屋外5,470人（面積の1/2）") == (1371, 5470)
    assert parse_capacity_text("屋内191人／屋外0人(面積の1/2)") == (191, 0)
    assert Shelter(name="a", effective_area_m2=3000).capacity == 3000  # 1 m²/person
    assert Shelter(name="a", kind="fixed_short", effective_area_m2=3000).capacity == 1500
    assert Shelter(name="a", effective_area_m2=3000, capacity=50).capacity == 50


def test_nanao_geojson_epsg6675_reprojected() -> None:
    src = read_geojson((NANAO / "open_shelter_Nanao-shi.geojson").read_bytes())
    res = build(src, "shelters", nanao())
    assert "6675" in res.crs and "legacy crs" in res.crs_reason
    assert res.features
    for f in res.features:
        assert 136.8 < f.geom.x < 137.1 and 36.9 < f.geom.y < 37.2  # Nanao, Ishikawa
    first = res.features[0]
    assert first.fid and first.fid.startswith("CC") and first.props["occupancy"] >= 0


def test_nanao_flatgeobuf_matches_geojson() -> None:
    fgb = build(
        read_ogr((NANAO / "open_shelter_Nanao-shi.fgb").read_bytes(), ".fgb"), "shelters", nanao()
    )
    gj = build(
        read_geojson((NANAO / "open_shelter_Nanao-shi.geojson").read_bytes()), "shelters", nanao()
    )
    assert len(fgb.features) == len(gj.features)
    a, b = fgb.features[0].geom, gj.features[0].geom
    assert abs(a.x - b.x) < 1e-6 and abs(a.y - b.y) < 1e-6


def test_nanao_reference_csv_capacity_text() -> None:
    src = read_csv((NANAO / "reference_data.csv").read_bytes())
    res = build(
        src,
        "shelters",
        Options(
            attributes=AttributeMap({"名称": "name", "想定収容人数": "capacity"}), fid_field="ID"
        ),
    )
    rows = len(
        list(csv.DictReader(io.StringIO((NANAO / "reference_data.csv").read_text("utf-8-sig"))))
    )
    assert len(res.features) == rows == 112  # the README's 113 counts the header line
    by = {f.fid: f.props for f in res.features}
    assert by["CC0000000505"]["indoor_capacity"] == 1371
    assert by["CC0000000505"]["outdoor_capacity"] == 5470
    assert by["CC0000000505"]["capacity"] == 1371 + 5470
    assert "assumed WGS84" in res.crs_reason


def test_self_intersecting_repaired_and_reported() -> None:
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [[113.26, 23.12], [113.27, 23.13], [113.27, 23.12], [113.26, 23.13], [113.26, 23.12]]
        ],
    }
    res = build(read_geojson(_fc(SQUARE, bowtie)), "communities")
    assert len(res.features) == 2
    assert res.repairs == [{"index": 1, "repair": res.repairs[0]["repair"]}]
    assert "Self-intersection" in res.repairs[0]["repair"]
    assert res.features[1].geom.is_valid


def test_unclosed_ring_closed_and_reported() -> None:
    ring = [[113.26, 23.12], [113.27, 23.12], [113.27, 23.13], [113.26, 23.13]]
    res = build(read_geojson(_fc({"type": "Polygon", "coordinates": [ring]})), "communities")
    assert res.repairs[0]["repair"] == "closed an unclosed ring"


def test_empty_geometry_all_or_nothing_and_partial() -> None:
    data = _fc(SQUARE, {"type": "Polygon", "coordinates": []})
    with pytest.raises(ImportRefused) as err:
        build(read_geojson(data), "communities")
    assert err.value.errors[0]["loc"] == "features.1.geometry"
    assert err.value.errors[0]["type"] == "geometry_empty"
    res = build(read_geojson(data), "communities", Options(partial=True))
    assert len(res.features) == 1 and res.skipped[0]["index"] == 1


def test_lat_lon_above_90_read_swapped_with_a_note() -> None:
    pt = {"type": "Point", "coordinates": [23.13, 113.27]}
    res = build(read_geojson(_fc(pt, props={"name": "s"})), "shelters")
    assert (res.features[0].geom.x, res.features[0].geom.y) == (113.27, 23.13)
    swapped = [n for n in res.notes if n.code == "axis_swapped"]
    assert swapped and swapped[0].params == {"reason": "range"}


def test_projected_metres_in_lonlat_file_refused() -> None:
    pt = {"type": "Point", "coordinates": [425000.0, 2559000.0]}
    with pytest.raises(ImportRefused, match="projected metres"):
        build(read_geojson(_fc(pt, props={"name": "s"})), "shelters")
    res = build(read_geojson(_fc(pt, props={"name": "s"})), "shelters", Options(crs="EPSG:4547"))
    g = res.features[0].geom
    assert 113.2 < g.x < 113.3 and 23.0 < g.y < 23.2 and res.crs_reason == "given in the request"


def test_mixed_geometry_types_refused() -> None:
    line = {"type": "LineString", "coordinates": [[113.26, 23.12], [113.27, 23.13]]}
    with pytest.raises(ImportRefused) as err:
        build(read_geojson(_fc(SQUARE, line)), "communities")
    assert err.value.errors[0]["type"] == "geometry_type"


def test_bad_attributes_report_field_path() -> None:
    with pytest.raises(ImportRefused) as err:
        build(
            read_geojson(
                _fc(SQUARE, props={"name": "x", "code": "c", "population": -1, "households": 1})
            ),
            "communities",
        )
    assert err.value.errors[0]["loc"] == "features.0.properties.population"


def test_zip_traversal_and_bomb_refused() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("../evil.shp", b"x")
    with pytest.raises(ReadError) as err:
        read_ogr(buf.getvalue(), ".zip")
    assert err.value.code == "zip_traversal"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.shp", b"\0" * (20 * 1024 * 1024))
    with pytest.raises(ReadError) as err:
        read_ogr(buf.getvalue(), ".zip")
    assert err.value.code == "zip_bomb"


def test_gbk_cpg_honoured(tmp_path: Path) -> None:
    import numpy as np
    import pyogrio.raw
    import shapely

    shp = tmp_path / "s.shp"
    wkb = np.array([shapely.to_wkb(shapely.Point(113.27, 23.13))], dtype=object)
    name = np.array(["天河避难所"], dtype=object)
    pyogrio.raw.write(
        shp,
        wkb,
        [name],
        ["name"],
        driver="ESRI Shapefile",
        geometry_type="Point",
        crs="EPSG:4326",
        encoding="GBK",
    )
    (tmp_path / "s.cpg").write_text("GBK")
    raw = shp.with_suffix(".dbf").read_bytes()
    assert "天河避难所".encode("gbk") in raw
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for f in tmp_path.iterdir():
            zf.write(f, f.name)
    src = read_ogr(buf.getvalue(), ".zip")
    assert [(n.code, n.params["encoding"]) for n in src.notes] == [("encoding_cpg", "GBK")]
    res = build(src, "shelters")
    assert res.features[0].props["name"] == "天河避难所"

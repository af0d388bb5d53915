"""Make the real-world-shaped GIS import fixtures in this folder (see README.md).

Run from the repository root: `python tests/data/gis/make_fixtures.py`. The GCJ-02 and BD-09
coordinates come from prcoords 1.0.2 (public domain, `pip install prcoords==1.0.2`), an
implementation independent of gis/crs.py, so the tests check our inverse against someone
else's forward transform. The files are committed; tests never run this script.
"""

from __future__ import annotations

import csv
import io
import json
import random
import shutil
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pyogrio.raw
import shapely
from prcoords import Coords, wgs_bd, wgs_gcj

HERE = Path(__file__).resolve().parent
NANAO = HERE.parents[2] / "gis" / "data" / "noto-nanao-shelters"

# Guangzhou districts (real names and adcodes; shapes are made up around their centres).
DISTRICTS = [
    (440103, "荔湾区", 113.244, 23.126),
    (440104, "越秀区", 113.267, 23.129),
    (440105, "海珠区", 113.317, 23.084),
    (440106, "天河区", 113.361, 23.125),
]
BOX = (113.20, 23.04, 113.42, 23.20)


def _districts_wgs84() -> list[shapely.Geometry]:
    """Contiguous, irregular district polygons: Voronoi cells of the centres, wiggled edges."""
    rng = random.Random(440100)
    pts = shapely.MultiPoint([(x, y) for _c, _n, x, y in DISTRICTS])
    cells = shapely.voronoi_polygons(pts, extend_to=shapely.box(*BOX))
    out = []
    for _c, _n, x, y in DISTRICTS:
        cell = next(c for c in shapely.get_parts(cells) if c.contains(shapely.Point(x, y)))
        cell = shapely.segmentize(cell.intersection(shapely.box(*BOX)), 0.004)
        ring = [
            (px + rng.uniform(-4e-4, 4e-4), py + rng.uniform(-4e-4, 4e-4))
            for px, py in list(cell.exterior.coords)[:-1]
        ]
        out.append(shapely.make_valid(shapely.Polygon(ring)))
    return out


def _gcj(lon: float, lat: float) -> tuple[float, float]:
    c = wgs_gcj(Coords(lat, lon))
    return round(c.lon, 6), round(c.lat, 6)


def datav() -> None:
    """DataV.GeoAtlas-style district file: GCJ-02, no crs member, integer adcode, extras."""
    truth = _districts_wgs84()
    feats, truth_feats = [], []
    for i, ((code, name, x, y), poly) in enumerate(zip(DISTRICTS, truth, strict=True)):
        ring = [list(_gcj(px, py)) for px, py in poly.exterior.coords]
        c = poly.centroid
        feats.append(
            {
                "type": "Feature",
                "properties": {
                    "adcode": code,
                    "name": name,
                    "center": list(_gcj(x, y)),
                    "centroid": list(_gcj(c.x, c.y)),
                    "childrenNum": 0,
                    "level": "district",
                    "parent": {"adcode": 440100},
                    "subFeatureIndex": i,
                    "acroutes": [100000, 440000, 440100],
                },
                "geometry": {"type": "MultiPolygon", "coordinates": [[ring]]},
            }
        )
        truth_feats.append(
            {
                "type": "Feature",
                "id": str(code),
                "properties": {"adcode": code, "name": name},
                "geometry": json.loads(shapely.to_geojson(poly)),
            }
        )
    doc = {"type": "FeatureCollection", "features": feats}
    (HERE / "datav_guangzhou_districts_gcj02.json").write_text(
        json.dumps(doc, ensure_ascii=False, separators=(",", ":")), "utf-8"
    )
    (HERE / "datav_guangzhou_districts_truth_wgs84.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": truth_feats}, ensure_ascii=False),
        "utf-8",
    )


SHELTERS = [
    ("BD001", "越秀公园应急避难场所", "越秀区解放北路988号", 113.2663, 23.1402, 12000),
    ("BD002", "流花湖公园应急避难场所", "越秀区东风西路100号", 113.2553, 23.1386, 8000),
    ("BD003", "海珠湖公园应急避难场所", "海珠区广州大道南", 113.3274, 23.0857, 15000),
    ("BD004", "天河公园应急避难场所", "天河区员村二横路", 113.3713, 23.1277, 9500),
    ("BD005", "荔湾湖公园应急避难场所", "荔湾区龙津西路", 113.2381, 23.1275, 6000),
    ("BD006", "东山湖公园应急避难场所", "越秀区东湖路123号", 113.2937, 23.1194, 5000),
]


def baidu_csv() -> None:
    """A shelter list as exported from Baidu Maps POI search and saved by Excel: GBK, BD-09."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["编号", "名称", "地址", "经度", "纬度", "容纳人数", "类型"])
    truth = []
    for sid, name, addr, x, y, cap in SHELTERS:
        b = wgs_bd(Coords(y, x))
        w.writerow([sid, name, addr, f"{b.lon:.6f}", f"{b.lat:.6f}", cap, "应急避难场所"])
        truth.append({"id": sid, "lon": x, "lat": y})
    (HERE / "baidu_shelters_bd09.csv").write_bytes(buf.getvalue().encode("gbk"))
    (HERE / "baidu_shelters_truth_wgs84.json").write_text(json.dumps(truth, indent=1), "utf-8")


def _zip_shapefile(tmp: Path, stem: str, out: Path) -> None:
    (tmp / f"{stem}.cpg").unlink(missing_ok=True)
    dbf = tmp / f"{stem}.dbf"
    raw = bytearray(dbf.read_bytes())
    raw[29] = 0  # no language driver: what older Chinese and Japanese tools write
    dbf.write_bytes(bytes(raw))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(tmp.iterdir()):
            zf.write(f, f.name)


def gbk_shapefile() -> None:
    """Communities from a surveying department: GBK .dbf without .cpg, CGCS2000 GK CM 114E."""
    truth = _districts_wgs84()
    parts = []
    rng = random.Random(7)
    names = ["东山", "农林", "梅花村", "黄花岗", "大塘", "白云", "建设", "华乐"]
    for i, name in enumerate(names):
        d = truth[i % len(truth)]
        c = d.representative_point()
        sq = shapely.box(c.x - 0.004, c.y - 0.003, c.x + 0.004, c.y + 0.003)
        parts.append((f"4401040{i:02d}", f"{name}社区居委会", sq, rng.randint(3000, 12000)))
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)

        def fn(xy: np.ndarray) -> np.ndarray:  # type: ignore[type-arg]
            from gis.crs import from_wgs84

            x, y = from_wgs84("EPSG:4547", xy[:, 0], xy[:, 1])
            return np.column_stack([x, y])

        geoms = [shapely.transform(p[2], fn) for p in parts]
        pyogrio.raw.write(
            tmp / "shequ.shp",
            np.array([shapely.to_wkb(g) for g in geoms], dtype=object),
            [
                np.array([p[0] for p in parts], dtype=object),
                np.array([p[1] for p in parts], dtype=object),
                np.array([p[3] for p in parts], dtype=np.int64),
                np.array([p[3] // 3 for p in parts], dtype=np.int64),
                np.array(["东山街道"] * len(parts), dtype=object),
            ],
            ["编码", "名称", "人口", "户数", "街道"],
            driver="ESRI Shapefile",
            geometry_type="Polygon",
            crs="EPSG:4547",
            encoding="GBK",
        )
        _zip_shapefile(tmp, "shequ", HERE / "gbk_communities_nocpg.zip")


def cp932_shapefile() -> None:
    """Real Nanao shelters as a Japanese municipality ships them: Shift_JIS .dbf, no .cpg."""
    with (NANAO / "reference_data.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))[:40]
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        pts = [shapely.Point(float(r["経度"]), float(r["緯度"])) for r in rows]
        pyogrio.raw.write(
            tmp / "hinanjo.shp",
            np.array([shapely.to_wkb(p) for p in pts], dtype=object),
            [
                np.array([r["ID"] for r in rows], dtype=object),
                np.array([r["名称"] for r in rows], dtype=object),
                np.array([r["想定収容人数"] for r in rows], dtype=object),
            ],
            ["ID", "名称", "収容人数"],
            driver="ESRI Shapefile",
            geometry_type="Point",
            crs="EPSG:6668",
            encoding="CP932",
        )
        _zip_shapefile(tmp, "hinanjo", HERE / "nanao_shelters_cp932_nocpg.zip")


BERLIN = [
    ("Rathaus Neukölln", 13.4349, 52.4815),
    ("Rathaus Schöneberg", 13.3444, 52.4849),
    ("Rathaus Spandau", 13.2008, 52.5355),
    ("Rathaus Pankow", 13.4037, 52.5697),
    ("Rathaus Lichtenberg", 13.4967, 52.5156),
    ("Rathaus Steglitz", 13.3207, 52.4567),
    ("Rathaus Köpenick", 13.5746, 52.4452),
    ("Rathaus Reinickendorf", 13.3270, 52.5896),
]


def berlin_urn() -> None:
    """WFS-style GeoJSON with an EPSG::4326 URN, coordinates lat/lon (the authority order)."""
    feats = [
        {
            "type": "Feature",
            "id": f"kat_leuchttuerme.{i + 1}",
            "geometry": {"type": "Point", "coordinates": [lat, lon]},
            "geometry_name": "geom",
            "properties": {"name": name, "typ": "Katastrophenschutz-Leuchtturm"},
        }
        for i, (name, lon, lat) in enumerate(BERLIN)
    ]
    doc = {
        "type": "FeatureCollection",
        "features": feats,
        "totalFeatures": len(feats),
        "numberMatched": len(feats),
        "numberReturned": len(feats),
        "timeStamp": "2026-11-30T08:00:00.000Z",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4326"}},
    }
    (HERE / "berlin_lighthouses_latlon_urn.geojson").write_text(
        json.dumps(doc, ensure_ascii=False, indent=1), "utf-8"
    )


if __name__ == "__main__":
    datav()
    baidu_csv()
    gbk_shapefile()
    cp932_shapefile()
    berlin_urn()
    shutil.rmtree(HERE / "__pycache__", ignore_errors=True)
    print("fixtures written to", HERE)

"""Read GeoJSON, CSV and OGR files (FlatGeobuf, GeoPackage, zipped Shapefile) into records."""

from __future__ import annotations

import csv
import io
import json
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from gis.geometry import GeometryError, from_geojson

MAX_UNZIPPED = 200 * 1024 * 1024
MAX_RATIO = 100
MAX_ENTRIES = 1000
CHUNK = 1 << 20


class ReadError(ValueError):
    """A file that cannot be read, with a machine-readable code."""

    def __init__(self, code: str, msg: str) -> None:
        super().__init__(msg)
        self.code = code


@dataclass
class Source:
    """Records read from a file: (geometry or error, properties), and the declared CRS."""

    records: list[tuple[BaseGeometry | GeometryError, dict[str, Any], bool]]
    crs: str | None
    crs_reason: str
    notes: list[str] = field(default_factory=list)


def read_geojson(data: bytes) -> Source:
    """RFC 7946 GeoJSON (WGS84) or legacy GeoJSON with a `crs` member."""
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReadError("bad_json", f"not valid GeoJSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise ReadError("bad_geojson", "expected a FeatureCollection")
    feats = doc.get("features")
    if doc.get("type") == "Feature":
        feats = [doc]
    if not isinstance(feats, list) or not all(isinstance(f, dict) for f in feats):
        raise ReadError("bad_geojson", "expected a FeatureCollection of Feature objects")
    crs, reason = None, "no crs member: RFC 7946 says WGS84 lon/lat"
    legacy = doc.get("crs")
    if isinstance(legacy, dict):
        name = (legacy.get("properties") or {}).get("name")
        if isinstance(name, str):
            crs, reason = name, f"legacy crs member {name}"
    records: list[tuple[BaseGeometry | GeometryError, dict[str, Any], bool]] = []
    for f in feats:
        raw_props = f.get("properties")
        props = dict(raw_props) if isinstance(raw_props, dict) else {}
        if f.get("id") is not None and "id" not in props:
            props["id"] = f["id"]
        try:
            geom, closed = from_geojson((f or {}).get("geometry"))
            records.append((geom, props, closed))
        except GeometryError as exc:
            records.append((exc, props, False))
    return Source(records, crs, reason)


_LON = ("lon", "lng", "longitude", "x", "経度", "经度")
_LAT = ("lat", "latitude", "y", "緯度", "纬度")
_WKT = ("wkt", "geometry", "geom")


def read_csv(data: bytes, encoding: str = "utf-8-sig") -> Source:
    """CSV with lon/lat columns (several spellings) or a WKT column."""
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ReadError("bad_encoding", f"CSV is not {encoding}: {exc}") from exc
    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows:
        raise ReadError("empty", "CSV has no rows")
    cols = {c.strip().lower(): c for c in rows[0] if c}
    lon = next((cols[c] for c in _LON if c in cols), None)
    lat = next((cols[c] for c in _LAT if c in cols), None)
    wkt = next((cols[c] for c in _WKT if c in cols), None)
    if wkt is None and (lon is None or lat is None):
        raise ReadError("no_geometry", "CSV needs lon/lat columns or a WKT column")
    records: list[tuple[BaseGeometry | GeometryError, dict[str, Any], bool]] = []
    for row in rows:
        props = {k: v for k, v in row.items() if k and k not in (lon, lat, wkt)}
        try:
            if wkt is not None:
                geom: BaseGeometry = shapely.from_wkt(row[wkt])
            else:
                geom = shapely.Point(float(row[lon or ""]), float(row[lat or ""]))
            records.append((geom, props, False))
        except (ValueError, TypeError, shapely.errors.GEOSException) as exc:
            records.append((GeometryError("geometry_invalid", str(exc)), props, False))
    reason = "CSV has no CRS: assumed WGS84 lon/lat"
    return Source(records, None, reason)


def safe_extract(data: bytes, dest: Path) -> list[Path]:
    """Extract a zip, refusing path traversal, links and zip bombs.

    Sizes in the zip's headers are the sender's word: members are inflated in chunks and the
    limits hold on the bytes actually produced, whatever the headers declare.
    """
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise ReadError("bad_zip", "not a zip file") from exc
    infos = zf.infolist()
    if len(infos) > MAX_ENTRIES:
        raise ReadError("zip_bomb", f"zip holds {len(infos)} entries (limit {MAX_ENTRIES})")
    for info in infos:
        p = PurePosixPath(info.filename.replace("\\", "/"))
        if p.is_absolute() or ".." in p.parts or (info.external_attr >> 16) & 0o170000 == 0o120000:
            raise ReadError("zip_traversal", f"unsafe path in zip: {info.filename}")
    bomb = ReadError("zip_bomb", "zip expands too much (possible zip bomb)")
    total = 0
    out = []
    for info in infos:
        if info.is_dir():
            continue
        target = dest / PurePosixPath(info.filename.replace("\\", "/")).name
        written = 0
        allowed = MAX_RATIO * max(info.compress_size, 1024)
        try:
            with zf.open(info) as src, target.open("wb") as sink:
                while chunk := src.read(CHUNK):
                    written += len(chunk)
                    total += len(chunk)
                    if total > MAX_UNZIPPED or written > allowed:
                        raise bomb
                    sink.write(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
            # A CRC or length mismatch (lying headers), or an unsupported method.
            raise ReadError("bad_zip", f"damaged zip member {info.filename}: {exc}") from exc
        out.append(target)
    return out


def read_ogr(data: bytes, suffix: str) -> Source:
    """FlatGeobuf, GeoPackage or zipped Shapefile through pyogrio (honours .cpg encodings)."""
    import pyogrio

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        notes: list[str] = []
        if suffix == ".zip":
            files = safe_extract(data, root)
            shp = [f for f in files if f.suffix.lower() == ".shp"]
            if not shp:
                raise ReadError("no_shapefile", "zip holds no .shp file")
            path = shp[0]
            cpg = path.with_suffix(".cpg")
            kw: dict[str, Any] = {}
            if cpg.exists():
                enc = cpg.read_text(errors="replace").strip() or "UTF-8"
                kw["encoding"] = enc
                notes.append(f"attribute encoding {enc} from .cpg")
        else:
            path = root / f"upload{suffix}"
            path.write_bytes(data)
            kw = {}
        try:
            meta, _fids, geoms, field_data = pyogrio.raw.read(path, **kw)
        except Exception as exc:  # pyogrio raises several DataSourceError subclasses
            raise ReadError("bad_file", f"cannot read {suffix} file: {exc}") from exc
    names = list(meta["fields"])
    records: list[tuple[BaseGeometry | GeometryError, dict[str, Any], bool]] = []
    for i, wkb in enumerate(geoms):
        props = {n: _plain(field_data[j][i]) for j, n in enumerate(names)}
        if wkb is None:
            records.append((GeometryError("geometry_missing", "no geometry"), props, False))
        else:
            records.append((shapely.from_wkb(wkb), props, False))
    crs = meta.get("crs")
    reason = (
        f"declared in the {suffix} file: {crs}" if crs else "file declares no CRS: assumed WGS84"
    )
    return Source(records, crs, reason, notes)


def _plain(v: Any) -> Any:
    """numpy scalars to plain Python values."""
    return v.item() if hasattr(v, "item") else v

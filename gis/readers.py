"""Read GeoJSON, CSV and OGR files (FlatGeobuf, GeoPackage, zipped Shapefile) into records.

Readers keep what a file says (its CRS, its feature ids, its encoding) and leave judging it to
`gis.importer`. Attribute text of files that do not declare an encoding (a .dbf without .cpg,
a CSV) is decoded with the encoding the caller names, or one detected and reported.
"""

from __future__ import annotations

import csv
import io
import json
import re
import struct
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from gis import encoding as enc
from gis.geometry import GeometryError, from_geojson
from gis.notices import Notice

MAX_UNZIPPED = 200 * 1024 * 1024
MAX_RATIO = 100
AUTO = "auto"

Record = tuple[BaseGeometry | GeometryError, dict[str, Any], bool]
MAX_ENTRIES = 1000
CHUNK = 1 << 20


class ReadError(ValueError):
    """A file that cannot be read, with a machine-readable code and its parameters."""

    def __init__(self, code: str, msg: str, params: dict[str, Any] | None = None) -> None:
        super().__init__(msg)
        self.code = code
        self.params = params or {}


@dataclass
class Source:
    """Records read from a file: (geometry or error, properties), ids and the declared CRS.

    `ids` holds each record's own identifier (a GeoJSON Feature.id) or None; `crs` is the CRS
    as the file wrote it (resolved by the importer), `crs_field` where it was written.
    """

    records: list[Record]
    crs: str | None
    crs_reason: str
    notes: list[Notice] = field(default_factory=list)
    ids: list[str | None] = field(default_factory=list)
    crs_field: str = "body.crs"

    def __post_init__(self) -> None:
        if not self.ids:
            self.ids = [None] * len(self.records)


def read_geojson(data: bytes) -> Source:
    """RFC 7946 GeoJSON (WGS84) or legacy GeoJSON with a `crs` member."""
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReadError("bad_json", f"not valid GeoJSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise ReadError("bad_geojson", "expected a FeatureCollection")
    feats = [doc] if doc.get("type") == "Feature" else doc.get("features")
    if not isinstance(feats, list) or not all(isinstance(f, dict) for f in feats):
        raise ReadError("bad_geojson", "expected a FeatureCollection of Feature objects")
    if not feats:
        raise ReadError("empty", "the FeatureCollection has no features")
    crs, reason = None, "no crs member: RFC 7946 says WGS84 lon/lat"
    legacy = doc.get("crs")
    if isinstance(legacy, dict):
        name = (legacy.get("properties") or {}).get("name")
        if isinstance(name, str):
            crs, reason = name, f"legacy crs member {name}"
    records: list[Record] = []
    ids: list[str | None] = []
    for f in feats:
        f = f if isinstance(f, dict) else {}
        props = f.get("properties")
        props = dict(props) if isinstance(props, dict) else {}
        fid = f.get("id")
        ids.append(str(fid) if isinstance(fid, (str, int)) and str(fid).strip() else None)
        try:
            geom, closed = from_geojson(f.get("geometry"))
            records.append((geom, props, closed))
        except GeometryError as exc:
            records.append((exc, props, False))
    return Source(records, crs, reason, ids=ids, crs_field="body.crs.properties.name")


_LON = ("lon", "lng", "longitude", "x", "経度", "经度")
_LAT = ("lat", "latitude", "y", "緯度", "纬度")
_WKT = ("wkt", "geometry", "geom")


def decode_text(data: bytes, encoding: str, what: str) -> tuple[str, list[Notice]]:
    """Text of a file in the named encoding, or the detected one ("auto") with a note."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), []
    if encoding != AUTO:
        name = _codec(encoding)
        try:
            return data.decode(name), []
        except UnicodeDecodeError as exc:
            raise ReadError(
                "bad_encoding",
                f"{what} is not {encoding}: byte {exc.start} cannot be read",
                {"encoding": encoding, "offset": exc.start},
            ) from exc
    lines = data.splitlines()[:5000]
    found = enc.detect(lines)
    if found is None:
        raise ReadError(
            "bad_encoding", f"cannot tell the encoding of the {what}: name it", {"encoding": "auto"}
        )
    notes = []
    if not data.isascii():
        notes.append(_detected_note(what, found))
    return data.decode(found.codec, errors="replace"), notes


def _detected_note(what: str, found: enc.Detected) -> Notice:
    return Notice(
        "encoding_detected",
        f"the {what} declares no encoding: read as {found.codec} (detected)",
        {"file": what, "encoding": found.codec, "plausible": round(found.plausible, 2)},
    )


def _codec(name: str) -> str:
    try:
        return enc.codec(name)
    except ValueError as exc:
        raise ReadError("bad_encoding", str(exc), {"encoding": name}) from exc


def read_csv(data: bytes, encoding: str = AUTO) -> Source:
    """CSV with lon/lat columns (several spellings) or a WKT column."""
    text, notes = decode_text(data, encoding, "CSV")
    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows:
        raise ReadError("empty", "CSV has no rows")
    cols = {c.strip().lower(): c for c in rows[0] if c}
    lon = next((cols[c] for c in _LON if c in cols), None)
    lat = next((cols[c] for c in _LAT if c in cols), None)
    wkt = next((cols[c] for c in _WKT if c in cols), None)
    if wkt is None and (lon is None or lat is None):
        raise ReadError("no_geometry", "CSV needs lon/lat columns or a WKT column")
    crs_col = cols.get("crs")
    named = {str(r.get(crs_col) or "").strip() for r in rows} if crs_col else set()
    records: list[Record] = []
    for row in rows:
        props = {k: v for k, v in row.items() if k and k not in (lon, lat, wkt, crs_col)}
        try:
            if wkt is not None:
                geom: BaseGeometry = shapely.from_wkt(row[wkt])
            else:
                geom = shapely.Point(float(row[lon or ""]), float(row[lat or ""]))
            records.append((geom, props, False))
        except (ValueError, TypeError, shapely.errors.GEOSException) as exc:
            records.append((GeometryError("geometry_invalid", str(exc)), props, False))
    if len(named) == 1 and "" not in named:
        crs = named.pop()
        return Source(records, crs, f"crs column {crs}", notes, crs_field="body.crs")
    reason = "CSV has no CRS: assumed WGS84 lon/lat"
    return Source(records, None, reason, notes)


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


# dBASE language driver ids of CJK code pages (a .dbf header byte GDAL also honours).
_LDID = {0x4D: "gbk", 0x7A: "gbk", 0x13: "cp932", 0x7B: "cp932", 0x4F: "big5", 0x78: "big5"}


def _dbf_samples(dbf: Path, limit: int = 2000) -> tuple[int, list[bytes]]:
    """The language driver id and the raw non-ASCII field names and text values of a .dbf."""
    raw = dbf.read_bytes()
    if len(raw) < 32:
        return 0, []
    nrec, hlen, rlen = struct.unpack("<IHH", raw[4:12])
    fields: list[tuple[bytes, bytes, int]] = []
    pos = 32
    while pos + 32 <= min(hlen, len(raw)) and raw[pos] != 0x0D:
        d = raw[pos : pos + 32]
        fields.append((d[:11].split(b"\0")[0], d[11:12], d[16]))
        pos += 32
    out = [name for name, _t, _n in fields if not name.isascii()]
    for r in range(min(nrec, limit)):
        start = hlen + r * rlen + 1
        for _name, kind, size in fields:
            value = raw[start : start + size].strip(b" \0")
            start += size
            if kind == b"C" and value and not value.isascii():
                out.append(value)
    return raw[29], out


def _sidecar(shp: Path, suffix: str) -> Path | None:
    """The file beside a .shp with the same stem and this suffix, in any letter case."""
    want = shp.stem.lower() + suffix
    return next((p for p in shp.parent.iterdir() if p.name.lower() == want), None)


def _shapefile_encoding(path: Path, encoding: str) -> tuple[dict[str, Any], list[Notice]]:
    """pyogrio keywords for the .dbf encoding: the caller's, the .cpg, the header, or detected."""
    dbf = _sidecar(path, ".dbf")
    if encoding != AUTO:
        codec = _codec(encoding)
        for sample in _dbf_samples(dbf)[1] if dbf is not None else []:
            try:
                sample.decode(codec)
            except UnicodeDecodeError as exc:
                raise ReadError(
                    "bad_encoding",
                    f"the .dbf is not {encoding}: {sample[:24]!r} cannot be read (try auto)",
                    {"encoding": encoding, "offset": exc.start},
                ) from exc
        note = Notice("encoding_given", f"attributes read as {codec} (chosen)", {"encoding": codec})
        return {"encoding": codec}, [note]
    cpg = _sidecar(path, ".cpg")
    if cpg is not None:
        name = cpg.read_text(errors="replace").strip() or "UTF-8"
        note = Notice("encoding_cpg", f"attribute encoding {name} from .cpg", {"encoding": name})
        return {}, [note]
    if dbf is None:
        return {}, []
    ldid, samples = _dbf_samples(dbf)
    if ldid in _LDID:
        codec = _LDID[ldid]
        msg = f"attribute encoding {codec} from the .dbf language driver"
        return {"encoding": codec}, [Notice("encoding_ldid", msg, {"encoding": codec})]
    if not samples:
        return {}, []
    found = enc.detect(samples)
    if found is None:
        raise ReadError(
            "bad_encoding", "cannot tell the .dbf encoding: choose one", {"encoding": "auto"}
        )
    return {"encoding": found.codec}, [_detected_note(".dbf", found)]


_PATH = re.compile(r"(?:[A-Za-z]:)?(?:[\\/][^\\/\s:'\"]+)+[\\/]?")


def scrub(msg: str, root: Path) -> str:
    """An error message without server paths (the temp folder, any absolute path)."""
    msg = msg.split("; It might help")[0]  # GDAL's hint about driver prefixes, not for users
    msg = msg.replace(str(root) + "/", "").replace(str(root), "")
    return _PATH.sub(lambda m: PurePosixPath(m.group(0).replace("\\", "/")).name, msg)


def read_ogr(data: bytes, suffix: str, encoding: str = AUTO) -> Source:
    """FlatGeobuf, GeoPackage or zipped Shapefile through pyogrio."""
    import pyogrio

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        notes: list[Notice] = []
        kw: dict[str, Any] = {}
        if suffix == ".zip":
            files = safe_extract(data, root)
            shp = [f for f in files if f.suffix.lower() == ".shp"]
            if not shp:
                raise ReadError("no_shapefile", "zip holds no .shp file")
            path = shp[0]
            kw, notes = _shapefile_encoding(path, encoding)
        else:
            path = root / f"upload{suffix}"
            path.write_bytes(data)
        try:
            meta, _fids, geoms, field_data = pyogrio.raw.read(path, **kw)
        except Exception as exc:  # pyogrio raises several DataSourceError subclasses
            raise ReadError(
                "bad_file", f"cannot read the {suffix} file: {scrub(str(exc), root)}"
            ) from exc
    names = list(meta["fields"])
    records: list[Record] = []
    for i, wkb in enumerate(geoms):
        props = {n: _plain(field_data[j][i]) for j, n in enumerate(names)}
        if wkb is None:
            records.append((GeometryError("geometry_missing", "no geometry"), props, False))
        else:
            records.append((shapely.from_wkb(wkb), props, False))
    if not records:
        raise ReadError("empty", f"the {suffix} file has no features")
    crs = meta.get("crs")
    reason = (
        f"declared in the {suffix} file: {crs}" if crs else "file declares no CRS: assumed WGS84"
    )
    field_name = "body.prj" if suffix == ".zip" else "body.crs"
    return Source(records, crs, reason, notes, crs_field=field_name)


def _plain(v: Any) -> Any:
    """numpy scalars to plain Python values."""
    return v.item() if hasattr(v, "item") else v

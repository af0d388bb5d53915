"""Camera CSV and GeoJSON import/export: every bad row reported by number."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from console import csvsafe
from console.cameras.schemas import CameraCreate, CameraOut
from console.errors import format_loc

CSV_COLUMNS = [
    "id",
    "name",
    "owner_unit",
    "shared_units",
    "lon",
    "lat",
    "bearing",
    "fov_angle",
    "fov_range_m",
    "main_url",
    "sub_url",
    "username",
    "password",
    "tags",
    "key_camera",
    "watch_mode",
    "enabled",
]
_TRUE = {"1", "true", "yes", "y", "是"}
_FALSE = {"0", "false", "no", "n", "否", ""}


@dataclass
class RowError:
    """One bad row: its number in the file (header is row 1) and what is wrong."""

    row: int
    loc: str
    msg: str

    def as_dict(self) -> dict[str, object]:
        """JSON form."""
        return {"row": self.row, "loc": self.loc, "msg": self.msg}


@dataclass
class ParsedRow:
    """A row turned into a create model, or the errors that stopped it."""

    row: int
    camera: CameraCreate | None
    errors: list[RowError]


def _bool(value: str) -> bool:
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise ValueError(f"not a yes/no value: {value!r}")


def _split(value: str) -> list[str]:
    return [p.strip() for p in value.replace("|", ";").split(";") if p.strip()]


def _units(codes: list[str], unit_ids: dict[str, int], col: str) -> tuple[list[int], list[str]]:
    ids, missing = [], []
    for code in codes:
        if code in unit_ids:
            ids.append(unit_ids[code])
        elif code.isdigit() and int(code) in unit_ids.values():
            ids.append(int(code))
        else:
            missing.append(f"{col}: unknown unit {code!r}")
    return ids, missing


def row_to_model(row_no: int, raw: dict[str, Any], unit_ids: dict[str, int]) -> ParsedRow:
    """Turn one flat record (CSV row or GeoJSON properties + point) into a CameraCreate."""
    errors: list[RowError] = []
    data: dict[str, Any] = {}
    try:
        for key in ("id", "name", "main_url", "watch_mode"):
            if raw.get(key) not in (None, ""):
                data[key] = str(raw[key]).strip()
        if raw.get("sub_url"):
            data["sub_url"] = str(raw["sub_url"]).strip()
        for key in ("username", "password"):
            # Blank means "not given": an export re-imported keeps the stored credentials.
            if raw.get(key) not in (None, ""):
                data[key] = str(raw[key])
        owner, missing = _units(_split(str(raw.get("owner_unit") or "")), unit_ids, "owner_unit")
        errors += [RowError(row_no, "owner_unit", m) for m in missing]
        if owner:
            data["owner_unit_id"] = owner[0]
        shared, missing = _units(
            _split(str(raw.get("shared_units") or "")), unit_ids, "shared_units"
        )
        errors += [RowError(row_no, "shared_units", m) for m in missing]
        data["shared_unit_ids"] = shared
        for key in ("lon", "lat"):
            if raw.get(key) not in (None, ""):
                data[key] = float(raw[key])
        if any(raw.get(k) not in (None, "") for k in ("bearing", "fov_angle", "fov_range_m")):
            data["fov"] = {
                "bearing": float(raw.get("bearing") or 0),
                "angle": float(raw.get("fov_angle") or 0),
                "range_m": float(raw.get("fov_range_m") or 0),
            }
        tags = raw.get("tags")
        data["tags"] = tags if isinstance(tags, list) else _split(str(tags or ""))
        for key in ("key_camera", "enabled"):
            if raw.get(key) not in (None, ""):
                value = raw[key]
                data[key] = value if isinstance(value, bool) else _bool(str(value))
    except ValueError as exc:
        errors.append(RowError(row_no, "", str(exc)))
    if errors:
        return ParsedRow(row_no, None, errors)
    try:
        return ParsedRow(row_no, CameraCreate(**data), [])
    except ValidationError as exc:
        return ParsedRow(
            row_no,
            None,
            [RowError(row_no, format_loc(e["loc"]) or "row", e["msg"]) for e in exc.errors()],
        )


def parse_csv(text: str, unit_ids: dict[str, int]) -> Iterator[ParsedRow]:
    """Rows of a camera CSV (UTF-8, optional BOM); unknown columns are an error on row 1."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = reader.fieldnames or []
    unknown = [c for c in header if c not in CSV_COLUMNS]
    missing = [c for c in ("id", "name", "owner_unit", "main_url") if c not in header]
    if unknown or missing:
        errs = [RowError(1, c, "unknown column") for c in unknown]
        errs += [RowError(1, c, "required column missing") for c in missing]
        yield ParsedRow(1, None, errs)
        return
    for i, record in enumerate(reader, start=2):
        if None in record:
            yield ParsedRow(i, None, [RowError(i, "", "more fields than the header")])
            continue
        clean = {k: csvsafe.unescape(v) if isinstance(v, str) else v for k, v in record.items()}
        yield row_to_model(i, clean, unit_ids)


def parse_geojson(text: str, unit_ids: dict[str, int]) -> Iterator[ParsedRow]:
    """Features of a camera FeatureCollection (Point geometries, WGS84)."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        yield ParsedRow(0, None, [RowError(0, "", f"not JSON: {exc}")])
        return
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        yield ParsedRow(0, None, [RowError(0, "type", "expected a GeoJSON FeatureCollection")])
        return
    feats = doc.get("features") or []
    if not isinstance(feats, list):
        yield ParsedRow(0, None, [RowError(0, "features", "expected a list of features")])
        return
    for i, feat in enumerate(feats):
        if not isinstance(feat, dict):
            yield ParsedRow(i, None, [RowError(i, "", "not a Feature object")])
            continue
        geom = feat.get("geometry") or {}
        raw_props = feat.get("properties")
        props = dict(raw_props) if isinstance(raw_props, dict) else {}
        if geom:
            coords = geom.get("coordinates") if isinstance(geom, dict) else None
            if not isinstance(coords, list):
                coords = []
            if not isinstance(geom, dict) or geom.get("type") != "Point" or len(coords) < 2:
                yield ParsedRow(i, None, [RowError(i, "geometry", "cameras need a Point")])
                continue
            props["lon"], props["lat"] = coords[0], coords[1]
        props.setdefault("id", feat.get("id"))
        yield row_to_model(i, props, unit_ids)


EXPORT_COLUMNS = [c for c in CSV_COLUMNS if c not in ("username", "password")]


def to_csv(cameras: Iterable[CameraOut], unit_codes: dict[int, str]) -> Iterator[str]:
    """Cameras as CSV (no credentials), in the import column order."""
    buf = io.StringIO()
    writer = csvsafe.writer(buf)
    buf.write("\ufeff")
    writer.writerow(EXPORT_COLUMNS)
    for c in cameras:
        writer.writerow(
            [
                c.id,
                c.name,
                unit_codes.get(c.owner_unit_id, c.owner_unit_id),
                ";".join(unit_codes.get(u, str(u)) for u in c.shared_unit_ids),
                c.lon if c.lon is not None else "",
                c.lat if c.lat is not None else "",
                c.fov.bearing if c.fov else "",
                c.fov.angle if c.fov else "",
                c.fov.range_m if c.fov else "",
                c.main_url,
                c.sub_url or "",
                ";".join(c.tags),
                "true" if c.key_camera else "false",
                c.watch_mode,
                "true" if c.enabled else "false",
            ]
        )
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()


def to_geojson(cameras: Iterable[CameraOut], unit_codes: dict[int, str]) -> dict[str, Any]:
    """Cameras as a GeoJSON FeatureCollection (RFC 7946, WGS84; URLs masked)."""
    features = []
    for c in cameras:
        props = c.model_dump(mode="json", exclude={"lon", "lat"})
        props["owner_unit"] = unit_codes.get(c.owner_unit_id)
        geometry = {"type": "Point", "coordinates": [c.lon, c.lat]} if c.lon is not None else None
        features.append({"type": "Feature", "id": c.id, "geometry": geometry, "properties": props})
    return {"type": "FeatureCollection", "features": features}

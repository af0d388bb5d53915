"""Feed parsers: USGS GeoJSON (summary and detail), CENC quick reports (JSON), QuakeML 1.2.

Every parser returns good reports and, per bad entry, an error naming the entry and the
source's own field; a feed with one bad entry still delivers the others. A body that is
an HTML page (a portal's error or login page) is refused as a whole.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal

from gis.quake import quakeml
from gis.quake.model import QuakeError, QuakeReport, check, problem

Format = Literal["auto", "usgs", "cenc", "quakeml"]
CHINA_TZ = timezone(timedelta(hours=8), "UTC+8")
_CENC_TIME = ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")


@dataclass
class Parsed:
    """What a body held: good reports, bad entries and skipped ones (non-earthquakes)."""

    format: str
    reports: list[QuakeReport] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    ignored: list[dict[str, str]] = field(default_factory=list)


def number(value: Any, loc: str) -> float:
    """A finite float from a number or a numeric string ("4.5", " 30 ")."""
    if isinstance(value, bool) or value is None:
        raise QuakeError([problem(loc, "required number is missing", "missing")])
    if isinstance(value, int | float):
        out = float(value)
    elif isinstance(value, str) and value.strip():
        try:
            out = float(value.strip())
        except ValueError:
            raise QuakeError([problem(loc, f"{value!r} is not a number", "number")]) from None
    else:
        raise QuakeError([problem(loc, f"{value!r} is not a number", "number")])
    if not math.isfinite(out):
        raise QuakeError([problem(loc, f"{value!r} is not a finite number", "number")])
    return out


def looks_like_html(data: bytes) -> bool:
    """Whether a body is an HTML page rather than data."""
    head = data[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body"))


def parse(data: bytes, fmt: Format = "auto", now: datetime | None = None) -> Parsed:
    """Parse a feed body; raises QuakeError only when the body as a whole is unusable."""
    now = now or datetime.now(UTC)
    if not data.strip():
        raise QuakeError([problem("body", "the body is empty", "empty")])
    if looks_like_html(data):
        raise QuakeError(
            [problem("body", "the feed returned an HTML page, not earthquake data", "html")]
        )
    text = data.lstrip()
    if fmt == "quakeml" or (fmt == "auto" and text.startswith(b"<")):
        return quakeml.parse(data, now)
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise QuakeError([problem("body", f"not JSON: {exc}", "json")]) from exc
    if fmt == "auto":
        fmt = "usgs" if _is_geojson(doc) else "cenc"
    return usgs(doc, now) if fmt == "usgs" else cenc(doc, now)


def _is_geojson(doc: Any) -> bool:
    return isinstance(doc, dict) and doc.get("type") in ("FeatureCollection", "Feature")


def _collect(out: Parsed, loc: str, build: Any) -> None:
    """Run one entry's builder, keeping its report or its errors."""
    try:
        rep = build()
    except QuakeError as exc:
        out.errors.extend({**e, "entry": loc} for e in exc.errors)
        return
    if rep is not None:
        out.reports.append(rep)


def usgs(doc: Any, now: datetime) -> Parsed:
    """USGS GeoJSON: a FeatureCollection (summary feeds) or one Feature (detail)."""
    out = Parsed("usgs")
    if not _is_geojson(doc):
        raise QuakeError([problem("body", "not a GeoJSON Feature or FeatureCollection", "shape")])
    if doc["type"] == "Feature":
        feats, base = [doc], ""
    else:
        raw = doc.get("features")
        if not isinstance(raw, list):
            raise QuakeError([problem("features", "a FeatureCollection needs features", "missing")])
        feats, base = raw, "features"
    for i, feat in enumerate(feats):
        loc = f"{base}[{i}]." if base else ""
        _collect(
            out,
            f"{base}[{i}]" if base else "feature",
            lambda f=feat, p=loc: _usgs_one(f, p, now, out),
        )
    return out


def _usgs_one(feat: Any, p: str, now: datetime, out: Parsed) -> QuakeReport | None:
    if not isinstance(feat, dict):
        raise QuakeError([problem(p.rstrip("."), "a feature must be an object", "shape")])
    props = feat.get("properties")
    geom = feat.get("geometry")
    if not isinstance(props, dict):
        raise QuakeError([problem(p + "properties", "missing", "missing")])
    kind = str(props.get("type") or "earthquake")
    if kind != "earthquake":
        out.ignored.append(
            {"loc": p.rstrip("."), "msg": f"event type {kind!r} is not an earthquake"}
        )
        return None
    coords = geom.get("coordinates") if isinstance(geom, dict) else None
    if not isinstance(coords, list) or len(coords) < 2:
        raise QuakeError([problem(p + "geometry.coordinates", "missing", "missing")])
    lon = number(coords[0], p + "geometry.coordinates[0]")
    lat = number(coords[1], p + "geometry.coordinates[1]")
    depth = number(coords[2] if len(coords) > 2 else None, p + "geometry.coordinates[2]")
    mag = number(props.get("mag"), p + "properties.mag")
    t = number(props.get("time"), p + "properties.time")
    upd = props.get("updated")
    ids = [s for s in str(props.get("ids") or "").split(",") if s]
    eid = str(feat.get("id") or props.get("code") or "")
    rep = QuakeReport(
        source="usgs",
        source_id=eid,
        origin_time=datetime.fromtimestamp(t / 1000, UTC),
        lat=lat,
        lon=lon,
        depth_km=depth,
        magnitude=mag,
        mag_type=str(props.get("magType") or "M"),
        place=str(props.get("place") or props.get("title") or ""),
        status=str(props.get("status") or "automatic"),
        updated=(
            datetime.fromtimestamp(number(upd, p + "properties.updated") / 1000, UTC)
            if upd is not None
            else None
        ),
        alt_ids=tuple(i for i in ids if i != eid),
    )
    names = {
        "lat": "geometry.coordinates[1]",
        "lon": "geometry.coordinates[0]",
        "depth_km": "geometry.coordinates[2]",
        "magnitude": "properties.mag",
        "origin_time": "properties.time",
        "source_id": "id",
    }
    return check(rep, now, names, p)


def _cenc_items(doc: Any) -> list[Any]:
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict):
        for key in ("shuju", "data", "list", "records"):
            if isinstance(doc.get(key), list):
                return list(doc[key])
        if "O_TIME" in doc or "CATA_ID" in doc:
            return [doc]
    raise QuakeError([problem("body", "no CENC reports (expected a list or shuju[])", "shape")])


def cenc_time(value: Any, loc: str) -> datetime:
    """A CENC time string, Beijing time (UTC+8), as aware UTC."""
    if not isinstance(value, str) or not value.strip():
        raise QuakeError([problem(loc, "required time is missing", "missing")])
    for fmt in _CENC_TIME:
        try:
            return datetime.strptime(value.strip(), fmt).replace(tzinfo=CHINA_TZ).astimezone(UTC)
        except ValueError:
            continue
    raise QuakeError([problem(loc, f"{value!r} is not a time like 2024-01-09 18:30:05", "time")])


def cenc(doc: Any, now: datetime) -> Parsed:
    """CENC quick reports (CATA_ID, O_TIME in UTC+8, EPI_LAT, EPI_LON, EPI_DEPTH, M, ...)."""
    out = Parsed("cenc")
    for i, item in enumerate(_cenc_items(doc)):
        _collect(out, f"[{i}]", lambda it=item, p=f"[{i}].": _cenc_one(it, p, now))
    return out


def _cenc_one(item: Any, p: str, now: datetime) -> QuakeReport:
    if not isinstance(item, dict):
        raise QuakeError([problem(p.rstrip("."), "a report must be an object", "shape")])
    eid = str(item.get("CATA_ID") or item.get("NEW_DID") or item.get("id") or "").strip()
    errors: list[dict[str, str]] = []
    vals: dict[str, Any] = {}
    for key, name in (
        ("lat", "EPI_LAT"),
        ("lon", "EPI_LON"),
        ("depth_km", "EPI_DEPTH"),
        ("mag", "M"),
    ):
        try:
            vals[key] = number(item.get(name), p + name)
        except QuakeError as exc:
            errors.extend(exc.errors)
    try:
        vals["time"] = cenc_time(item.get("O_TIME"), p + "O_TIME")
    except QuakeError as exc:
        errors.extend(exc.errors)
    if errors:
        raise QuakeError(errors)
    saved = item.get("SAVE_TIME") or item.get("SYNC_TIME")
    flag = str(item.get("AUTO_FLAG") or "").strip().upper()
    rep = QuakeReport(
        source="cenc",
        source_id=eid,
        origin_time=vals["time"],
        lat=vals["lat"],
        lon=vals["lon"],
        depth_km=vals["depth_km"],
        magnitude=vals["mag"],
        mag_type=str(item.get("M_TYPE") or "M"),
        place=str(item.get("LOCATION_C") or item.get("LOCATION_S") or ""),
        status="automatic" if flag.startswith("A") or "AUTO" in flag else "reviewed",
        updated=cenc_time(saved, p + "SAVE_TIME") if saved else None,
    )
    names = {
        "lat": "EPI_LAT",
        "lon": "EPI_LON",
        "depth_km": "EPI_DEPTH",
        "magnitude": "M",
        "origin_time": "O_TIME",
        "source_id": "CATA_ID",
    }
    return check(rep, now, names, p)

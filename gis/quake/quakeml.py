"""QuakeML 1.2 (BED) events, read with defusedxml: no DTDs, no entity expansion."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from gis.quake.model import QuakeError, QuakeReport, check, problem

if TYPE_CHECKING:
    from gis.quake.parsers import Parsed


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(el: Element | None, name: str) -> Element | None:
    if el is None:
        return None
    for c in el:
        if _local(c.tag) == name:
            return c
    return None


def _path(el: Element | None, *names: str) -> str | None:
    for n in names:
        el = _child(el, n)
    return el.text.strip() if el is not None and el.text else None


def _by_id(items: list[Element], wanted: str | None) -> Element | None:
    for it in items:
        if wanted and it.get("publicID") == wanted:
            return it
    return items[0] if items else None


def _time(text: str | None, loc: str) -> datetime:
    if not text:
        raise QuakeError([problem(loc, "required time is missing", "missing")])
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise QuakeError([problem(loc, f"{text!r} is not an ISO time", "time")]) from None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def parse(data: bytes, now: datetime) -> Parsed:
    """Every event of a QuakeML document (its preferred origin and magnitude)."""
    from gis.quake.parsers import Parsed

    try:
        root = SafeET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise QuakeError([problem("body", f"refused unsafe XML: {exc}", "unsafe_xml")]) from exc
    except SafeET.ParseError as exc:
        raise QuakeError([problem("body", f"not well-formed XML: {exc}", "xml")]) from exc
    if _local(root.tag) != "quakeml":
        raise QuakeError([problem("body", "the root element is not quakeml", "shape")])
    out = Parsed("quakeml")
    events = [e for e in root.iter() if _local(e.tag) == "event"]
    for i, ev in enumerate(events):
        loc = f"event[{i}]"
        kind = _path(ev, "type") or "earthquake"
        if kind != "earthquake":
            out.ignored.append({"loc": loc, "msg": f"event type {kind!r} is not an earthquake"})
            continue
        try:
            out.reports.append(_event(ev, loc, now))
        except QuakeError as exc:
            out.errors.extend({**e, "entry": loc} for e in exc.errors)
    return out


def _num(text: str | None, loc: str) -> float:
    from gis.quake.parsers import number

    return number(text, loc)


def _event(ev: Element, loc: str, now: datetime) -> QuakeReport:
    origins = [c for c in ev if _local(c.tag) == "origin"]
    mags = [c for c in ev if _local(c.tag) == "magnitude"]
    origin = _by_id(origins, _path(ev, "preferredOriginID"))
    mag = _by_id(mags, _path(ev, "preferredMagnitudeID"))
    if origin is None:
        raise QuakeError([problem(f"{loc}.origin", "the event has no origin", "missing")])
    if mag is None:
        raise QuakeError([problem(f"{loc}.magnitude", "the event has no magnitude", "missing")])
    o = f"{loc}.origin."
    errors: list[dict[str, str]] = []
    vals: dict[str, Any] = {}
    for key, name in (("lat", "latitude"), ("lon", "longitude"), ("depth", "depth")):
        try:
            vals[key] = _num(_path(origin, name, "value"), f"{o}{name}.value")
        except QuakeError as exc:
            errors.extend(exc.errors)
    try:
        vals["mag"] = _num(_path(mag, "mag", "value"), f"{loc}.magnitude.mag.value")
        vals["time"] = _time(_path(origin, "time", "value"), f"{o}time.value")
    except QuakeError as exc:
        errors.extend(exc.errors)
    if errors:
        raise QuakeError(errors)
    created = _path(ev, "creationInfo", "creationTime") or _path(
        origin, "creationInfo", "creationTime"
    )
    agency = _path(ev, "creationInfo", "agencyID") or _path(origin, "creationInfo", "agencyID")
    rep = QuakeReport(
        source=f"quakeml:{agency.lower()}" if agency else "quakeml",
        source_id=ev.get("publicID") or "",
        origin_time=vals["time"],
        lat=vals["lat"],
        lon=vals["lon"],
        depth_km=vals["depth"] / 1000.0,  # QuakeML depths are in metres
        magnitude=vals["mag"],
        mag_type=_path(mag, "type") or "M",
        place=_path(ev, "description", "text") or "",
        status="reviewed" if _path(origin, "evaluationMode") == "manual" else "automatic",
        updated=_time(created, f"{loc}.creationInfo.creationTime") if created else None,
    )
    names = {
        "lat": "origin.latitude.value",
        "lon": "origin.longitude.value",
        "depth_km": "origin.depth.value",
        "magnitude": "magnitude.mag.value",
        "origin_time": "origin.time.value",
        "source_id": "publicID",
    }
    return check(rep, now, names, f"{loc}.")

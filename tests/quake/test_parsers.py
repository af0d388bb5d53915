"""Feed parsers on real-shaped fixtures, and the bad inputs of issue 13."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gis.quake.model import QuakeError, QuakeReport, check
from gis.quake.parsers import parse
from tests.paths import QUAKE

NOW = datetime(2025, 1, 9, 12, 0, tzinfo=UTC)


def test_usgs_summary() -> None:
    p = parse((QUAKE / "usgs_summary.geojson").read_bytes(), "auto", NOW)
    assert p.format == "usgs"
    ids = [r.source_id for r in p.reports]
    assert ids == ["us7000p1a2", "us7000p19x"]
    first, strait = p.reports
    assert first.magnitude == 5.1 and first.depth_km == 10 and first.mag_type == "mww"
    assert first.origin_time == datetime(2025, 1, 9, 2, 0, 0, 120000, tzinfo=UTC)
    assert strait.magnitude == 4.4 and strait.depth_km == 15.5  # string-typed numbers
    assert "tw2025abc" in strait.alt_ids
    assert [i["loc"] for i in p.ignored] == ["features[1]"]  # quarry blast
    assert p.errors[0]["loc"] == "features[2].properties.mag"
    assert p.errors[0]["type"] == "missing"


def test_usgs_detail_is_a_revision() -> None:
    p = parse((QUAKE / "usgs_detail.geojson").read_bytes(), "usgs", NOW)
    (r,) = p.reports
    assert r.source_id == "us7000p1a2" and r.magnitude == 5.3 and r.depth_km == 12
    assert r.updated is not None and r.updated > datetime(2025, 1, 9, 2, 22, tzinfo=UTC)


def test_cenc_quick_reports() -> None:
    p = parse((QUAKE / "cenc.json").read_bytes(), "auto", NOW)
    assert p.format == "cenc"
    good = {r.source_id: r for r in p.reports}
    assert set(good) == {"CC20250109100000.12", "AU20250109093011.20"}
    r = good["CC20250109100000.12"]
    # O_TIME is Beijing time: 10:00 UTC+8 is 02:00 UTC
    assert r.origin_time == datetime(2025, 1, 9, 2, 0, tzinfo=UTC)
    assert (r.lat, r.lon, r.magnitude, r.status) == (21.49, 112.15, 5.2, "reviewed")
    assert r.place == "广东阳江市阳东区海域"
    assert good["AU20250109093011.20"].status == "automatic"
    locs = {e["loc"] for e in p.errors}
    assert locs == {"[2].EPI_LAT", "[3].M"}


def test_quakeml() -> None:
    p = parse((QUAKE / "quakeml.xml").read_bytes(), "auto", NOW)
    assert p.format == "quakeml"
    (r,) = p.reports
    assert r.magnitude == 5.2 and r.mag_type == "Mw"  # preferred magnitude, not the first
    assert r.depth_km == 10.0  # metres in QuakeML
    assert r.source == "quakeml:gfz" and r.status == "reviewed"
    assert p.ignored and "not existing" in p.ignored[0]["msg"]


def test_quakeml_entities_refused() -> None:
    bomb = b"""<?xml version="1.0"?>
<!DOCTYPE q [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>
<q:quakeml xmlns:q="http://quakeml.org/xmlns/quakeml/1.2"><x>&b;</x></q:quakeml>"""
    with pytest.raises(QuakeError) as exc:
        parse(bomb, "auto", NOW)
    assert exc.value.errors[0]["type"] == "unsafe_xml"


@pytest.mark.parametrize(
    "body",
    [
        b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>",
        b"  <html><head><title>Login</title></head></html>",
    ],
)
def test_html_instead_of_data(body: bytes) -> None:
    with pytest.raises(QuakeError) as exc:
        parse(body, "auto", NOW)
    assert exc.value.errors[0]["type"] == "html"
    assert "HTML" in str(exc.value)


@pytest.mark.parametrize("body", [b"", b"   ", b"{not json", b'{"type":"FeatureCollection"}'])
def test_empty_or_broken_bodies(body: bytes) -> None:
    with pytest.raises(QuakeError):
        parse(body, "auto", NOW)


def _rep(**kw: object) -> QuakeReport:
    base: dict[str, object] = {
        "source": "manual",
        "source_id": "m1",
        "origin_time": NOW - timedelta(minutes=5),
        "lat": 23.1,
        "lon": 113.3,
        "depth_km": 10.0,
        "magnitude": 6.0,
    }
    base.update(kw)
    return QuakeReport(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kw", "loc", "type_"),
    [
        ({"lat": 91.0}, "lat", "out_of_range"),
        ({"lat": -90.5}, "lat", "out_of_range"),
        ({"lon": 181.0}, "lon", "out_of_range"),
        ({"lon": float("nan")}, "lon", "out_of_range"),
        ({"magnitude": 10.5}, "magnitude", "out_of_range"),
        ({"magnitude": -3.0}, "magnitude", "out_of_range"),
        ({"depth_km": 900.0}, "depth_km", "out_of_range"),
        ({"depth_km": -20.0}, "depth_km", "out_of_range"),
        ({"origin_time": NOW + timedelta(hours=1)}, "origin_time", "future"),
        ({"source_id": ""}, "source_id", "missing"),
        ({"strike_deg": 400.0}, "strike_deg", "out_of_range"),
    ],
)
def test_bad_values_name_the_field(kw: dict[str, object], loc: str, type_: str) -> None:
    with pytest.raises(QuakeError) as exc:
        check(_rep(**kw), NOW)
    assert exc.value.errors[0]["loc"] == loc and exc.value.errors[0]["type"] == type_


@pytest.mark.parametrize("depth", [0.0, 700.0, -2.0])
def test_documented_depths_accepted(depth: float) -> None:
    assert check(_rep(depth_km=depth), NOW).depth_km == depth


def test_cenc_future_event_named_by_source_field() -> None:
    body = b'[{"CATA_ID":"CC1","O_TIME":"2099-01-01 00:00:00","EPI_LAT":"23","EPI_LON":"113","EPI_DEPTH":"10","M":"5"}]'
    p = parse(body, "cenc", NOW)
    assert not p.reports and p.errors[0]["loc"] == "[0].O_TIME" and p.errors[0]["type"] == "future"

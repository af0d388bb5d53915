"""One event from several sources and revisions; out-of-order revisions; what changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gis.quake import dedup
from gis.quake.model import QuakeReport
from gis.quake.parsers import parse
from tests.paths import QUAKE

NOW = datetime(2025, 1, 9, 12, 0, tzinfo=UTC)
T0 = datetime(2025, 1, 9, 2, 0, tzinfo=UTC)


def rep(source: str = "usgs", sid: str = "us1", **kw: object) -> QuakeReport:
    base: dict[str, object] = {
        "source": source,
        "source_id": sid,
        "origin_time": T0,
        "lat": 21.49,
        "lon": 112.14,
        "depth_km": 10.0,
        "magnitude": 5.1,
        "updated": T0 + timedelta(minutes=20),
    }
    base.update(kw)
    return QuakeReport(**base)  # type: ignore[arg-type]


def ref(r: QuakeReport, key: str = "E1") -> dedup.EventRef:
    return dedup.EventRef(key, r, dedup.ids_of(r), r.is_exercise)


def test_three_sources_one_event() -> None:
    usgs = parse((QUAKE / "usgs_summary.geojson").read_bytes(), "usgs", NOW).reports[0]
    cenc = parse((QUAKE / "cenc.json").read_bytes(), "cenc", NOW).reports[0]
    qml = parse((QUAKE / "quakeml.xml").read_bytes(), "quakeml", NOW).reports[0]
    ev = ref(usgs)
    assert dedup.find(cenc, [ev]) == (ev, "near")
    assert dedup.find(qml, [ev]) == (ev, "near")
    # CENC is preferred over USGS and GFZ by default
    assert dedup.preferred([usgs, cenc, qml]).source == "cenc"


def test_same_id_is_a_revision_even_when_far() -> None:
    ev = ref(rep())
    moved = rep(lat=25.0, updated=T0 + timedelta(hours=1))
    assert dedup.find(moved, [ev]) == (ev, "id")


def test_alt_ids_link_networks() -> None:
    ev = ref(rep(alt_ids=("tw2025abc",)))
    other = rep(source="quakeml:cwa", sid="tw2025abc", origin_time=T0 + timedelta(minutes=5))
    assert dedup.find(other, [ev])[1] == "id"


def test_tolerances_are_magnitude_dependent() -> None:
    ev = ref(rep(magnitude=3.0))
    far_small = rep(source="cenc", sid="c1", magnitude=3.2, lat=22.3)  # ~90 km away
    assert dedup.find(far_small, [ev])[0] is None  # M3: 50 km window
    ev7 = ref(rep(magnitude=7.2))
    far_big = rep(
        source="cenc", sid="c2", magnitude=7.0, lat=22.3, origin_time=T0 + timedelta(seconds=40)
    )
    assert dedup.find(far_big, [ev7])[0] is ev7  # M7: 250 km, 60 s
    late = rep(source="cenc", sid="c3", origin_time=T0 + timedelta(seconds=25))
    assert dedup.find(late, [ref(rep())])[0] is None  # M5: 16 s
    wild = rep(source="cenc", sid="c4", magnitude=6.5)
    assert dedup.find(wild, [ref(rep())])[0] is None  # magnitudes 1.4 apart


def test_exercise_never_matches_real() -> None:
    real = ref(rep())
    drill = rep(source="exercise", sid="x1", is_exercise=True)
    assert dedup.find(drill, [real]) == (None, "new")
    ex = ref(drill, "X1")
    same_id_real = rep(source="exercise", sid="x1")
    assert dedup.find(same_id_real, [ex]) == (None, "new")


def test_out_of_order_revision_is_stale_and_does_not_win() -> None:
    r1 = rep(magnitude=5.1, updated=T0 + timedelta(minutes=20))
    r2 = rep(magnitude=5.3, updated=T0 + timedelta(minutes=60))
    late_old = rep(magnitude=4.9, updated=T0 + timedelta(minutes=30))
    held = [r1, r2]
    assert dedup.is_stale(late_old, held)
    assert dedup.preferred([*held, late_old]).magnitude == 5.3
    assert not dedup.is_stale(r2, [r1])


def test_duplicate_revision_detected() -> None:
    r1 = rep()
    assert dedup.is_duplicate(rep(), [r1])
    assert not dedup.is_duplicate(rep(magnitude=5.2), [r1])


def test_what_changed() -> None:
    old, new = rep(magnitude=5.1, depth_km=10.0), rep(magnitude=5.3, depth_km=12.0)
    changed = {c["field"]: (c["before"], c["after"]) for c in dedup.changes(old, new)}
    assert changed == {"magnitude": (5.1, 5.3), "depth_km": (10.0, 12.0)}
    assert dedup.changes(None, new) == []


def test_manual_entry_outranks_feeds() -> None:
    cenc = rep(source="cenc", sid="c1", magnitude=5.2)
    manual = rep(source="manual", sid="m1", magnitude=5.0, updated=T0)
    assert dedup.preferred([cenc, manual]).source == "manual"

from __future__ import annotations

from datetime import datetime, timedelta

from drills.compliance import Requirement, evaluate, overdue
from tests.drills.factory import SH, drill

NOW = datetime(2026, 6, 1, 12, tzinfo=SH)


def test_per_community_and_overdue() -> None:
    ds = [
        drill(
            "a", status="reviewed", start=NOW - timedelta(days=100), community_ids=["c-1", "c-2"]
        ),
        drill("b", status="completed", start=NOW - timedelta(days=400), community_ids=["c-3"]),
        drill(
            "c",
            status="completed",
            start=NOW - timedelta(days=50),
            community_ids=["c-3"],
            type="tabletop",
        ),
        drill("d", status="scheduled", start=NOW - timedelta(days=10), community_ids=["c-4"]),
        drill("e", status="completed", start=NOW + timedelta(days=1), community_ids=["c-4"]),
    ]
    rows = {
        r.community_id: r for r in evaluate(["c-1", "c-2", "c-3", "c-4"], ds, Requirement(), NOW)
    }
    assert rows["c-1"].compliant and rows["c-2"].compliant
    assert rows["c-1"].last_drill == ds[0].plan.end and rows["c-1"].drills_past_12_months == 1
    c3 = rows["c-3"]
    assert not c3.compliant and c3.drills_in_period == 0 and c3.drills_past_12_months == 1
    assert c3.last_drill == ds[1].plan.end
    assert c3.overdue_since == ds[1].plan.end + timedelta(days=365)
    c4 = rows["c-4"]
    assert not c4.compliant and c4.last_drill is None and c4.overdue_since is None
    assert [r.community_id for r in overdue(rows.values())] == ["c-4", "c-3"]


def test_configurable_rule() -> None:
    ds = [drill("a", status="completed", start=NOW - timedelta(days=30), type="tabletop")]
    rule = Requirement(id="tt", types=["tabletop", "drill"], min_count=2, period_days=180)
    (row,) = evaluate(["c-1"], ds, rule, NOW)
    assert not row.compliant and row.drills_in_period == 1
    (row,) = evaluate(["c-1"], ds * 2, rule, NOW)
    assert row.compliant

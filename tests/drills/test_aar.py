from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from drills.aar import AfterActionReport, check_ratings, overdue_actions, update_report
from drills.conduct import Measures
from drills.errors import DrillError
from drills.report_doc import ReportContext
from drills.report_html import render_html
from tests.drills.factory import plan

TODAY = date(2026, 7, 1)


def report(**kw: object) -> AfterActionReport:
    data: dict[str, object] = {
        "drill_id": "d1",
        "purpose": "检验社区地震疏散能力",
        "problems_and_causes": "Stairwell B <blocked> & unlit",
        "ratings": [{"objective_id": "o1", "rating": "S", "strengths": ["fast alarm"]}],
        "actions": [
            {
                "id": "a1",
                "text": "Clear stairwell B",
                "owner_unit_id": 4,
                "due": "2026-06-15",
            },
            {"id": "a2", "text": "Lights", "owner_unit_id": 4, "due": "2026-08-01"},
            {
                "id": "a3",
                "text": "Signs",
                "owner_unit_id": 3,
                "due": "2026-06-01",
                "status": "closed",
                "closed_at": "2026-05-30T10:00:00+08:00",
            },
        ],
        "measures": Measures(
            evacuation_seconds=750,
            all_clear_seconds=2400,
            head_count=342,
            participation_rate=0.855,
            incidents=1,
        ).model_dump(),
    }
    data.update(kw)
    return AfterActionReport.model_validate(data)


def test_overdue_actions() -> None:
    assert [a.id for a in overdue_actions(report(), TODAY)] == ["a1"]


def test_ratings_check() -> None:
    errs = check_ratings(report(ratings=[{"objective_id": "ox", "rating": "P"}]), ["o1"])
    assert [(e.code, e.loc) for e in errs] == [
        ("unknown_objective", ("ratings", 0, "objective_id")),
        ("objective_unrated", ("ratings",)),
    ]
    assert check_ratings(report(), ["o1"]) == []
    with pytest.raises(ValidationError):
        report(ratings=[{"objective_id": "o1", "rating": "X"}])


def test_edit_and_reviewed_lock() -> None:
    r = update_report(report(), {"lessons": "drill at night too"})
    assert r.lessons == "drill at night too"
    locked = r.model_copy(update={"reviewed": True})
    with pytest.raises(DrillError) as ex:
        update_report(locked, {"lessons": "changed"})
    assert ex.value.code == "report_reviewed" and ex.value.loc == ("lessons",)
    # Closing a corrective action stays possible after review...
    acts = [a.model_dump() for a in locked.actions]
    acts[0].update(status="closed", closed_at=datetime(2026, 6, 20, 9, tzinfo=UTC))
    closed = update_report(locked, {"actions": acts})
    assert overdue_actions(closed, TODAY) == []
    # ...but rewording one does not.
    acts[1]["text"] = "rewritten"
    with pytest.raises(DrillError) as ex:
        update_report(locked, {"actions": acts})
    assert ex.value.loc == ("actions", 1)


def test_huge_text_refused() -> None:
    with pytest.raises(ValidationError) as ex:
        update_report(report(), {"lessons": "x" * 10_001})
    assert ex.value.errors()[0]["loc"] == ("lessons",)


@pytest.mark.parametrize(
    "lang,heading,overdue",
    [("zh-CN", "演练总结报告", "已逾期"), ("en", "Drill after-action report", "OVERDUE")],
)
def test_html_escaped_and_labelled(lang: str, heading: str, overdue: str) -> None:
    p = plan(
        title="Drill <script>",
        objectives=[{"id": "o1", "text": "Evacuate <15 min", "capability": "evacuation"}],
    )
    ctx = ReportContext(today=TODAY, organiser="Earthquake <Office>", evaluators=["李 <评估>"])
    html = render_html(report(), p, lang, ctx)
    assert heading in html and f'lang="{lang}"' in html
    assert "<script>" not in html and "Drill &lt;script&gt;" in html
    assert "Stairwell B &lt;blocked&gt; &amp; unlit" in html
    assert "Evacuate &lt;15 min" in html and "Earthquake &lt;Office&gt;" in html
    assert "李 &lt;评估&gt;" in html
    rating = "S 有一些问题" if lang == "zh-CN" else "S - performed with some challenges"
    assert f"<td>{rating}</td>" in html
    assert html.count(overdue) == 1 and "750" in html and "86%" in html
    assert "counter(page)" in html and "counter(pages)" in html

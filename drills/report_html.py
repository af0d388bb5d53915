"""Printable HTML after-action report (zh-CN / en labels), for the browser's print-to-PDF."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from html import escape
from string import Template

from drills.aar import AfterActionReport
from drills.models import DrillPlan

# The fields of a Chinese drill summary report (演练总结报告), in the order they are printed.
SECTIONS = (
    "purpose",
    "time_and_place",
    "participants",
    "plan_summary",
    "problems_and_causes",
    "lessons",
    "recommendations",
)
LABELS: dict[str, dict[str, str]] = {
    "en": {
        "heading": "Drill after-action report",
        "purpose": "Purpose",
        "time_and_place": "Time and place",
        "participants": "Participants",
        "plan_summary": "Plan summary",
        "problems_and_causes": "Problems found and causes",
        "lessons": "Lessons",
        "recommendations": "Recommendations",
        "ratings": "Objective ratings",
        "actions": "Corrective actions",
        "measures": "Measured results",
        "evacuation": "Evacuation time (s)",
        "head_count": "Head count",
        "participation": "Participation rate",
        "owner": "Owner unit",
        "due": "Due",
        "state": "Status",
        "open": "open",
        "closed": "closed",
        "overdue": "OVERDUE",
        "objective": "Objective",
        "rating": "Rating",
    },
    "zh-CN": {
        "heading": "演练总结报告",
        "purpose": "演练目的",
        "time_and_place": "演练时间和地点",
        "participants": "参演单位和人员",
        "plan_summary": "演练方案概要",
        "problems_and_causes": "发现的问题与原因",
        "lessons": "经验和教训",
        "recommendations": "改进建议",
        "ratings": "目标评定",
        "actions": "整改措施",
        "measures": "测量结果",
        "evacuation": "疏散用时（秒）",
        "head_count": "清点人数",
        "participation": "参与率",
        "owner": "责任单位",
        "due": "期限",
        "state": "状态",
        "open": "未完成",
        "closed": "已完成",
        "overdue": "已逾期",
        "objective": "目标",
        "rating": "评定",
    },
}

PAGE = Template("""<!doctype html>
<html lang="$lang"><head><meta charset="utf-8"><title>$title</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;width:100%}
td,th{border:1px solid #888;padding:4px;text-align:left}.overdue{color:#b00;font-weight:bold}
@media print{body{margin:0}}</style></head><body>
<h1>$heading</h1><h2>$title</h2>
$sections
</body></html>
""")


def _para(text: str) -> str:
    return "".join(f"<p>{escape(line)}</p>" for line in text.splitlines() if line.strip())


def render_html(
    report: AfterActionReport,
    plan: DrillPlan,
    lang: str,
    today: date,
    units: Mapping[int, str] | None = None,
) -> str:
    """Render the report as a self-contained printable page; all user text is escaped."""
    lb = LABELS.get(lang, LABELS["en"])
    units = units or {}
    parts = [f"<h3>{lb[k]}</h3>{_para(getattr(report, k))}" for k in SECTIONS]
    if report.measures:
        m = report.measures
        rate = f"{m.participation_rate:.0%}" if m.participation_rate is not None else "-"
        evac = "-" if m.evacuation_seconds is None else f"{m.evacuation_seconds:.0f}"
        count = "-" if m.head_count is None else str(m.head_count)
        parts.append(
            f"<h3>{lb['measures']}</h3><table><tr><th>{lb['evacuation']}</th>"
            f"<td>{evac}</td></tr>"
            f"<tr><th>{lb['head_count']}</th><td>{count}</td></tr>"
            f"<tr><th>{lb['participation']}</th><td>{rate}</td></tr></table>"
        )
    texts = {o.id: o.text for o in plan.objectives}
    rows = "".join(
        f"<tr><td>{escape(texts.get(r.objective_id, r.objective_id))}</td>"
        f"<td>{r.rating.value}</td></tr>"
        for r in report.ratings
    )
    parts.append(
        f"<h3>{lb['ratings']}</h3><table><tr><th>{lb['objective']}</th>"
        f"<th>{lb['rating']}</th></tr>{rows}</table>"
    )
    arows = []
    for a in report.actions:
        state = lb["closed"] if a.status == "closed" else lb["open"]
        cls = ""
        if a.is_overdue(today):
            state, cls = lb["overdue"], ' class="overdue"'
        owner = units.get(a.owner_unit_id, str(a.owner_unit_id))
        arows.append(
            f"<tr{cls}><td>{escape(a.text)}</td><td>{escape(owner)}</td>"
            f"<td>{a.due.isoformat()}</td><td>{state}</td></tr>"
        )
    parts.append(
        f"<h3>{lb['actions']}</h3><table><tr><th>{lb['actions']}</th>"
        f"<th>{lb['owner']}</th><th>{lb['due']}</th><th>{lb['state']}</th></tr>"
        f"{''.join(arows)}</table>"
    )
    return PAGE.substitute(
        lang=escape(lang if lang in LABELS else "en"),
        title=escape(plan.title),
        heading=lb["heading"],
        sections="\n".join(parts),
    )

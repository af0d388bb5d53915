"""The after-action report as a list of blocks, rendered to HTML and to PDF alike.

Content of a Chinese drill summary report (演练总结报告) and an HSEEP AAR: drill type and
organiser, participants and evaluators, the summary fields, measured results, each objective
with its rating, strengths and areas for improvement, the timeline, corrective actions, and a
sign-off block (编制 / 审核 / 签发) with the report date.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from drills.aar import AfterActionReport
from drills.models import DrillPlan

SECTIONS = (
    "purpose",
    "time_and_place",
    "participants",
    "plan_summary",
    "problems_and_causes",
    "lessons",
    "recommendations",
)
ZH: dict[str, str] = {
    "heading": "演练总结报告",
    "purpose": "演练目的",
    "time_and_place": "演练时间和地点",
    "participants": "参演单位和人员",
    "plan_summary": "演练方案概要",
    "problems_and_causes": "发现的问题与原因",
    "lessons": "经验和教训",
    "recommendations": "改进建议",
    "overview": "基本情况",
    "type": "演练类型",
    "organiser": "组织单位",
    "units": "参演单位",
    "evaluators": "评估人员",
    "report_date": "报告日期",
    "ratings": "目标评定",
    "strengths": "优点",
    "areas": "待改进",
    "timeline": "演练过程记录",
    "time": "时间",
    "event": "事项",
    "detail": "说明",
    "author": "记录人",
    "actions": "整改措施",
    "measures": "测量结果",
    "evacuation": "疏散用时（秒）",
    "head_count": "清点人数",
    "participation": "参与率",
    "over_expected": "清点人数超过预计人数，请核对",
    "owner": "责任单位",
    "due": "期限",
    "state": "状态",
    "open": "未完成",
    "closed": "已完成",
    "overdue": "已逾期",
    "objective": "目标",
    "rating": "评定",
    "signoff": "签发",
    "prepared_by": "编制",
    "reviewed_by": "审核",
    "issued_by": "签发",
    "date": "日期",
    "page": "第 {page} 页 / 共 {pages} 页",
    "none": "无",
}
EN: dict[str, str] = {
    "heading": "Drill after-action report",
    "purpose": "Purpose",
    "time_and_place": "Time and place",
    "participants": "Participants",
    "plan_summary": "Plan summary",
    "problems_and_causes": "Problems found and causes",
    "lessons": "Lessons",
    "recommendations": "Recommendations",
    "overview": "Overview",
    "type": "Exercise type",
    "organiser": "Organised by",
    "units": "Participating units",
    "evaluators": "Evaluators",
    "report_date": "Report date",
    "ratings": "Objective ratings",
    "strengths": "Strengths",
    "areas": "Areas for improvement",
    "timeline": "Timeline",
    "time": "Time",
    "event": "Event",
    "detail": "Details",
    "author": "Logged by",
    "actions": "Corrective actions",
    "measures": "Measured results",
    "evacuation": "Evacuation time (s)",
    "head_count": "Head count",
    "participation": "Participation rate",
    "over_expected": "More people counted than expected: check the count",
    "owner": "Owner unit",
    "due": "Due",
    "state": "Status",
    "open": "open",
    "closed": "closed",
    "overdue": "OVERDUE",
    "objective": "Objective",
    "rating": "Rating",
    "signoff": "Sign-off",
    "prepared_by": "Prepared by",
    "reviewed_by": "Reviewed by",
    "issued_by": "Approved for issue by",
    "date": "Date",
    "page": "Page {page} of {pages}",
    "none": "none",
}
TYPES = {
    "seminar": ("研讨会", "Seminar"),
    "workshop": ("工作坊", "Workshop"),
    "tabletop": ("桌面推演", "Tabletop exercise"),
    "game": ("推演游戏", "Game"),
    "drill": ("单项演练", "Drill"),
    "functional": ("功能演练", "Functional exercise"),
    "full_scale": ("综合演练", "Full-scale exercise"),
    "community_evacuation": ("社区疏散演练", "Community evacuation drill"),
}
RATINGS = {
    "P": ("P 顺利完成", "P - performed without challenges"),
    "S": ("S 有一些问题", "S - performed with some challenges"),
    "M": ("M 有重大问题", "M - performed with major challenges"),
    "U": ("U 未能完成", "U - unable to be performed"),
}
KINDS = {
    "alarm_sounded": ("发出警报", "Alarm sounded"),
    "evacuation_started": ("开始疏散", "Evacuation started"),
    "assembly_complete": ("集结完毕", "Assembly complete"),
    "head_count": ("清点人数", "Head count"),
    "all_clear": ("解除警报", "All clear"),
    "incident": ("突发情况", "Incident"),
    "note": ("记录", "Note"),
}
Lang = Literal["zh-CN", "en"]


@dataclass(frozen=True)
class Block:
    """One piece of the report: a heading, a paragraph, a table or the sign-off."""

    kind: Literal["title", "subtitle", "heading", "para", "table", "signoff", "warning"]
    text: str = ""
    header: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    marks: tuple[bool, ...] = ()  # per row: highlight (overdue)


@dataclass(frozen=True)
class LoggedEntry:
    """A timeline entry as the report prints it."""

    kind: str
    at: datetime
    count: int | None = None
    note: str = ""
    author: str = ""


@dataclass(frozen=True)
class ReportContext:
    """What the report needs beyond the report and the plan."""

    today: date
    organiser: str
    units: Mapping[int, str] = field(default_factory=dict)
    participants: Sequence[str] = ()
    evaluators: Sequence[str] = ()
    timeline: Sequence[LoggedEntry] = ()


def labels(lang: str) -> dict[str, str]:
    """The label set of a language (English for anything but zh-CN)."""
    return ZH if lang == "zh-CN" else EN


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "zh-CN" else pair[1]


def build(report: AfterActionReport, plan: DrillPlan, ctx: ReportContext, lang: str) -> list[Block]:
    """The report's blocks in print order."""
    lb = labels(lang)
    sep = "、" if lang == "zh-CN" else ", "
    out = [Block("title", lb["heading"]), Block("subtitle", plan.title)]
    overview = (
        (lb["type"], _pick(TYPES.get(plan.type.value, (plan.type.value,) * 2), lang)),
        (lb["organiser"], ctx.organiser),
        (lb["units"], sep.join(ctx.participants) or lb["none"]),
        (lb["evaluators"], sep.join(ctx.evaluators) or lb["none"]),
        (lb["report_date"], (report.report_date or ctx.today).isoformat()),
    )
    out += [Block("heading", lb["overview"]), Block("table", rows=overview)]
    for key in SECTIONS:
        out += [Block("heading", lb[key]), Block("para", getattr(report, key) or "-")]
    out += _measures(report, lb)
    out += _ratings(report, plan, lb, lang)
    out += _timeline(ctx, plan, lb, lang)
    out += _actions(report, ctx, lb)
    signers = (
        (lb["prepared_by"], report.prepared_by),
        (lb["reviewed_by"], report.reviewed_by),
        (lb["issued_by"], report.issued_by),
        (lb["date"], (report.report_date or ctx.today).isoformat()),
    )
    out += [Block("heading", lb["signoff"]), Block("signoff", rows=signers)]
    return out


def _measures(report: AfterActionReport, lb: dict[str, str]) -> list[Block]:
    m = report.measures
    if m is None:
        return []
    rate = "-" if m.participation_rate is None else f"{m.participation_rate:.0%}"
    evac = "-" if m.evacuation_seconds is None else f"{m.evacuation_seconds:.0f}"
    count = "-" if m.head_count is None else str(m.head_count)
    rows = ((lb["evacuation"], evac), (lb["head_count"], count), (lb["participation"], rate))
    out = [Block("heading", lb["measures"]), Block("table", rows=rows)]
    if m.over_expected:
        out.append(Block("warning", lb["over_expected"]))
    return out


def _ratings(
    report: AfterActionReport, plan: DrillPlan, lb: dict[str, str], lang: str
) -> list[Block]:
    out = [Block("heading", lb["ratings"])]
    rated = {r.objective_id: r for r in report.ratings}
    for o in plan.objectives:
        r = rated.get(o.id)
        rating = _pick(RATINGS[r.rating.value], lang) if r else "-"
        rows = [(lb["rating"], rating)]
        if r is not None:
            rows += [(lb["strengths"], s) for s in r.strengths]
            rows += [(lb["areas"], a) for a in r.areas_for_improvement]
        out += [
            Block("para", f"{lb['objective']} {o.id}: {o.text}"),
            Block("table", rows=tuple(rows)),
        ]
    if not plan.objectives:
        out.append(Block("para", lb["none"]))
    return out


def _timeline(ctx: ReportContext, plan: DrillPlan, lb: dict[str, str], lang: str) -> list[Block]:
    rows = []
    for e in sorted(ctx.timeline, key=lambda e: e.at):
        detail = str(e.count) if e.count is not None else e.note
        if e.count is not None and e.note:
            detail = f"{e.count} · {e.note}"
        rows.append(
            (
                e.at.astimezone(plan.zone).strftime("%Y-%m-%d %H:%M:%S"),
                _pick(KINDS.get(e.kind, (e.kind, e.kind)), lang),
                detail,
                e.author,
            )
        )
    header = (lb["time"], lb["event"], lb["detail"], lb["author"])
    body = Block("table", header=header, rows=tuple(rows)) if rows else Block("para", lb["none"])
    return [Block("heading", lb["timeline"]), body]


def _actions(report: AfterActionReport, ctx: ReportContext, lb: dict[str, str]) -> list[Block]:
    rows, marks = [], []
    for a in report.actions:
        late = a.is_overdue(ctx.today)
        state = lb["overdue"] if late else lb["closed"] if a.status == "closed" else lb["open"]
        owner = ctx.units.get(a.owner_unit_id, str(a.owner_unit_id))
        rows.append((a.text, owner, a.due.isoformat(), state))
        marks.append(late)
    header = (lb["actions"], lb["owner"], lb["due"], lb["state"])
    body = (
        Block("table", header=header, rows=tuple(rows), marks=tuple(marks))
        if rows
        else Block("para", lb["none"])
    )
    return [Block("heading", lb["actions"]), body]


def all_text(blocks: Sequence[Block], lang: str) -> str:
    """Every character the blocks print (for font subsetting), page labels included."""
    parts = [labels(lang)["page"], "0123456789"]
    for b in blocks:
        parts += [b.text, *b.header, *(c for row in b.rows for c in row)]
    return "".join(parts)

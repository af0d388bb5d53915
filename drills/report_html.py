"""Printable HTML after-action report (zh-CN / en), for the browser's print-to-PDF."""

from __future__ import annotations

from html import escape
from string import Template

from drills.aar import AfterActionReport
from drills.models import DrillPlan
from drills.report_doc import Block, ReportContext, build, labels

PAGE = Template("""<!doctype html>
<html lang="$lang"><head><meta charset="utf-8"><title>$title</title>
<style>body{font-family:sans-serif;margin:2em}
table{border-collapse:collapse;width:100%;margin:.3em 0}
td,th{border:1px solid #888;padding:4px;text-align:left;vertical-align:top}
.overdue{color:#b00;font-weight:bold}.warning{color:#b00}.signoff td{height:2.2em;width:25%}
@page{size:A4;margin:18mm 15mm;@bottom-center{content:"$page";font-size:9pt}}
@media print{body{margin:0}}</style></head><body>
$blocks
</body></html>
""")


def _block(b: Block) -> str:
    if b.kind == "title":
        return f"<h1>{escape(b.text)}</h1>"
    if b.kind == "subtitle":
        return f"<h2>{escape(b.text)}</h2>"
    if b.kind == "heading":
        return f"<h3>{escape(b.text)}</h3>"
    if b.kind == "warning":
        return f'<p class="warning">{escape(b.text)}</p>'
    if b.kind == "para":
        return "".join(f"<p>{escape(line)}</p>" for line in b.text.splitlines() if line.strip())
    head = "".join(f"<th>{escape(h)}</th>" for h in b.header)
    rows = []
    for i, row in enumerate(b.rows):
        mark = ' class="overdue"' if i < len(b.marks) and b.marks[i] else ""
        first, *rest = row
        cells = (
            f"<th>{escape(first)}</th>" + "".join(f"<td>{escape(c)}</td>" for c in rest)
            if not b.header
            else "".join(f"<td>{escape(c)}</td>" for c in row)
        )
        rows.append(f"<tr{mark}>{cells}</tr>")
    cls = ' class="signoff"' if b.kind == "signoff" else ""
    return f"<table{cls}>{'<tr>' + head + '</tr>' if head else ''}{''.join(rows)}</table>"


def render_html(report: AfterActionReport, plan: DrillPlan, lang: str, ctx: ReportContext) -> str:
    """Render the report as a self-contained printable page; all user text is escaped."""
    lang = lang if lang in ("zh-CN", "en") else "en"
    page = (
        labels(lang)["page"]
        .replace("{page}", '" counter(page) "')
        .replace("{pages}", '" counter(pages) "')
    )
    return PAGE.substitute(
        lang=lang,
        title=escape(plan.title),
        page=page,
        blocks="\n".join(_block(b) for b in build(report, plan, ctx, lang)),
    )

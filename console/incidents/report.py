"""The incident report: event, intensity table, impact, shelters, timeline (HTML and PDF)."""

from __future__ import annotations

import html
from typing import Any

from console.drills.pdf import CjkFont

LABELS: dict[str, dict[str, str]] = {
    "zh-CN": {
        "heading": "地震应急事件报告",
        "exercise": "演练 EXERCISE — 非真实事件",
        "event": "地震",
        "time": "发震时刻 (UTC)",
        "epicentre": "震中",
        "depth": "深度 (km)",
        "magnitude": "震级",
        "source": "来源",
        "strike": "长轴走向",
        "intensity": "各社区烈度",
        "community": "社区",
        "degree": "烈度",
        "spread": "范围",
        "impact": "影响评估",
        "displaced": "需安置人数",
        "unsheltered": "无处安置",
        "fatalities": "预估死亡（PAGER）",
        "teams": "需派救援队",
        "buildings": "严重破坏及毁坏建筑",
        "shelters": "避难场所",
        "shelter": "场所",
        "demand": "预计需求",
        "capacity": "容量",
        "status": "状态",
        "timeline": "时间线",
        "relations": "衰减关系",
        "revision": "修订",
    },
    "en": {
        "heading": "Earthquake incident report",
        "exercise": "EXERCISE 演练 — not a real event",
        "event": "Earthquake",
        "time": "Origin time (UTC)",
        "epicentre": "Epicentre",
        "depth": "Depth (km)",
        "magnitude": "Magnitude",
        "source": "Source",
        "strike": "Long axis",
        "intensity": "Intensity per community",
        "community": "Community",
        "degree": "Degree",
        "spread": "Spread",
        "impact": "Impact",
        "displaced": "Displaced residents",
        "unsheltered": "Without a place",
        "fatalities": "Fatalities (PAGER)",
        "teams": "Teams to send",
        "buildings": "Buildings severely damaged or destroyed",
        "shelters": "Shelters",
        "shelter": "Shelter",
        "demand": "Expected demand",
        "capacity": "Capacity",
        "status": "Status",
        "timeline": "Timeline",
        "relations": "Attenuation relations",
        "revision": "Revision",
    },
}


def lines(doc: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    """The report as (style, text) lines: h1, h2, p, row (shared by HTML and PDF)."""
    lb = LABELS.get(lang, LABELS["en"])
    inc, ev, tot = doc["incident"], doc["event"], doc["totals"]
    out: list[tuple[str, str]] = []
    if inc["is_exercise"]:
        out.append(("banner", lb["exercise"]))
    out.append(("h1", lb["heading"]))
    out.append(("h2", inc["title"]))
    out.append(("p", f"{lb['revision']}: {inc['revision']}"))
    out.append(("h2", lb["event"]))
    out.append(("p", f"{lb['time']}: {ev['origin_time']}"))
    out.append(("p", f"{lb['epicentre']}: {ev['lat']:.3f}, {ev['lon']:.3f}  {ev['place']}"))
    out.append(
        (
            "p",
            f"{lb['magnitude']}: {ev['mag_type']} {ev['magnitude']:g}   "
            f"{lb['depth']}: {ev['depth_km']:g}   {lb['source']}: {ev['source']}",
        )
    )
    out.append(
        ("p", f"{lb['strike']}: {tot['strike']['text'].get(lang, tot['strike']['text']['en'])}")
    )
    out.append(
        (
            "p",
            f"{lb['relations']}: "
            + ", ".join(r["name_zh"] if lang == "zh-CN" else r["name"] for r in tot["relations"]),
        )
    )
    out.append(("h2", lb["impact"]))
    fat = tot.get("fatalities") or {}
    b = tot["buildings"]
    for key, val in (
        ("displaced", tot["displaced"]),
        ("unsheltered", tot["unsheltered"]),
        ("buildings", round(b["severe"] + b["destroyed"], 1)),
        ("teams", tot["teams_to_send"]),
        (
            "fatalities",
            f"{fat.get('expected', '-')} ({fat.get('low', '-')}–{fat.get('high', '-')})",
        ),
    ):
        out.append(("p", f"{lb[key]}: {val}"))
    out.append(("h2", lb["intensity"]))
    out.append(("th", f"{lb['community']} | {lb['degree']} | {lb['spread']} | {lb['displaced']}"))
    for r in doc["communities"]:
        out.append(
            (
                "row",
                f"{r.get('name') or r['code']} ({r['code']}) | {r['roman']} "
                f"({r['intensity']:.1f}) | {r['intensity_low']:.1f}–{r['intensity_high']:.1f} "
                f"| {r['displaced']}",
            )
        )
    out.append(("h2", lb["shelters"]))
    out.append(("th", f"{lb['shelter']} | {lb['demand']} | {lb['capacity']} | {lb['status']}"))
    for s in doc["shelters"]:
        out.append(("row", f"{s['id']} | {s['expected_demand']} | {s['capacity']} | {s['status']}"))
    out.append(("h2", lb["timeline"]))
    for e in doc["timeline"]:
        out.append(("row", f"{e['at'][:19]} · {e['actor']} · {e['kind']}: {e['text']}"))
    return out


def render_html(doc: dict[str, Any], lang: str) -> str:
    """A printable HTML page."""
    tags = {
        "banner": 'p class="exercise"',
        "h1": "h1",
        "h2": "h2",
        "p": "p",
        "th": 'p class="th"',
        "row": 'p class="row"',
    }
    body = "\n".join(
        f"<{tags[k]}>{html.escape(t)}</{tags[k].split()[0]}>" for k, t in lines(doc, lang)
    )
    mark = "演练 EXERCISE " if doc["incident"]["is_exercise"] else ""
    return (
        f'<!doctype html><html lang="{html.escape(lang)}"><head><meta charset="utf-8">'
        f"<title>{html.escape(mark + doc['incident']['title'])}</title><style>"
        "body{font-family:sans-serif;margin:2em}.exercise{background:#b91c1c;color:#fff;"
        "padding:.5em;font-weight:bold;text-align:center}.row,.th{margin:.1em 0}"
        ".th{font-weight:bold}"
        "@media print{.exercise{-webkit-print-color-adjust:exact;print-color-adjust:exact}}"
        f"</style></head><body>{body}</body></html>"
    )


def render_pdf(doc: dict[str, Any], lang: str, font: CjkFont) -> bytes:
    """The report as PDF (fpdf2 with a CJK font; blocking: run in a thread)."""
    from fpdf import FPDF
    from fpdf.enums import WrapMode, XPos, YPos

    exercise = doc["incident"]["is_exercise"]

    class Doc(FPDF):
        def header(self) -> None:
            if exercise:  # every page says so
                self.set_font("cjk", size=11)
                self.set_text_color(185, 28, 28)
                self.cell(
                    0,
                    7,
                    LABELS.get(lang, LABELS["en"])["exercise"],
                    align="C",
                    new_x=XPos.LMARGIN,
                    new_y=YPos.NEXT,
                )
                self.set_text_color(0, 0, 0)

    pdf = Doc(format="A4")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_font("cjk", "", str(font.path), collection_font_number=font.index)
    pdf.set_title(doc["incident"]["title"])
    pdf.add_page()
    sizes = {"banner": 13, "h1": 17, "h2": 13, "p": 10, "th": 9.5, "row": 9}
    for kind, text in lines(doc, lang):
        if kind == "banner":
            continue
        pdf.set_font("cjk", size=sizes[kind])
        pdf.multi_cell(
            0,
            6 if kind in ("p", "row", "th") else 9,
            text,
            wrapmode=WrapMode.CHAR,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
    return bytes(pdf.output())

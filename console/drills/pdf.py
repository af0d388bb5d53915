"""After-action report as PDF (fpdf2) with a CJK font found on the system."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from console.errors import ProblemError
from drills.aar import AfterActionReport
from drills.models import DrillPlan
from drills.report_html import LABELS, SECTIONS

log = logging.getLogger(__name__)
# Simplified-Chinese faces first; a .ttc needs the face index of its SC member.
CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)


@dataclass(frozen=True)
class CjkFont:
    """A font file and, for collections, the face to use."""

    path: Path
    index: int


def _sc_index(path: Path) -> int:
    if path.suffix.lower() not in {".ttc", ".otc"}:
        return 0
    from fontTools.ttLib import TTCollection  # type: ignore[import-untyped]

    faces = TTCollection(str(path), lazy=True).fonts
    names = [str(f["name"].getDebugName(1) or "") for f in faces]
    for i, name in enumerate(names):
        if name.endswith(" SC") and "Mono" not in name:
            return i
    return 0


@functools.cache
def find_font() -> CjkFont | None:
    """The first CJK font installed, or None."""
    for cand in CANDIDATES:
        path = Path(cand)
        if path.is_file():
            return CjkFont(path, _sc_index(path))
    return None


def check_available() -> CjkFont:
    """The font to use; a 503 problem naming what to install when PDF output is impossible."""
    try:
        import fpdf  # noqa: F401
    except ImportError as exc:
        raise ProblemError(
            503, "PDF output needs the Python package fpdf2 (pip install fpdf2)", code="pdf-missing"
        ) from exc
    font = find_font()
    if font is None:
        raise ProblemError(
            503,
            "no CJK font installed: install the Debian package fonts-noto-cjk "
            "(or use the HTML print view)",
            code="font-missing",
        )
    return font


def render(
    report: AfterActionReport,
    plan: DrillPlan,
    lang: str,
    today: date,
    units: dict[int, str],
    font: CjkFont,
) -> bytes:
    """The printable report as PDF bytes (blocking: run in a thread)."""
    from fpdf import FPDF
    from fpdf.enums import WrapMode, XPos, YPos

    lb = LABELS.get(lang, LABELS["en"])
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_font("cjk", "", str(font.path), collection_font_number=font.index)
    pdf.set_title(plan.title)
    pdf.add_page()

    def line(text: str, size: float = 10.5, gap: float = 6) -> None:
        pdf.set_font("cjk", size=size)
        pdf.multi_cell(0, gap, text, wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    line(lb["heading"], 18, 10)
    line(plan.title, 14, 8)
    for key in SECTIONS:
        line(lb[key], 12.5, 8)
        line(getattr(report, key) or "-")
    if report.measures:
        m = report.measures
        line(lb["measures"], 12.5, 8)
        evac = "-" if m.evacuation_seconds is None else f"{m.evacuation_seconds:.0f}"
        rate = "-" if m.participation_rate is None else f"{m.participation_rate:.0%}"
        count = "-" if m.head_count is None else str(m.head_count)
        line(f"{lb['evacuation']}: {evac}    {lb['head_count']}: {count}")
        line(f"{lb['participation']}: {rate}")
    texts = {o.id: o.text for o in plan.objectives}
    line(lb["ratings"], 12.5, 8)
    for r in report.ratings:
        line(f"[{r.rating.value}] {texts.get(r.objective_id, r.objective_id)}")
    line(lb["actions"], 12.5, 8)
    for a in report.actions:
        state = lb["closed"] if a.status == "closed" else lb["open"]
        if a.is_overdue(today):
            state = lb["overdue"]
        owner = units.get(a.owner_unit_id, str(a.owner_unit_id))
        line(f"{a.text} · {lb['owner']}: {owner} · {lb['due']}: {a.due.isoformat()} · {state}")
    return bytes(pdf.output())

"""After-action report as PDF (fpdf2) with a CJK font found on the system."""

from __future__ import annotations

import functools
import io
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

from console.errors import ProblemError
from drills.report_doc import Block, all_text, labels

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
    from fontTools.ttLib import TTCollection

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


def ttf_subset(font: CjkFont, text: str) -> bytes:
    """The glyphs `text` needs from the CJK face, as a TrueType (glyf) font (blocking).

    Noto CJK is CFF-based; fpdf2 embeds CID-keyed CFF with its own encoding CMap, which pypdf
    reads as one NUL per character and pdfminer not at all. A TrueType subset is embedded as
    Identity-H with a ToUnicode map that every extractor reads.
    """
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.subset import Options, Subsetter
    from fontTools.ttLib import TTFont, newTable

    tt = TTFont(str(font.path), fontNumber=font.index)
    opts = Options()
    opts.layout_features = []
    opts.hinting = False
    opts.desubroutinize = True
    opts.notdef_outline = True
    opts.name_IDs = ["*"]
    sub = Subsetter(opts)
    sub.populate(text=text + "".join(chr(c) for c in range(32, 127)))
    sub.subset(tt)
    if "CFF " in tt:
        order = tt.getGlyphOrder()
        glyphs = tt.getGlyphSet()
        glyf = newTable("glyf")
        glyf.glyphOrder, glyf.glyphs = order, {}
        for name in order:
            pen = TTGlyphPen(glyphs)
            glyphs[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
            glyf.glyphs[name] = pen.glyph()
        tt["glyf"], tt["loca"] = glyf, newTable("loca")
        for tag in ("CFF ", "VORG"):
            if tag in tt:
                del tt[tag]
        maxp = tt["maxp"]
        maxp.tableVersion = 0x00010000
        for attr in (
            "maxTwilightPoints",
            "maxStorage",
            "maxFunctionDefs",
            "maxInstructionDefs",
            "maxStackElements",
            "maxSizeOfInstructions",
            "maxComponentElements",
        ):
            setattr(maxp, attr, 0)
        maxp.maxZones = 1
        tt["head"].glyphDataFormat = 0
        post = tt["post"]
        post.formatType, post.extraNames, post.mapping = 2.0, [], {}
        post.glyphOrder = order
        tt.sfntVersion = "\x00\x01\x00\x00"
    out = io.BytesIO()
    tt.save(out)
    return out.getvalue()


def render(blocks: list[Block], title: str, lang: str, font: CjkFont) -> bytes:
    """The printable report as PDF bytes, page numbers in the footer (blocking)."""
    from fpdf import FPDF
    from fpdf.enums import WrapMode, XPos, YPos

    page_label = labels(lang)["page"]

    class Report(FPDF):
        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("cjk", size=9)
            text = page_label.format(page=self.page_no(), pages="{nb}")
            self.cell(0, 6, text, align="C")

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cjk.ttf"
        path.write_bytes(ttf_subset(font, all_text(blocks, lang) + title))
        pdf = Report(format="A4")
        pdf.alias_nb_pages()
        pdf.set_auto_page_break(True, margin=18)
        pdf.add_font("cjk", "", str(path))
        pdf.set_title(title)
        pdf.set_lang(lang)
        pdf.add_page()

        def line(text: str, size: float = 10.5, gap: float = 6, indent: float = 0) -> None:
            pdf.set_font("cjk", size=size)
            pdf.set_x(pdf.l_margin + indent)
            pdf.multi_cell(
                0, gap, text or "-", wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT
            )

        for b in blocks:
            if b.kind == "title":
                line(b.text, 18, 10)
            elif b.kind == "subtitle":
                line(b.text, 14, 8)
            elif b.kind == "heading":
                pdf.ln(2)
                line(b.text, 12.5, 8)
            elif b.kind in ("para", "warning"):
                for para in b.text.splitlines() or [""]:
                    line(para)
            elif b.kind == "signoff":
                for label, name in b.rows:
                    line(f"{label}: {name or '_' * 16}", gap=9)
            else:
                if b.header:
                    line("    ".join(b.header), 9.5)
                for row in b.rows:
                    line(" · ".join(c for c in row if c) if b.header else ": ".join(row), indent=2)
        return bytes(pdf.output())

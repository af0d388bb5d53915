"""Text encodings of attribute files that do not say theirs (a .dbf without .cpg, a CSV).

Chinese tools write GBK/GB18030, Japanese ones Shift_JIS (CP932), newer ones UTF-8. Strict
decoding rules most candidates out; among those left, the text that reads as the most common
characters of its script wins: GB2312 hanzi for GBK, kana and JIS kanji for CP932. GBK bytes
read as CP932 turn into half-width katakana, Shift_JIS bytes read as GBK into rare hanzi, so
the wrong guess scores low.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# Names a user may choose, mapped to Python codecs.
ENCODINGS = {
    "utf-8": "utf-8",
    "gbk": "gbk",
    "gb18030": "gb18030",
    "gb2312": "gb18030",
    "cp936": "gbk",
    "cp932": "cp932",
    "shift_jis": "cp932",
    "sjis": "cp932",
    "big5": "big5",
    "latin1": "latin-1",
}
CANDIDATES = ("utf-8", "gb18030", "cp932", "big5")


@dataclass(frozen=True)
class Detected:
    """The chosen codec and the share of characters that read as plausible text."""

    codec: str
    plausible: float


def codec(name: str) -> str:
    """The Python codec for a user's encoding name; ValueError when unsupported."""
    key = name.strip().lower().replace("-", "_").replace(" ", "")
    key = {"utf_8": "utf-8", "utf8": "utf-8", "latin_1": "latin1", "iso8859_1": "latin1"}.get(
        key, key
    )
    if key not in ENCODINGS:
        raise ValueError(f"unsupported encoding {name!r} (use {', '.join(ENCODINGS)})")
    return ENCODINGS[key]


def _score(ch: str, candidate: str) -> int:
    """+1 for a character typical of text in this encoding, -2 for one that signals a misread."""
    o = ord(ch)
    if o < 0x80:
        return 1 if ch.isprintable() or ch in "\t\r\n" else -2
    if 0xFF61 <= o <= 0xFF9F or 0xE000 <= o <= 0xF8FF or 0x80 <= o <= 0x9F or o == 0xFFFD:
        return -2  # half-width katakana, private use, C1 controls: a misread
    if 0x3040 <= o <= 0x30FF or 0x3000 <= o <= 0x303F or 0xFF01 <= o <= 0xFF5E:
        return 1  # kana, CJK punctuation, full-width forms
    if 0x4E00 <= o <= 0x9FFF:
        common = "gb2312" if candidate != "cp932" else "euc_jp"
        try:
            ch.encode(common)
        except UnicodeEncodeError:
            return -1
        return 1
    return 0


def detect(samples: Iterable[bytes]) -> Detected | None:
    """The most plausible candidate codec for these byte strings, or None when none decodes."""
    data = [s for s in samples if s]
    if not data:
        return Detected("utf-8", 1.0)
    try:
        # Non-ASCII bytes that happen to be valid UTF-8 are almost never another encoding.
        for s in data:
            s.decode("utf-8")
        return Detected("utf-8", 1.0)
    except UnicodeDecodeError:
        pass
    best: Detected | None = None
    best_score = 0.0
    for cand in CANDIDATES[1:]:
        try:
            texts = [s.decode(cand) for s in data]
        except UnicodeDecodeError:
            continue
        chars = [c for t in texts for c in t if ord(c) >= 0x80]
        if not chars:
            continue
        score = sum(_score(c, cand) for c in chars) / len(chars)
        if best is None or score > best_score:
            best, best_score = Detected(cand, max(0.0, score)), score
    return best

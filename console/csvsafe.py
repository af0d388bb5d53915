"""CSV that spreadsheets cannot run: cells starting like a formula are written as text.

Every CSV the console exports goes through `writer()`. A cell that starts with `= + - @`, a
tab or a carriage return gets a leading apostrophe (OWASP's advice), unless it is a plain
number; a cell that already starts with an apostrophe before such a character gets one more,
so `unescape()` on import gives back exactly what was stored.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any, Protocol

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


class _Sink(Protocol):
    def write(self, s: str, /) -> Any: ...


def cell(value: Any) -> Any:
    """A cell value safe to open in a spreadsheet (non-text values pass unchanged)."""
    if not isinstance(value, str) or not value:
        return value
    if value[0] in TRIGGERS and not _NUMBER.match(value):
        return "'" + value
    if value[0] == "'" and len(value) > 1 and value[1] in (*TRIGGERS, "'"):
        return "'" + value
    return value


def unescape(value: str) -> str:
    """The stored text of a cell `cell()` wrote (for re-import of an export)."""
    if value[:1] == "'" and len(value) > 1 and value[1] in (*TRIGGERS, "'"):
        return value[1:]
    return value


class SafeWriter:
    """csv.writer whose rows are neutralised cell by cell."""

    def __init__(self, sink: _Sink) -> None:
        self._w = csv.writer(sink)

    def writerow(self, row: Iterable[Any]) -> Any:
        """Write one row."""
        return self._w.writerow([cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        """Write many rows."""
        for row in rows:
            self.writerow(row)


def writer(sink: _Sink) -> SafeWriter:
    """The writer every CSV export uses."""
    return SafeWriter(sink)

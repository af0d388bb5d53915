"""Parse shelter occupancy snapshots (one CSV per reporting time) into timed counts."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

# Japanese era start years minus one: 令和6年 is 2024.
ERAS = {"令和": 2018, "平成": 1988, "昭和": 1925}
_JP_TIME = re.compile(
    r"(令和|平成|昭和)(\d+|元)年(\d+)月(\d+)日\s*(?:(正午)|(午前|午後)?(\d+)時(?:(\d+)分)?)"
)
_ISO_TIME = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})[-_T ]?(\d{2}):?(\d{2})")
_KEY = ("ID", "id", "code", "fid")
_NAME = ("名称", "name")
_COUNT = ("人数", "count", "occupancy", "evacuees")
_TIME = ("時点", "at", "time")
_LON = ("経度", "lon", "lng", "longitude")
_LAT = ("緯度", "lat", "latitude")


class SnapshotError(ValueError):
    """A snapshot that cannot be read at all; the message names the file."""

    def __init__(self, code: str, msg: str) -> None:
        super().__init__(msg)
        self.code = code


@dataclass(frozen=True)
class Row:
    """One shelter's count in a snapshot."""

    key: str
    name: str
    count: int
    lon: float | None
    lat: float | None
    line: int


@dataclass
class Snapshot:
    """A snapshot's time, its good rows and its bad rows ({loc, msg, type})."""

    file: str
    taken_at: datetime
    rows: list[Row] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


def parse_time(text: str, tz: ZoneInfo) -> datetime | None:
    """A time written as 令和6年1月9日午後6時(30分), 正午, or 2024-01-09-1800, in tz."""
    m = _JP_TIME.search(text)
    if m:
        era, year, month, day, noon, ampm, hour, minute = m.groups()
        y = ERAS[era] + (1 if year == "元" else int(year))
        h = 12 if noon else int(hour)
        if ampm == "午後" and h < 12:
            h += 12
        return _make(y, int(month), int(day), h, int(minute or 0), tz)
    m = _ISO_TIME.search(text)
    if m:
        y, mo, d, hh, mi = (int(v) for v in m.groups())
        return _make(y, mo, d, hh, mi, tz)
    return None


def _make(y: int, mo: int, d: int, h: int, mi: int, tz: ZoneInfo) -> datetime | None:
    """An aware datetime, or None when the parts are out of range."""
    try:
        return datetime(y, mo, d, h, mi, tzinfo=tz)
    except ValueError:
        return None


def _column(header: list[str], names: tuple[str, ...], prefix: bool = False) -> str | None:
    """The first header cell equal to (or, with prefix, starting with) one of names."""
    for name in names:
        for col in header:
            if col == name or (prefix and col.startswith(name + "_")):
                return col
    return None


def _decode(file: str, data: bytes) -> str:
    """UTF-8 (BOM optional), else Shift_JIS/CP932 as Japanese spreadsheets save it."""
    for enc in ("utf-8-sig", "cp932"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise SnapshotError("encoding", f"file {file}: neither UTF-8 nor Shift_JIS text")


def _float(text: str) -> float | None:
    """A coordinate, or None when blank or not a number."""
    try:
        return float(text) if text.strip() else None
    except ValueError:
        return None


def parse_snapshot(file: str, data: bytes, tz: str = "Asia/Tokyo") -> Snapshot:
    """Read one snapshot; time from its 時点 column, count column name, or file name."""
    zone = ZoneInfo(tz)
    reader = csv.DictReader(io.StringIO(_decode(file, data)))
    header = [c.strip() for c in reader.fieldnames or []]
    reader.fieldnames = header
    key_col, count_col = _column(header, _KEY), _column(header, _COUNT, prefix=True)
    if key_col is None or count_col is None:
        missing = "an ID column" if key_col is None else "a count column (人数)"
        raise SnapshotError("missing_column", f"file {file}: no {missing}")
    name_col, time_col = _column(header, _NAME), _column(header, _TIME)
    lon_col, lat_col = _column(header, _LON), _column(header, _LAT)
    records = [(reader.line_num, r) for r in reader if any((v or "").strip() for v in r.values())]
    first_time = (records[0][1].get(time_col) or "") if time_col and records else ""
    taken = parse_time(first_time, zone) or parse_time(count_col, zone) or parse_time(file, zone)
    if taken is None:
        raise SnapshotError("no_time", f"file {file}: no time in its 時点 column, header or name")
    snap = Snapshot(file, taken)
    for line, rec in records:

        def get(col: str | None, rec: dict[str, Any] = rec) -> str:
            return str(rec.get(col) or "").strip() if col else ""

        problem = _check(get, key_col, count_col, time_col, taken, zone)
        if problem:
            msg, type_ = problem
            snap.errors.append({"loc": f"file {file} row {line}", "msg": msg, "type": type_})
            continue
        snap.rows.append(
            Row(
                key=get(key_col),
                name=get(name_col),
                count=int(get(count_col).replace(",", "")),
                lon=_float(get(lon_col)),
                lat=_float(get(lat_col)),
                line=line,
            )
        )
    return snap


def _check(
    get: Any, key: str, count: str, time: str | None, taken: datetime, zone: ZoneInfo
) -> tuple[str, str] | None:
    """The first problem of a row as (message, type), or None."""
    if not get(key):
        return f"{key}: required", "missing"
    text = get(count).replace(",", "")
    if not text.isdigit():
        return f"{count}: {get(count)!r} is not a whole number of persons >= 0", "int_parsing"
    if time and get(time) and parse_time(get(time), zone) != taken:
        return f"{time}: {get(time)!r} differs from the snapshot time", "time_mismatch"
    return None

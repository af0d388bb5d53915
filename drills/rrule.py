"""One RFC 5545 RRULE value: strict parsing, normalisation and a bounded expander.

The console accepts the daily-to-yearly subset a drill calendar needs (FREQ, INTERVAL, COUNT,
UNTIL, BYDAY, BYMONTHDAY, BYMONTH, BYSETPOS, WKST). Expansion walks one period (day, week,
month or year) at a time and never past a horizon, so a rule that can never occur (30 February)
costs a bounded number of steps instead of a walk to the year 9999.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from drills.errors import DrillError

HORIZON_YEARS = 10
DATE_MIN = datetime(2000, 1, 1, tzinfo=UTC)
DATE_MAX = datetime(2100, 12, 31, 23, 59, 59, tzinfo=UTC)
FREQS = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
SUBDAILY = ("SECONDLY", "MINUTELY", "HOURLY")
UNSUPPORTED = ("BYSECOND", "BYMINUTE", "BYHOUR", "BYYEARDAY", "BYWEEKNO", "RSCALE", "SKIP")
KNOWN = ("FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS", "WKST")
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
MAX_INTERVAL = 99
MAX_COUNT = 1000
_BYDAY = re.compile(r"^([+-]?)(\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
_UNTIL = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?$")
LOC = ("rrule",)


@dataclass(frozen=True)
class Rule:
    """A parsed rule; `until` is an aware UTC instant, weekdays count from Monday = 0."""

    freq: str
    interval: int = 1
    count: int | None = None
    until: datetime | None = None
    byday: tuple[tuple[int, int], ...] = ()
    bymonthday: tuple[int, ...] = ()
    bymonth: tuple[int, ...] = ()
    bysetpos: tuple[int, ...] = ()
    wkst: int = 0

    def text(self) -> str:
        """The canonical RRULE value (UNTIL in UTC, as RFC 5545 wants with a zoned DTSTART)."""
        out = [f"FREQ={self.freq}"]
        if self.interval != 1:
            out.append(f"INTERVAL={self.interval}")
        if self.count is not None:
            out.append(f"COUNT={self.count}")
        if self.until is not None:
            out.append(f"UNTIL={self.until.astimezone(UTC):%Y%m%dT%H%M%SZ}")
        if self.byday:
            out.append("BYDAY=" + ",".join(f"{n or ''}{DAYS[d]}" for n, d in self.byday))
        for key, vals in (
            ("BYMONTHDAY", self.bymonthday),
            ("BYMONTH", self.bymonth),
            ("BYSETPOS", self.bysetpos),
        ):
            if vals:
                out.append(f"{key}=" + ",".join(map(str, vals)))
        if self.wkst:
            out.append(f"WKST={DAYS[self.wkst]}")
        return ";".join(out)


def _bad(code: str, **params: object) -> DrillError:
    return DrillError(code, LOC, **params)


def _ints(key: str, raw: str, lo: int, hi: int, nonzero: bool = True) -> tuple[int, ...]:
    out = []
    for part in raw.split(","):
        try:
            n = int(part)
        except ValueError:
            raise _bad("rrule_value", part=key, value=raw) from None
        if not lo <= n <= hi or (nonzero and n == 0):
            raise _bad("rrule_value", part=key, value=raw)
        out.append(n)
    return tuple(sorted(set(out)))


def _until(raw: str, zone: ZoneInfo) -> datetime:
    m = _UNTIL.match(raw)
    if not m:
        raise _bad("rrule_until", value=raw)
    y, mo, d, hh, mm, ss, z = m.groups()
    try:
        if hh is None:
            # A bare date means "up to and including that day" in the plan's zone.
            local = datetime.combine(date(int(y), int(mo), int(d)), time(23, 59, 59))
            return local.replace(tzinfo=zone).astimezone(UTC)
        at = datetime(int(y), int(mo), int(d), int(hh), int(mm), int(ss))
    except ValueError:
        raise _bad("rrule_until", value=raw) from None
    return at.replace(tzinfo=UTC) if z else at.replace(tzinfo=zone).astimezone(UTC)


def _split(text: str) -> dict[str, str]:
    if "\r" in text or "\n" in text:
        raise _bad("rrule_multiline")
    raw = text.strip()
    if raw.upper().startswith("RRULE:"):
        raw = raw[6:]
    if ":" in raw:
        # DTSTART:, RDATE:, EXDATE: ... inside the value: only the rule itself is accepted.
        raise _bad("rrule_not_one_rule", value=raw.split(":", 1)[0][:40])
    parts: dict[str, str] = {}
    for item in filter(None, raw.split(";")):
        key, sep, val = item.partition("=")
        key = key.strip().upper()
        if not sep or not val.strip():
            raise _bad("rrule_part", part=item[:40])
        if key in UNSUPPORTED:
            raise _bad("rrule_unsupported", part=key)
        if key not in KNOWN:
            raise _bad("rrule_part", part=key[:40])
        if key in parts:
            raise _bad("rrule_duplicate", part=key)
        parts[key] = val.strip().upper()
    return parts


def parse(text: str, start: datetime, zone: ZoneInfo) -> Rule:
    """Validate one RRULE line against its DTSTART; raise DrillError naming the bad part."""
    parts = _split(text)
    freq = parts.get("FREQ")
    if freq is None:
        raise _bad("rrule_freq_missing")
    if freq in SUBDAILY:
        raise _bad("rrule_subdaily", freq=freq)
    if freq not in FREQS:
        raise _bad("rrule_value", part="FREQ", value=freq)
    if "COUNT" in parts and "UNTIL" in parts:
        raise _bad("rrule_count_and_until")
    for key in ("INTERVAL", "COUNT", "FREQ", "UNTIL", "WKST"):
        if "," in parts.get(key, ""):
            raise _bad("rrule_value", part=key, value=parts[key])
    byday = []
    for item in parts.get("BYDAY", "").split(",") if "BYDAY" in parts else []:
        m = _BYDAY.match(item)
        if not m or (m.group(2) and not 1 <= int(m.group(2)) <= 53):
            raise _bad("rrule_value", part="BYDAY", value=parts["BYDAY"])
        n = int(m.group(2) or 0) * (-1 if m.group(1) == "-" else 1)
        if n and freq not in ("MONTHLY", "YEARLY"):
            raise _bad("rrule_value", part="BYDAY", value=parts["BYDAY"])
        byday.append((n, DAYS.index(m.group(3))))
    rule = Rule(
        freq=freq,
        interval=_ints("INTERVAL", parts["INTERVAL"], 1, MAX_INTERVAL)[0]
        if "INTERVAL" in parts
        else 1,
        count=_ints("COUNT", parts["COUNT"], 1, MAX_COUNT)[0] if "COUNT" in parts else None,
        until=_until(parts["UNTIL"], zone) if "UNTIL" in parts else None,
        byday=tuple(sorted(set(byday))),
        bymonthday=_ints("BYMONTHDAY", parts["BYMONTHDAY"], -31, 31)
        if "BYMONTHDAY" in parts
        else (),
        bymonth=_ints("BYMONTH", parts["BYMONTH"], 1, 12) if "BYMONTH" in parts else (),
        bysetpos=_ints("BYSETPOS", parts["BYSETPOS"], -366, 366) if "BYSETPOS" in parts else (),
        wkst=DAYS.index(parts["WKST"]) if parts.get("WKST") in DAYS else 0,
    )
    if "WKST" in parts and parts["WKST"] not in DAYS:
        raise _bad("rrule_value", part="WKST", value=parts["WKST"])
    if rule.bymonthday and freq == "WEEKLY":
        raise _bad("rrule_value", part="BYMONTHDAY", value=parts["BYMONTHDAY"])
    if rule.bysetpos and not (rule.byday or rule.bymonthday or rule.bymonth):
        raise _bad("rrule_value", part="BYSETPOS", value=parts["BYSETPOS"])
    if rule.until is not None:
        if rule.until > DATE_MAX:
            raise _bad("date_out_of_range", value=parts["UNTIL"], max=DATE_MAX.date().isoformat())
        if rule.until < start:
            raise _bad("rrule_until_before_start", until=rule.until.isoformat())
    if next(candidates(rule, _naive(start, zone), zone), None) is None:
        raise _bad("rrule_no_occurrence", years=HORIZON_YEARS)
    return rule


def _naive(at: datetime, zone: ZoneInfo) -> datetime:
    return at.astimezone(zone).replace(tzinfo=None)


def _add_months(year: int, month: int, n: int) -> tuple[int, int]:
    k = year * 12 + month - 1 + n
    return k // 12, k % 12 + 1


def _nth(days: list[date], rule: Rule) -> list[date]:
    # BYDAY with ordinals counts within `days` (a month, or a year without BYMONTH).
    out = set()
    for n, wd in rule.byday:
        hits = [d for d in days if d.weekday() == wd]
        if n == 0:
            out.update(hits)
        elif -len(hits) <= n <= len(hits) and n:
            out.add(hits[n - 1] if n > 0 else hits[n])
    return sorted(out)


def _monthdays(year: int, month: int, rule: Rule, dtstart: date) -> list[date]:
    last = calendar.monthrange(year, month)[1]
    days = [date(year, month, d) for d in range(1, last + 1)]
    if not rule.bymonthday and not rule.byday:
        return [date(year, month, dtstart.day)] if dtstart.day <= last else []
    # BYDAY ordinals count within the whole month; BYMONTHDAY then limits (RFC 5545 table).
    if rule.byday:
        days = _nth(days, rule)
    if rule.bymonthday:
        wanted = _monthday_set(year, month, rule.bymonthday)
        days = [d for d in days if d.day in wanted]
    return days


def _period(rule: Rule, k: int, dtstart: date) -> list[date]:
    """Dates of the k-th period (before BYSETPOS)."""
    step = k * rule.interval
    if rule.freq == "DAILY":
        d = dtstart + timedelta(days=step)
        keep = (
            (not rule.bymonth or d.month in rule.bymonth)
            and (not rule.byday or d.weekday() in {wd for _, wd in rule.byday})
            and (not rule.bymonthday or d.day in _monthday_set(d.year, d.month, rule.bymonthday))
        )
        return [d] if keep else []
    if rule.freq == "WEEKLY":
        first = (
            dtstart - timedelta(days=(dtstart.weekday() - rule.wkst) % 7) + timedelta(weeks=step)
        )
        wds = {wd for _, wd in rule.byday} or {dtstart.weekday()}
        # The first week starts at DTSTART, as dateutil (and so most clients) count BYSETPOS.
        week = [first + timedelta(days=i) for i in range(7) if first + timedelta(days=i) >= dtstart]
        return [
            d for d in week if d.weekday() in wds and (not rule.bymonth or d.month in rule.bymonth)
        ]
    if rule.freq == "MONTHLY":
        y, m = _add_months(dtstart.year, dtstart.month, step)
        if rule.bymonth and m not in rule.bymonth:
            return []
        return _monthdays(y, m, rule, dtstart)
    year = dtstart.year + step
    if rule.byday and not rule.bymonth:
        n = 366 if calendar.isleap(year) else 365
        days = _nth([date(year, 1, 1) + timedelta(days=i) for i in range(n)], rule)
        if rule.bymonthday:
            days = [d for d in days if d.day in _monthday_set(year, d.month, rule.bymonthday)]
        return days
    months = rule.bymonth or (range(1, 13) if rule.bymonthday else (dtstart.month,))
    return [d for m in months for d in _monthdays(year, m, rule, dtstart)]


def _monthday_set(year: int, month: int, monthdays: tuple[int, ...]) -> set[int]:
    last = calendar.monthrange(year, month)[1]
    return {n if n > 0 else last + 1 + n for n in monthdays}


def _setpos(days: list[date], pos: tuple[int, ...]) -> list[date]:
    if not pos:
        return days
    return sorted({days[p - 1] if p > 0 else days[p] for p in pos if -len(days) <= p <= len(days)})


def horizon(dtstart: datetime) -> datetime:
    """The last local time a rule is expanded to."""
    try:
        return dtstart.replace(year=dtstart.year + HORIZON_YEARS)
    except ValueError:  # 29 February
        return dtstart.replace(year=dtstart.year + HORIZON_YEARS, day=28)


def candidates(rule: Rule, dtstart: datetime, zone: ZoneInfo) -> Iterator[datetime]:
    """Naive local occurrence times the rule itself yields from `dtstart`, in order, bounded.

    DTSTART is not added here (see `occurrences`); COUNT is not applied. The walk stops at
    UNTIL or at the horizon, whichever is first, even when no period yields a date.
    """
    stop = horizon(dtstart)
    if rule.until is not None:
        stop = min(stop, _naive(rule.until, zone))
    at, k = dtstart.time(), 0
    while True:
        k = _skip_months(rule, k, dtstart.date())
        days = _setpos(_period(rule, k, dtstart.date()), rule.bysetpos)
        first_of_period = _period_start(rule, k, dtstart.date())
        if datetime.combine(first_of_period, time.min) > stop:
            return
        for d in days:
            occ = datetime.combine(d, at)
            if occ > stop:
                return
            if occ >= dtstart:
                yield occ
        k += 1


def _skip_months(rule: Rule, k: int, dtstart: date) -> int:
    """For a daily rule limited to some months, the first period at or after k in one of them."""
    if rule.freq != "DAILY" or not rule.bymonth:
        return k
    day = dtstart + timedelta(days=k * rule.interval)
    if day.month in rule.bymonth:
        return k
    y, m = day.year, day.month
    while m not in rule.bymonth:
        y, m = _add_months(y, m, 1)
    gap = (date(y, m, 1) - dtstart).days
    return max(k, -(-gap // rule.interval))


def _period_start(rule: Rule, k: int, dtstart: date) -> date:
    step = k * rule.interval
    if rule.freq == "DAILY":
        return dtstart + timedelta(days=step)
    if rule.freq == "WEEKLY":
        return dtstart - timedelta(days=(dtstart.weekday() - rule.wkst) % 7) + timedelta(weeks=step)
    if rule.freq == "MONTHLY":
        y, m = _add_months(dtstart.year, dtstart.month, step)
        return date(y, m, 1)
    return date(dtstart.year + step, 1, 1)


def occurrences(rule: Rule, dtstart: datetime, zone: ZoneInfo) -> Iterator[datetime]:
    """Naive local starts: DTSTART first (RFC 5545 counts it), then the rule, COUNT applied."""
    n = 0
    limit = rule.count
    yield dtstart
    n += 1
    for occ in candidates(rule, dtstart, zone):
        if limit is not None and n >= limit:
            return
        if occ == dtstart:
            continue
        yield occ
        n += 1

"""VTIMEZONE components with RRULE observances, from the zone's current POSIX TZ rule.

Calendar clients (Outlook, and vobject/dateutil readers) expect a yearly rule per observance;
lists of RDATEs were misread (every Berlin summer occurrence an hour late). The rule in force is
the POSIX TZ string at the end of the zone's TZif file (RFC 8536), e.g. "CET-1CEST,M3.5.0,
M10.5.0/3": it holds for the years the console plans for (2000-2100) in all but zones whose
rules changed since, where the current rule is still the right one for future drills.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard, vRecur

_NAME = r"(?:[A-Za-z]{3,}|<[+\-0-9A-Za-z]+>)"
_OFF = r"[+-]?\d{1,3}(?::\d{2}(?::\d{2})?)?"
_TZ = re.compile(
    rf"^(?P<std>{_NAME})(?P<soff>{_OFF})"
    rf"(?:(?P<dst>{_NAME})(?P<doff>{_OFF})?,(?P<start>[^,]+),(?P<end>[^,]+))?$"
)
_RULE = re.compile(r"^M(\d{1,2})\.(\d)\.(\d)(?:/([+-]?\d{1,3}(?::\d{2}(?::\d{2})?)?))?$")
DAYS = ("SU", "MO", "TU", "WE", "TH", "FR", "SA")  # POSIX counts weekdays from Sunday


class UnsupportedZone(ValueError):
    """The zone's rule cannot be written as yearly RRULEs (the caller falls back)."""


@dataclass(frozen=True)
class _Transition:
    month: int
    week: int  # 1..5, 5 = last
    weekday: int  # 0 = Sunday
    at: timedelta  # local time of day in the offset before the change


def _seconds(text: str) -> int:
    sign = -1 if text.startswith("-") else 1
    parts = [int(p) for p in text.lstrip("+-").split(":")]
    parts += [0] * (3 - len(parts))
    return sign * (parts[0] * 3600 + parts[1] * 60 + parts[2])


def posix_rule(name: str) -> str:
    """The POSIX TZ string at the end of the zone's TZif file."""
    try:
        data = resources.files("tzdata").joinpath("zoneinfo", *name.split("/")).read_bytes()
    except (ModuleNotFoundError, FileNotFoundError):
        data = (Path("/usr/share/zoneinfo") / name).read_bytes()
    if not data.startswith(b"TZif") or data[4:5] < b"2":
        raise UnsupportedZone(f"{name}: no TZif v2 footer")
    return data.rstrip(b"\n").rsplit(b"\n", 1)[-1].decode("ascii")


def _transition(text: str) -> _Transition:
    m = _RULE.match(text)
    if not m:
        raise UnsupportedZone(f"rule {text!r} is not of the Mm.w.d form")
    at = timedelta(seconds=_seconds(m.group(4)) if m.group(4) else 7200)
    if not timedelta(0) <= at < timedelta(hours=24):
        raise UnsupportedZone(f"transition time {m.group(4)} is outside the day")
    return _Transition(int(m.group(1)), int(m.group(2)), int(m.group(3)), at)


def _first_in_1970(t: _Transition) -> datetime:
    first = datetime(1970, t.month, 1)
    offset = (t.weekday - (first.isoweekday() % 7)) % 7
    day = first + timedelta(days=offset + 7 * (t.week - 1))
    while day.month != t.month:  # week 5 = the last such weekday
        day -= timedelta(days=7)
    return day + t.at


def _observance(
    kind: type[TimezoneStandard] | type[TimezoneDaylight],
    name: str,
    start: datetime,
    frm: timedelta,
    to: timedelta,
    t: _Transition | None,
) -> TimezoneStandard | TimezoneDaylight:
    obs = kind()
    obs.add("dtstart", start)
    obs.add("tzoffsetfrom", frm)
    obs.add("tzoffsetto", to)
    obs.add("tzname", name.strip("<>"))
    if t is not None:
        nth = -1 if t.week == 5 else t.week
        obs.add("rrule", vRecur(freq="YEARLY", bymonth=t.month, byday=f"{nth}{DAYS[t.weekday]}"))
    return obs


@functools.cache
def vtimezone(name: str) -> Timezone:
    """A VTIMEZONE for `name` with one STANDARD and, where DST exists, one DAYLIGHT rule."""
    rule = posix_rule(name)
    m = _TZ.match(rule)
    if not m:
        raise UnsupportedZone(f"{name}: cannot read TZ rule {rule!r}")
    # POSIX offsets are west-positive: CET-1 is UTC+01:00.
    std = timedelta(seconds=-_seconds(m.group("soff")))
    tz = Timezone()
    tz.add("tzid", name)
    if not m.group("dst"):
        tz.add_component(
            _observance(TimezoneStandard, m.group("std"), datetime(1970, 1, 1), std, std, None)
        )
        return tz
    dst = (
        timedelta(seconds=-_seconds(m.group("doff")))
        if m.group("doff")
        else std + timedelta(hours=1)
    )
    on, off = _transition(m.group("start")), _transition(m.group("end"))
    tz.add_component(
        _observance(TimezoneDaylight, m.group("dst"), _first_in_1970(on), std, dst, on)
    )
    tz.add_component(
        _observance(TimezoneStandard, m.group("std"), _first_in_1970(off), dst, std, off)
    )
    return tz

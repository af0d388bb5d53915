"""Public holidays and working days: China's official schedule from maintained packages.

`chinese-calendar` carries the State Council's published schedule: every day of each break and
the make-up working days (调休) on weekends. For years it does not cover yet, the statutory days
are projected with `holidays` (lunar dates computed, no make-up days) and marked provisional
until the year's notice is published and the package updated. A site may add its own blackout
days from a JSON file ({"holidays": [{"name", "from", "to"}]}).
"""

from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

log = logging.getLogger(__name__)

# Holiday keys (translated in the UI as drills.holiday.<key>) with their names.
NAMES: dict[str, tuple[str, str]] = {
    "new_years_day": ("元旦", "New Year's Day"),
    "spring_festival": ("春节", "Spring Festival"),
    "tomb_sweeping_day": ("清明节", "Qingming Festival"),
    "labour_day": ("劳动节", "Labour Day"),
    "dragon_boat_festival": ("端午节", "Dragon Boat Festival"),
    "mid_autumn_festival": ("中秋节", "Mid-Autumn Festival"),
    "national_day": ("国庆节", "National Day"),
    "anti_fascist_70th_day": ("抗战胜利70周年纪念日", "Victory Day (70th anniversary)"),
    "site": ("本地禁排日", "Site blackout day"),
}
# `holidays` (projection) English names -> keys.
_PROJECTED = (
    ("Spring Festival", "spring_festival"),
    ("Chinese New Year", "spring_festival"),
    ("New Year", "new_years_day"),
    ("Tomb-Sweeping", "tomb_sweeping_day"),
    ("Labor Day", "labour_day"),
    ("Dragon Boat", "dragon_boat_festival"),
    ("Mid-Autumn", "mid_autumn_festival"),
    ("National Day", "national_day"),
)


@dataclass(frozen=True)
class Holiday:
    """One day off: its key, display name and whether the year's schedule is provisional."""

    day: date
    key: str
    name: str
    provisional: bool = False


@dataclass(frozen=True)
class YearInfo:
    """What the console knows about a year's holidays."""

    year: int
    provisional: bool
    source: str


def parse(doc: dict[str, Any]) -> dict[date, str]:
    """Expand {"holidays": [{"name", "from", "to"}]} into one entry per day."""
    days: dict[date, str] = {}
    for i, h in enumerate(doc.get("holidays", [])):
        try:
            first, last = date.fromisoformat(h["from"]), date.fromisoformat(h.get("to", h["from"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"holidays[{i}]: needs ISO dates 'from' and 'to'") from exc
        if last < first or last - first > timedelta(days=31):
            raise ValueError(f"holidays[{i}]: 'to' must be within 31 days after 'from'")
        day = first
        while day <= last:
            days[day] = str(h.get("name", ""))
            day += timedelta(days=1)
    return days


def load(path: Path) -> dict[date, str]:
    """A site's own blackout days with their names."""
    return parse(json.loads(path.read_text("utf-8")))


def _official_years() -> range:
    import chinese_calendar

    years = sorted({d.year for d in chinese_calendar.holidays})
    return range(years[0], years[-1] + 1)


@functools.cache
def _official() -> tuple[dict[date, str], frozenset[date], range]:
    import chinese_calendar
    from chinese_calendar.constants import Holiday as CnHoliday

    keys = {h.value: h.name for h in CnHoliday}
    days = {d: keys.get(name, "site") for d, name in chinese_calendar.holidays.items()}
    return days, frozenset(chinese_calendar.workdays), _official_years()


@functools.cache
def _projected(year: int) -> dict[date, str]:
    """Statutory days of a year not yet published, plus the weekend days joining them."""
    import holidays as hol

    found: dict[date, str] = {}
    for day, name in hol.country_holidays("CN", years=year, language="en_US").items():
        key = next((k for needle, k in _PROJECTED if needle in str(name)), None)
        if key is not None:
            found[day] = key
    # A break takes in the weekend next to it (a Monday Qingming makes a 3-day break).
    for day, key in sorted(found.items()):
        for step in (-1, 1):
            d = day + timedelta(days=step)
            while d.weekday() >= 5 and d not in found and d.year == year:
                found[d] = key
                d += timedelta(days=step)
    return found


@dataclass
class HolidayCalendar:
    """China's public holidays (optional) plus a site's own days, judged in the site's zone."""

    zone: ZoneInfo
    national: bool = True
    site_days: dict[date, str] = field(default_factory=dict)

    def __hash__(self) -> int:
        return id(self)

    def official_years(self) -> range:
        """Years whose schedule the installed package carries as published."""
        return _official()[2] if self.national else range(0)

    def is_provisional(self, year: int) -> bool:
        """True when the year's national holidays are projected, not published."""
        return self.national and year not in self.official_years()

    def year_info(self, year: int) -> YearInfo:
        """Provisional flag and source for a year."""
        if not self.national:
            return YearInfo(year, False, "site")
        if year in self.official_years():
            return YearInfo(year, False, "chinese-calendar")
        return YearInfo(year, True, "holidays (projected statutory days)")

    def holiday(self, day: date) -> Holiday | None:
        """The holiday on `day`, if any (a site's own day wins)."""
        if day in self.site_days:
            return Holiday(day, "site", self.site_days[day] or NAMES["site"][1])
        if not self.national:
            return None
        official, _, years = _official()
        if day.year in years:
            key = official.get(day)
            return Holiday(day, key, NAMES.get(key, (key, key))[1]) if key else None
        key = _projected(day.year).get(day)
        return Holiday(day, key, NAMES[key][1], provisional=True) if key else None

    def is_workday(self, day: date) -> bool:
        """Working day: a weekday that is no holiday, or a make-up working day (调休)."""
        if day in self.site_days:
            return False
        if self.national:
            _, workdays, years = _official()
            if day.year in years and day in workdays:
                return True
        return day.weekday() < 5 and self.holiday(day) is None

    def is_workday_at(self, at: datetime) -> bool:
        """Whether the instant falls on a working day in the site's zone."""
        return self.is_workday(at.astimezone(self.zone).date())

    def year(self, year: int) -> tuple[list[Holiday], list[date]]:
        """A year's holidays and make-up working days, in date order."""
        day, days, makeup = date(year, 1, 1), [], []
        while day.year == year:
            if h := self.holiday(day):
                days.append(h)
            elif day.weekday() >= 5 and self.is_workday(day):
                makeup.append(day)
            day += timedelta(days=1)
        return days, makeup

    def blackouts(self, years: range) -> dict[date, Holiday]:
        """Every holiday in `years` (for the scheduling rules)."""
        out: dict[date, Holiday] = {}
        for y in years:
            out.update({h.day: h for h in self.year(y)[0]})
        return out

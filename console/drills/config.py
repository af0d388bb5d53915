"""Drills settings: scheduling rules, holidays and working days, requirements, reminders.

Defaults suit a Chinese district (14 days between drills of one community, China's public
holidays as blackout dates with make-up working days, one evacuation drill per community per
year); a site changes them in the `[drills]` group of its settings (console.settings).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from console.services import Services
from console.settings import DrillsSettings
from drills import holidays
from drills.compliance import Requirement
from drills.schedule import ScheduleRules

log = logging.getLogger(__name__)
EXTENSION = "drills_config"
LEADS: tuple[tuple[str, timedelta], ...] = (
    ("24h", timedelta(hours=24)),
    ("1h", timedelta(hours=1)),
)
# Blackout dates are listed for these years around today (plans are bounded to 2000-2100).
YEARS_BACK, YEARS_AHEAD = 2, 11


@dataclass
class DrillsConfig:
    """Effective drills configuration held in `services.extensions`."""

    rules: ScheduleRules
    calendar: holidays.HolidayCalendar
    requirements: list[Requirement] = field(default_factory=lambda: [Requirement()])
    timezone: str = "Asia/Shanghai"
    reminder_interval_s: float = 60.0
    start_early: timedelta = timedelta(hours=2)
    start_late: timedelta = timedelta(hours=24)


def build(raw: DrillsSettings, timezone: str, today: date | None = None) -> DrillsConfig:
    """The effective configuration from the settings group (a bad blackout file fails loudly)."""
    zone = ZoneInfo(timezone)
    site = holidays.load(raw.blackout_file) if raw.blackout_file else {}
    cal = holidays.HolidayCalendar(zone, national=raw.public_holidays == "CN", site_days=site)
    year = (today or date.today()).year
    days = cal.blackouts(range(year - YEARS_BACK, year + YEARS_AHEAD + 1))
    days.update({d: h for d in site if (h := cal.holiday(d)) is not None})
    rules = ScheduleRules(
        community_gap=timedelta(days=raw.community_gap_days),
        blackout_dates=frozenset(days),
        blackout_names={d: h.name for d, h in days.items()},
        blackout_keys={d: h.key for d, h in days.items()},
        provisional_years=frozenset(
            y for y in range(year - YEARS_BACK, year + YEARS_AHEAD + 1) if cal.is_provisional(y)
        ),
        zone=zone,
        calendar=cal,
    )
    return DrillsConfig(
        rules=rules,
        calendar=cal,
        requirements=list(raw.requirements),
        timezone=timezone,
        reminder_interval_s=raw.reminder_interval_s,
        start_early=timedelta(minutes=raw.start_early_minutes),
        start_late=timedelta(hours=raw.start_late_hours),
    )


def config(services: Services) -> DrillsConfig:
    """The drills configuration, built on first use."""
    found = services.extensions.get(EXTENSION)
    if isinstance(found, DrillsConfig):
        return found
    cfg = build(services.settings.drills, services.settings.site.timezone)
    services.extensions[EXTENSION] = cfg
    return cfg

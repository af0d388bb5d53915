"""Drills settings: scheduling rules, blackout dates, requirements, reminder leads.

Defaults suit a Chinese district (14 days between drills of one community, China's public
holidays as blackout dates, one evacuation drill per community per year); a site changes them
in the `[drills]` group of its settings (see console.settings.DrillsSettings).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

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


@dataclass
class DrillsConfig:
    """Effective drills configuration held in `services.extensions`."""

    rules: ScheduleRules
    requirements: list[Requirement] = field(default_factory=lambda: [Requirement()])
    timezone: str = "Asia/Shanghai"
    reminder_interval_s: float = 60.0


def build(raw: DrillsSettings, timezone: str) -> DrillsConfig:
    """The effective configuration from the settings group (a bad blackout file fails loudly)."""
    days = holidays.load(raw.blackout_file)
    rules = ScheduleRules(
        community_gap=timedelta(days=raw.community_gap_days),
        blackout_dates=frozenset(days),
        blackout_names=days,
    )
    return DrillsConfig(
        rules=rules,
        requirements=list(raw.requirements),
        timezone=timezone,
        reminder_interval_s=raw.reminder_interval_s,
    )


def config(services: Services) -> DrillsConfig:
    """The drills configuration, built on first use."""
    found = services.extensions.get(EXTENSION)
    if isinstance(found, DrillsConfig):
        return found
    cfg = build(services.settings.drills, services.settings.site.timezone)
    services.extensions[EXTENSION] = cfg
    return cfg

"""Blackout dates: China's public holidays shipped as data, or a site's own list."""

from __future__ import annotations

import json
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

DEFAULT_FILE = "cn_public_holidays.json"


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


def load(path: Path | None = None) -> dict[date, str]:
    """Blackout days with their holiday names, from `path` or the shipped default file."""
    if path is None:
        text = resources.files("drills").joinpath("data", DEFAULT_FILE).read_text("utf-8")
    else:
        text = path.read_text("utf-8")
    return parse(json.loads(text))

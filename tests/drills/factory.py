"""Plan factory shared by the drills tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from drills.models import Drill, DrillPlan

SH = ZoneInfo("Asia/Shanghai")


def plan(start: datetime | None = None, hours: float = 2, **kw: Any) -> DrillPlan:
    s = start or datetime(2026, 5, 12, 9, 0, tzinfo=SH)
    data: dict[str, Any] = {
        "title": "Earthquake evacuation",
        "type": "community_evacuation",
        "community_ids": ["c-1"],
        "venue_shelter_id": "s-1",
        "organising_unit": "u-eq",
        "start": s,
        "end": s + timedelta(hours=hours),
    }
    data.update(kw)
    return DrillPlan.model_validate(data)


def drill(id_: str, status: str = "scheduled", **kw: Any) -> Drill:
    return Drill(id=id_, plan=plan(**kw), status=status)

"""Helpers for the drills API tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

SH = ZoneInfo("Asia/Shanghai")


def plan_body(
    unit: int = 3, start: datetime | None = None, shelter: str = "S01", **kw: Any
) -> dict[str, Any]:
    """A valid plan as JSON."""
    s = start or datetime(2027, 5, 12, 9, 0, tzinfo=SH)
    data: dict[str, Any] = {
        "title": "社区地震疏散演练",
        "type": "community_evacuation",
        "community_ids": ["C01"],
        "venue_shelter_id": shelter,
        "organising_unit": str(unit),
        "start": s.isoformat(),
        "end": (s + timedelta(hours=2)).isoformat(),
        "expected_residents": 200,
    }
    data.update(kw)
    return data


async def create_drill(c: httpx.AsyncClient, drill_id: str, unit: int = 3, **kw: Any) -> str:
    """Create a drill and return its id."""
    r = await c.post("/api/drills", json={"id": drill_id, "plan": plan_body(unit, **kw)})
    assert r.status_code == 201, r.text
    return drill_id

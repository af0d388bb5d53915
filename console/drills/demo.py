"""Demo drills: past reviewed drills, upcoming ones, a conflict to resolve (idempotent)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from console.drills.models import DrillRow
from console.services import Services
from console.store.models import Unit
from drills.models import DrillPlan

TZ = ZoneInfo("Asia/Shanghai")


def _plan(title: str, community: str, shelter: str, start: datetime, unit: int) -> DrillPlan:
    return DrillPlan.model_validate(
        {
            "title": title,
            "type": "community_evacuation",
            "scenario": "M6.5 earthquake, evacuate to the shelter",
            "community_ids": [community],
            "venue_shelter_id": shelter,
            "start": start,
            "end": start + timedelta(hours=2),
            "organising_unit": str(unit),
            "expected_residents": 300,
            "team_ids": [f"team-{community}"],
        }
    )


async def seed(services: Services) -> None:
    """Add the demo drills that are not there yet."""
    today = datetime.now(TZ).replace(hour=9, minute=0, second=0, microsecond=0)
    async with services.store.session() as db, db.begin():
        codes = dict((await db.execute(select(Unit.code, Unit.id))).all())
        unit = int(codes.get("eqo", next(iter(codes.values()))))
        existing = set((await db.scalars(select(DrillRow.id))).all())
        demo = [
            ("demo-past-c01", "C01 疏散演练", "C01", "S01", today - timedelta(days=60), "reviewed"),
            (
                "demo-past-c02",
                "C02 疏散演练",
                "C02",
                "S02",
                today - timedelta(days=30),
                "completed",
            ),
            (
                "demo-next-c03",
                "C03 疏散演练",
                "C03",
                "S03",
                today + timedelta(days=14),
                "scheduled",
            ),
            # Same shelter and time as demo-next-c03: the conflict to resolve.
            ("demo-next-c04", "C04 疏散演练", "C04", "S03", today + timedelta(days=14), "draft"),
        ]
        for drill_id, title, community, shelter, start, status in demo:
            if drill_id in existing:
                continue
            plan = _plan(title, community, shelter, start, unit)
            db.add(
                DrillRow(
                    id=drill_id,
                    organising_unit_id=unit,
                    participating_unit_ids=[],
                    plan=plan.model_dump(mode="json"),
                    status=status,
                    version=1,
                )
            )

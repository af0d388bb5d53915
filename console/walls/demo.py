"""Demo wall and tour for the operator."""

from __future__ import annotations

from sqlalchemy import select

from console.services import Services
from console.store.models import User
from console.walls.models import Tour, Wall


async def seed(services: Services) -> None:
    """A shared 4-tile wall and a tour over the demo cameras (idempotent)."""
    async with services.store.session() as db, db.begin():
        op = await db.scalar(select(User).where(User.username == "operator"))
        if op is None or await db.scalar(select(Wall.id).where(Wall.owner_id == op.id)):
            return
        wall = Wall(
            name="值班墙 Duty wall",
            layout="4",
            shared=True,
            owner_id=op.id,
            unit_id=op.unit_id,
            tiles=["YX-0001", "YX-0003", "YX-0004", "YX-0005"],
        )
        db.add(wall)
        await db.flush()
        steps = [
            {"kind": "camera", "ref": c, "dwell_s": 10} for c in ("YX-0001", "YX-0004", "YX-0007")
        ]
        steps.append({"kind": "wall", "ref": str(wall.id), "dwell_s": 20})
        db.add(
            Tour(
                name="早班巡视 Morning tour",
                steps=steps,
                shared=True,
                owner_id=op.id,
                unit_id=op.unit_id,
            )
        )

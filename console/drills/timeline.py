"""Stored timeline entries <-> domain entries, and the measures computed from them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from console.drills.models import DrillEventRow, DrillRow
from console.drills.schemas import TimelineItem
from drills.conduct import EntryKind, Measures, TimelineEntry, measure


def item(r: DrillEventRow) -> TimelineItem:
    """API form of a stored entry."""
    return TimelineItem(id=r.id, kind=r.kind, at=r.at, count=r.count, note=r.note, author=r.author)


def entry(r: DrillEventRow) -> TimelineEntry:
    """Domain form of a stored entry."""
    return TimelineEntry(
        kind=EntryKind(r.kind), at=r.at, author_id=r.author or "?", count=r.count, text=r.note
    )


async def rows(db: AsyncSession, drill_id: str) -> list[DrillEventRow]:
    """A drill's entries in time order."""
    stmt = select(DrillEventRow).where(DrillEventRow.drill_id == drill_id)
    return list(await db.scalars(stmt.order_by(DrillEventRow.at, DrillEventRow.id)))


async def measures(db: AsyncSession, row: DrillRow) -> tuple[list[DrillEventRow], Measures]:
    """The drill's entries and the figures computed from them."""
    found = await rows(db, row.id)
    expected = int(row.plan.get("expected_residents") or 0)
    return found, measure([entry(r) for r in found], expected)

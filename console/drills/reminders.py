"""Reminders 24 h and 1 h before each drill occurrence, published once each."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from console.drills import service
from console.drills.config import LEADS, config
from console.drills.models import DrillReminderRow, DrillRow
from console.services import Services
from drills.expand import WorkCalendar
from drills.schedule import reminders_due
from drills.workflow import Status

log = logging.getLogger(__name__)
DUE = {Status.scheduled.value, Status.approved.value}


def _due(
    drills: list[Any],
    now: datetime,
    sent: dict[str, set[tuple[str, str]]],
    calendar: WorkCalendar | None = None,
) -> list[tuple[str, str, datetime]]:
    # A 24 h reminder is only useful while the 1 h one is not due yet.
    out: list[tuple[str, str, datetime]] = []
    shorter = timedelta(0)
    for lead, within in sorted(LEADS, key=lambda lw: lw[1]):
        for drill_id, start in reminders_due(drills, now, within, sent[lead], calendar):
            if start - now > shorter:
                out.append((lead, drill_id, start))
        shorter = within
    return out


async def tick(services: Services, now: datetime) -> list[dict[str, Any]]:
    """Publish the reminders due at `now` that were not sent yet; return their payloads."""
    async with services.store.session() as db:
        rows = {r.id: r for r in await db.scalars(select(DrillRow).where(DrillRow.status.in_(DUE)))}
        if not rows:
            return []
        sent: dict[str, set[tuple[str, str]]] = {lead: set() for lead, _ in LEADS}
        for s in await db.scalars(
            select(DrillReminderRow).where(DrillReminderRow.drill_id.in_(list(rows)))
        ):
            sent.setdefault(s.lead, set()).add((s.drill_id, s.occurrence))
        drills = [service.as_drill(r) for r in rows.values()]
        due = await asyncio.to_thread(_due, drills, now, sent, config(services).calendar)
        payloads = []
        for lead, drill_id, start in due:
            db.add(DrillReminderRow(drill_id=drill_id, occurrence=start.isoformat(), lead=lead))
            row = rows[drill_id]
            payloads.append(
                (
                    row,
                    {
                        "drill_id": drill_id,
                        "title": row.plan.get("title", ""),
                        "start": start.isoformat(),
                        "lead": lead,
                        "venue_shelter_id": row.plan.get("venue_shelter_id"),
                    },
                )
            )
        await db.commit()
    for row, data in payloads:
        await services.bus.publish("drills.reminder", data, audience=service.audience(row))
    return [data for _, data in payloads]


async def run(services: Services) -> None:
    """Tick forever at the configured interval; a failing tick is logged, never fatal."""
    interval = config(services).reminder_interval_s
    while True:
        try:
            await tick(services, service.now())
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("drill reminder tick failed")
        await asyncio.sleep(interval)

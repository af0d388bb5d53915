"""Scheduling routes: conflicts, plan check, month/week calendar."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select

from console.auth.policy import Principal
from console.bounds import id_query
from console.deps import DbDep, ServicesDep, require
from console.drills import service
from console.drills.config import config
from console.drills.models import DrillRow
from console.drills.schemas import CalendarOut, CheckOut, ConflictOut, Occurrence
from console.errors import ProblemError
from drills.models import Drill, DrillPlan, DrillType
from drills.schedule import ScheduleRules, in_range

router = APIRouter(prefix="/api/drills", tags=["drills"])
Reader = Annotated[Principal, Depends(require("drills.read"))]
Writer = Annotated[Principal, Depends(require("drills.write"))]


@router.get("/{drill_id}/conflicts", response_model=CheckOut)
async def drill_conflicts(
    drill_id: str, principal: Reader, services: ServicesDep, db: DbDep
) -> CheckOut:
    """Conflicts of a stored drill with every other active drill, explained."""
    row = await service.load(services, db, principal, drill_id, "drills.read")
    plan = DrillPlan.model_validate(row.plan)
    _, _, expansion = await service.validate(db, plan, "plan")
    found = await service.conflicts(db, row.id, plan, config(services).rules)
    return CheckOut(
        conflicts=found,
        occurrence_count=len(expansion.starts),
        truncated=expansion.capped,
        cap=expansion.cap,
    )


@router.post("/check", response_model=CheckOut)
async def check_plan(
    body: DrillPlan,
    principal: Writer,
    services: ServicesDep,
    db: DbDep,
    drill_id: Annotated[str | None, Query(max_length=64, description="Drill being edited")] = None,
) -> CheckOut:
    """Validate a plan and list its conflicts without storing it."""
    plan = service.normalise(body)
    _, _, expansion = await service.validate(db, plan, "body")
    found: list[ConflictOut] = await service.conflicts(
        db, drill_id or "", plan, config(services).rules
    )
    return CheckOut(
        conflicts=found,
        occurrence_count=len(expansion.starts),
        truncated=expansion.capped,
        cap=expansion.cap,
    )


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ProblemError(
            422,
            f"query.tz: unknown IANA time zone {tz!r}",
            code="validation",
            errors=[{"loc": "query.tz", "msg": "unknown time zone", "type": "timezone"}],
        ) from exc


def _window(view: str, day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    if view == "week":
        monday = day - timedelta(days=day.weekday())
        first = datetime(monday.year, monday.month, monday.day, tzinfo=zone)
        return first, first + timedelta(days=7)
    first = datetime(day.year, day.month, 1, tzinfo=zone)
    nxt = datetime(day.year + day.month // 12, day.month % 12 + 1, 1, tzinfo=zone)
    return first, nxt


def _occurrences(
    visible: list[tuple[Drill, int]],
    active: list[Drill],
    window: tuple[datetime, datetime],
    filters: dict[str, str | None],
    rules: ScheduleRules,
    zone: ZoneInfo,
) -> list[Occurrence]:
    # Blocking: RRULE expansion and pairwise conflict checks run in a worker thread.
    org = {d.id: unit for d, unit in visible}
    hits = in_range(
        [d for d, _ in visible],
        *window,
        unit=filters["unit"],
        community=filters["community"],
        type_=filters["type_"],
    )
    flagged = service.conflicting_ids(active, rules) if hits else set()
    out = []
    for d, start in hits:
        dur = d.plan.end - d.plan.start
        out.append(
            Occurrence(
                drill_id=d.id,
                title=d.plan.title,
                type=d.plan.type.value,
                start=start.astimezone(zone),
                end=(start + dur).astimezone(zone),
                status=d.status,
                community_ids=d.plan.community_ids,
                venue_shelter_id=d.plan.venue_shelter_id,
                organising_unit_id=org[d.id],
                conflict=d.id in flagged,
            )
        )
    return out


@router.get("/calendar", response_model=CalendarOut)
async def calendar(
    principal: Reader,
    services: ServicesDep,
    db: DbDep,
    view: Literal["month", "week"] = "month",
    day: Annotated[date | None, Query(alias="date", description="Any day in the period")] = None,
    unit: Annotated[int | None, id_query("Organising or participating unit")] = None,
    community: Annotated[str | None, Query(max_length=64)] = None,
    type_: Annotated[DrillType | None, Query(alias="type")] = None,
    tz: Annotated[str | None, Query(max_length=64, description="IANA zone")] = None,
) -> CalendarOut:
    """Occurrences (recurrences expanded, exceptions removed) in a month or ISO week."""
    cfg = config(services)
    zone = _zone(tz or cfg.timezone)
    when = day or datetime.now(zone).date()
    window = _window(view, when, zone)
    rows = list(await db.scalars(select(DrillRow)))
    visible = [
        (service.as_drill(r), r.organising_unit_id)
        for r in rows
        if service.visible(r, principal.unit_scope)
    ]
    active = [service.as_drill(r) for r in rows if r.status in service.ACTIVE]
    filters: dict[str, str | None] = {
        "unit": str(unit) if unit is not None else None,
        "community": community,
        "type_": type_.value if type_ else None,
    }
    items = await asyncio.to_thread(_occurrences, visible, active, window, filters, cfg.rules, zone)
    return CalendarOut(view=view, start=window[0], end=window[1], tz=str(zone), items=items)

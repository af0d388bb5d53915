"""Scheduling routes: conflicts, plan check, month/week calendar."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from console.auth.policy import Principal, authorize
from console.bounds import id_query
from console.deps import DbDep, ServicesDep, require
from console.drills import service
from console.drills.config import DrillsConfig, config
from console.drills.models import DrillRow
from console.drills.schemas import (
    CalendarOut,
    CheckOut,
    ConflictOut,
    HolidayOut,
    HolidaysOut,
    Occurrence,
)
from console.errors import ProblemError
from console.store import changes
from console.viewcache import cached_json
from drills.holidays import NAMES
from drills.models import DayBounded, Drill, DrillPlan, DrillType
from drills.schedule import ScheduleRules, in_range
from drills.workflow import Status

router = APIRouter(prefix="/api/drills", tags=["drills"])
Reader = Annotated[Principal, Depends(require("drills.read"))]
Writer = Annotated[Principal, Depends(require("drills.write"))]


@router.get("/{drill_id}/conflicts", response_model=CheckOut)
async def drill_conflicts(
    drill_id: str, principal: Reader, services: ServicesDep, db: DbDep
) -> CheckOut:
    """Conflicts of a stored drill with every other active drill, explained."""
    row = await service.load(services, db, principal, drill_id, "drills.read")
    cfg = config(services)
    plan = service.stored_plan(row)
    _, _, expansion = await service.validate(db, plan, "plan", cfg)
    found = await service.conflicts(db, row.id, plan, cfg.rules, principal)
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
    cfg = config(services)
    plan = service.normalise(body)
    _, _, expansion = await service.validate(db, plan, "body", cfg)
    editing = await db.get(DrillRow, drill_id) if drill_id else None
    if (
        editing is not None
        and not authorize(principal, "drills.read", service.resource(editing)).allowed
    ):
        # A drill the caller cannot see is not "the one being edited": leaving it out of the
        # comparison would tell its id from a missing one.
        editing = None
    found: list[ConflictOut] = await service.conflicts(
        db, editing.id if editing else "", plan, cfg.rules, principal
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
        calendar=rules.calendar,
    )
    shown = {d.id for d, _ in hits}
    flagged = service.conflicting_ids([d for d in active if d.id in shown], active, rules)
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
    request: Request,
    principal: Reader,
    services: ServicesDep,
    db: DbDep,
    view: Literal["month", "week"] = "month",
    day: Annotated[
        DayBounded | None, Query(alias="date", description="Any day in the period (2000-2100)")
    ] = None,
    unit: Annotated[int | None, id_query("Organising or participating unit")] = None,
    community: Annotated[str | None, Query(max_length=64)] = None,
    type_: Annotated[DrillType | None, Query(alias="type")] = None,
    tz: Annotated[str | None, Query(max_length=64, description="IANA zone")] = None,
) -> Response:
    """Occurrences (recurrences expanded, exceptions removed) in a month or ISO week."""
    cfg = config(services)
    zone = _zone(tz or cfg.timezone)
    when = day or datetime.now(zone).date()
    window = _window(view, when, zone)
    # Occurrences depend on the drills, the caller's unit scope, the window (today's date when
    # none is given) and the filters; the configuration object is replaced, never changed.
    kind = type_.value if type_ else None
    scope = principal.unit_scope
    key = ("drills.calendar", scope, view, window, str(zone), unit, community, kind, id(cfg))
    return await cached_json(
        request,
        services,
        key,
        changes.stamp(("drills",)),
        lambda: _calendar(db, principal, cfg, view, window, zone, unit, community, type_),
    )


async def _calendar(
    db: AsyncSession,
    principal: Principal,
    cfg: DrillsConfig,
    view: Literal["month", "week"],
    window: tuple[datetime, datetime],
    zone: ZoneInfo,
    unit: int | None,
    community: str | None,
    type_: DrillType | None,
) -> CalendarOut:
    # Only drills whose stored bounds touch the window (or are unknown) are read and expanded.
    rows = list(
        await db.scalars(
            select(DrillRow).where(
                DrillRow.status != Status.cancelled.value,
                or_(DrillRow.first_start.is_(None), DrillRow.first_start < window[1]),
                or_(DrillRow.last_end.is_(None), DrillRow.last_end > window[0]),
            )
        )
    )
    visible = [
        (service.as_drill(r), r.organising_unit_id)
        for r in rows
        if service.visible(r, principal.unit_scope)
    ]
    active = await service.active_drills(db)
    filters: dict[str, str | None] = {
        "unit": str(unit) if unit is not None else None,
        "community": community,
        "type_": type_.value if type_ else None,
    }
    items = await asyncio.to_thread(_occurrences, visible, active, window, filters, cfg.rules, zone)
    return CalendarOut(view=view, start=window[0], end=window[1], tz=str(zone), items=items)


@router.get("/holidays", response_model=HolidaysOut)
async def holidays_of_year(
    principal: Reader,
    services: ServicesDep,
    year: Annotated[int, Query(ge=2000, le=2100, description="Calendar year")],
) -> HolidaysOut:
    """A year's public holidays and make-up working days, and whether they are provisional."""
    cal = config(services).calendar
    days, makeup = await asyncio.to_thread(cal.year, year)
    info = cal.year_info(year)
    return HolidaysOut(
        year=year,
        provisional=info.provisional,
        source=info.source,
        holidays=[
            HolidayOut(
                date=h.day,
                key=h.key,
                name=h.name,
                name_zh=NAMES.get(h.key, (h.name, h.name))[0] if h.key != "site" else h.name,
                provisional=h.provisional,
            )
            for h in days
        ],
        workdays=makeup,
    )

"""After-action report storage helpers: load with measures, prefill, API form."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from console.drills import service, timeline
from console.drills.config import config
from console.drills.models import DrillReportRow, DrillRow
from console.drills.schemas import ActionOut, ReportOut
from console.gis.models import Feature
from console.services import Services
from console.store.models import Unit, User
from drills.aar import AfterActionReport
from drills.conduct import measure
from drills.report_doc import LoggedEntry, ReportContext
from drills.workflow import Status


def today(services: Services) -> date:
    """Today in the site's drills time zone (due dates are local dates)."""
    return datetime.now(ZoneInfo(config(services).timezone)).date()


async def unit_names(db: AsyncSession) -> dict[int, str]:
    """Unit id -> name."""
    return {u.id: u.name for u in await db.scalars(select(Unit))}


async def draft(db: AsyncSession, row: DrillRow) -> AfterActionReport:
    """A first report prefilled from the plan so the coordinator edits rather than retypes."""
    plan = service.stored_plan(row)
    z = plan.zone
    venue = await db.scalar(
        select(Feature).where(Feature.layer == "shelters", Feature.fid == plan.venue_shelter_id)
    )
    place = (
        str(venue.properties.get("name", plan.venue_shelter_id)) if venue else plan.venue_shelter_id
    )
    names = await unit_names(db)
    fmt = "%Y-%m-%d %H:%M"
    return AfterActionReport(
        drill_id=row.id,
        purpose="\n".join(o.text for o in plan.objectives),
        time_and_place=(
            f"{plan.start.astimezone(z).strftime(fmt)} – {plan.end.astimezone(z).strftime(fmt)}"
            f" ({plan.timezone}), {place}"
        ),
        participants="、".join(names.get(u, str(u)) for u in sorted(service.units(row))),
        plan_summary=plan.scenario,
    )


async def load_report(db: AsyncSession, row: DrillRow) -> tuple[AfterActionReport, int]:
    """The stored report (or a prefilled draft, version 0) with measures from the timeline."""
    stored = await db.get(DrillReportRow, row.id)
    report = AfterActionReport.model_validate(stored.report) if stored else await draft(db, row)
    _, measures = await timeline.measures(db, row)
    locked = row.status == Status.reviewed.value
    return report.model_copy(update={"measures": measures, "reviewed": locked}), (
        stored.version if stored else 0
    )


async def context(services: Services, db: AsyncSession, row: DrillRow) -> ReportContext:
    """Names, evaluators and the timeline the printed report shows."""
    names = await unit_names(db)
    plan = service.stored_plan(row)
    users = {u.username: (u.display_name or u.username) for u in await db.scalars(select(User))}
    entries = await timeline.rows(db, row.id)
    return ReportContext(
        today=today(services),
        organiser=names.get(row.organising_unit_id, str(row.organising_unit_id)),
        units=names,
        participants=[names.get(u, str(u)) for u in row.participating_unit_ids],
        evaluators=[users.get(e, e) for e in plan.evaluator_ids],
        timeline=[
            LoggedEntry(e.kind, e.at, e.count, e.note, users.get(e.author, e.author))
            for e in entries
        ],
    )


def to_out(report: AfterActionReport, version: int, day: date) -> ReportOut:
    """API form with overdue flags."""
    data = report.model_dump(exclude={"actions", "reviewed", "measures"})
    return ReportOut(
        **data,
        version=version,
        locked=report.reviewed,
        actions=[ActionOut(**a.model_dump(), overdue=a.is_overdue(day)) for a in report.actions],
        measures=report.measures or measure([], 0),
    )

"""Drill requirements: per-community compliance and the overdue list."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from console.auth.policy import Principal
from console.deps import DbDep, ServicesDep, require
from console.drills import service
from console.drills.config import config
from console.drills.models import DrillRow
from console.drills.schemas import ComplianceOut, ComplianceRow
from console.gis import store as gis_store
from console.services import Services
from drills.compliance import DONE, CommunityCompliance, Requirement, evaluate, overdue
from drills.models import Drill

router = APIRouter(prefix="/api/drills", tags=["drills"])
Reader = Annotated[Principal, Depends(require("drills.read"))]


async def communities(db: AsyncSession) -> dict[str, str]:
    """Community code (or feature id without one) -> name, from the GIS layer."""
    out = {}
    for f in await gis_store.load(db, "communities", None):
        code = str(f.properties.get("code") or f.fid)
        out[code] = str(f.properties.get("name") or code)
    return out


def _as_codes(drills: list[Drill], fid_to_code: dict[str, str]) -> list[Drill]:
    # Plans may name a community by feature id or by code; compliance counts by code.
    out = []
    for d in drills:
        ids = [fid_to_code.get(c, c) for c in d.plan.community_ids]
        out.append(d.model_copy(update={"plan": d.plan.model_copy(update={"community_ids": ids})}))
    return out


async def _evaluate(
    services: Services, db: AsyncSession, now: datetime
) -> tuple[dict[str, str], list[Drill], list[tuple[Requirement, list[CommunityCompliance]]]]:
    names = await communities(db)
    fid_to_code = {
        f.fid: str(f.properties.get("code") or f.fid)
        for f in await gis_store.load(db, "communities", None)
    }
    rows = await db.scalars(select(DrillRow).where(DrillRow.status.in_(DONE)))
    done = _as_codes([service.as_drill(r) for r in rows], fid_to_code)
    results = []
    for rule in config(services).requirements:
        found = await asyncio.to_thread(evaluate, list(names), done, rule, now)
        results.append((rule, found))
    return names, done, results


def _row(c: CommunityCompliance, name: str, in_year: int) -> ComplianceRow:
    return ComplianceRow(
        community_id=c.community_id,
        name=name,
        requirement_id=c.requirement_id,
        drills_held=c.drills_in_period,
        drills_in_year=in_year,
        drills_past_12_months=c.drills_past_12_months,
        last_drill=c.last_drill,
        compliant=c.compliant,
        overdue=not c.compliant,
        overdue_since=c.overdue_since,
    )


def _in_year(
    drills: list[Drill], community: str, rule: Requirement, year: int, tz: ZoneInfo
) -> int:
    return sum(
        community in d.plan.community_ids
        and d.plan.type in rule.types
        and d.plan.end.astimezone(tz).year == year
        for d in drills
    )


@router.get("/compliance", response_model=ComplianceOut)
async def compliance(
    principal: Reader,
    services: ServicesDep,
    db: DbDep,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="Calendar year")] = None,
) -> ComplianceOut:
    """Per community: drills held, last drill, compliant or overdue (as of the year's end)."""
    tz = ZoneInfo(config(services).timezone)
    today = datetime.now(tz).date()
    year = year or today.year
    as_of = today if year >= today.year else date(year, 12, 31)
    now = datetime.now(UTC) if as_of == today else datetime(year, 12, 31, 23, 59, tzinfo=tz)
    names, done, results = await _evaluate(services, db, now)
    items = [
        _row(
            c,
            names.get(c.community_id, c.community_id),
            _in_year(done, c.community_id, rule, year, tz),
        )
        for rule, found in results
        for c in found
    ]
    return ComplianceOut(year=year, as_of=as_of, items=items)


@router.get("/overdue", response_model=ComplianceOut)
async def overdue_list(principal: Reader, services: ServicesDep, db: DbDep) -> ComplianceOut:
    """Communities not meeting a requirement today, never-drilled first."""
    tz = ZoneInfo(config(services).timezone)
    today = datetime.now(tz).date()
    names, done, results = await _evaluate(services, db, datetime.now(UTC))
    items = [
        _row(
            c,
            names.get(c.community_id, c.community_id),
            _in_year(done, c.community_id, rule, today.year, tz),
        )
        for rule, found in results
        for c in overdue(found)
    ]
    return ComplianceOut(year=today.year, as_of=today, items=items)

"""Per-community drill figures for readiness: last drill, drills in 12 months, actions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from console.drills import service
from console.drills.models import DrillReportRow, DrillRow
from console.gis import store as gis_store
from drills.aar import AfterActionReport
from drills.compliance import DONE


@dataclass(frozen=True)
class CommunityDrillStats:
    """What readiness needs to know about a community's drills."""

    last_drill: date | None = None
    drills_12m: int = 0
    open_actions: int = 0
    overdue_actions: int = 0


async def community_drill_stats(db: AsyncSession, now: datetime) -> dict[str, CommunityDrillStats]:
    """Stats keyed by community code; only completed or reviewed drills count.

    Every community of the GIS layer gets an entry (zeros when it never drilled); corrective
    actions count against every community of their drill.
    """
    feats = await gis_store.load(db, "communities", None)
    fid_to_code = {f.fid: str(f.properties.get("code") or f.fid) for f in feats}
    last: dict[str, date] = {}
    count: dict[str, int] = {}
    opened: dict[str, int] = {}
    late: dict[str, int] = {}
    year_ago = now - timedelta(days=365)
    rows = {r.id: r for r in await db.scalars(select(DrillRow).where(DrillRow.status.in_(DONE)))}
    plans = {i: service.stored_plan(r) for i, r in rows.items()}
    codes = {i: {fid_to_code.get(c, c) for c in p.community_ids} for i, p in plans.items()}
    for i, p in plans.items():
        if p.end > now:
            continue
        day = p.end.astimezone(p.zone).date()
        for c in codes[i]:
            if c not in last or day > last[c]:
                last[c] = day
            if p.end > year_ago:
                count[c] = count.get(c, 0) + 1
    today = now.date()
    for rep in await db.scalars(
        select(DrillReportRow).where(DrillReportRow.drill_id.in_(list(rows)))
    ):
        report = AfterActionReport.model_validate(rep.report)
        open_ = [a for a in report.actions if a.status == "open"]
        overdue = sum(a.is_overdue(today) for a in open_)
        for c in codes.get(rep.drill_id, set()):
            opened[c] = opened.get(c, 0) + len(open_)
            late[c] = late.get(c, 0) + overdue
    keys = set(fid_to_code.values()) | set(last) | set(opened)
    return {
        k: CommunityDrillStats(
            last_drill=last.get(k),
            drills_12m=count.get(k, 0),
            open_actions=opened.get(k, 0),
            overdue_actions=late.get(k, 0),
        )
        for k in sorted(keys)
    }

"""Demo drills: past reviewed drills with reports and actions, upcoming ones, a conflict to
resolve and an overdue community (idempotent; runs after the GIS demo layers)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from shapely.geometry import LineString, Point, box
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from console.drills.config import config
from console.drills.models import DrillEventRow, DrillReportRow, DrillRow
from console.drills.service import set_bounds
from console.gis import store as gis_store
from console.services import Services
from console.store.models import Unit
from drills.models import DrillPlan

log = logging.getLogger(__name__)
TZ = ZoneInfo("Asia/Shanghai")
LON, LAT = 113.2950, 23.1300


async def _ensure_places(db: AsyncSession) -> None:
    # The GIS demo normally provides these; a minimal set keeps the drills demo standalone.
    if await gis_store.load(db, "communities", None):
        return
    log.info("no demo communities found: adding a minimal set for the drills demo")
    comms, shelters, routes, teams = [], [], [], []
    for i in range(1, 5):
        x = LON + 0.012 * i
        code = f"DS{i:02d}"
        comms.append(
            (
                code,
                box(x - 0.005, LAT - 0.005, x + 0.005, LAT + 0.005),
                {"name": f"东山示范社区{i}", "code": code, "population": 4000, "households": 1500},
            )
        )
        shelters.append(
            (
                f"SH{i:02d}",
                box(x, LAT, x + 0.001, LAT + 0.001),
                {"name": f"示范应急避难场所{i}", "capacity": 1200},
            )
        )
        routes.append(
            (
                f"RT{i:02d}",
                LineString([(x - 0.004, LAT - 0.003), (x, LAT)]),
                {"name": f"疏散路线{i}", "community_code": code},
            )
        )
        teams.append(
            (
                f"TM{i:02d}",
                Point(x, LAT - 0.002),
                {"community_code": code, "name": f"志愿救援队{i}", "head_count": 20},
            )
        )
    for layer, items in (
        ("communities", comms),
        ("shelters", shelters),
        ("routes", routes),
        ("teams", teams),
    ):
        await gis_store.upsert(db, layer, items, "demo")


async def _places(db: AsyncSession) -> tuple[list[str], list[str], dict[str, str], dict[str, str]]:
    comms = [
        str(f.properties.get("code") or f.fid)
        for f in await gis_store.load(db, "communities", None)
    ]
    shelters = [f.fid for f in await gis_store.load(db, "shelters", None)]
    routes: dict[str, str] = {}
    for f in await gis_store.load(db, "routes", None):
        routes.setdefault(str(f.properties.get("community_code") or ""), f.fid)
    teams: dict[str, str] = {}
    for f in await gis_store.load(db, "teams", None):
        teams.setdefault(str(f.properties.get("community_code") or ""), f.fid)
    return comms, shelters, routes, teams


def _plan(
    title: str,
    kind: str,
    community: str,
    shelter: str,
    start: datetime,
    unit: int,
    routes: dict[str, str],
    teams: dict[str, str],
    **extra: Any,
) -> DrillPlan:
    data: dict[str, Any] = {
        "title": title,
        "type": kind,
        "scenario": (
            "6.5 级地震，居民按疏散路线撤离至应急避难场所 / "
            "M6.5 earthquake, evacuate to the shelter"
        ),
        "community_ids": [community],
        "venue_shelter_id": shelter,
        "route_ids": [routes[community]] if community in routes else [],
        "team_ids": [teams[community]] if community in teams else [],
        "start": start,
        "end": start + timedelta(hours=2),
        "organising_unit": str(unit),
        "expected_residents": 300,
        "objectives": [
            {
                "id": "o1",
                "text": "15 分钟内完成疏散 / Evacuate within 15 minutes",
                "capability": "evacuation",
            },
            {
                "id": "o2",
                "text": "10 分钟内完成人员清点 / Head count within 10 minutes",
                "capability": "mass_care",
            },
        ],
    }
    data.update(extra)
    return DrillPlan.model_validate(data)


def _timeline(drill_id: str, start: datetime, evac_min: float, count: int) -> list[DrillEventRow]:
    steps = [
        ("alarm_sounded", 5, None, ""),
        ("evacuation_started", 6, None, ""),
        ("assembly_complete", 5 + evac_min, None, ""),
        ("head_count", 8 + evac_min, count, ""),
        ("note", 9 + evac_min, None, "3 号楼楼道杂物影响通行 / clutter in block 3 stairwell"),
        ("all_clear", 40, None, ""),
    ]
    return [
        DrillEventRow(
            drill_id=drill_id,
            kind=k,
            at=start + timedelta(minutes=m),
            count=c,
            note=n,
            author="coordinator",
        )
        for k, m, c, n in steps
    ]


def _report(drill_id: str, today: datetime, owner: int, overdue: bool) -> dict[str, Any]:
    actions = [
        {
            "id": "a1",
            "text": "清理 3 号楼楼道杂物 / Clear block 3 stairwell",
            "owner_unit_id": owner,
            "due": (today - timedelta(days=10) if overdue else today + timedelta(days=20))
            .date()
            .isoformat(),
            "status": "open",
            "closed_at": None,
        },
        {
            "id": "a2",
            "text": "更新独居老人名单 / Update the list of elderly living alone",
            "owner_unit_id": owner,
            "due": (today + timedelta(days=45)).date().isoformat(),
            "status": "open",
            "closed_at": None,
        },
        {
            "id": "a3",
            "text": "补充避难场所指示牌 / Add shelter signs",
            "owner_unit_id": owner,
            "due": (today - timedelta(days=5)).date().isoformat(),
            "status": "closed",
            "closed_at": (today - timedelta(days=7)).isoformat(),
        },
    ]
    return {
        "drill_id": drill_id,
        "purpose": "检验社区地震应急疏散预案和居民疏散能力",
        "time_and_place": "",
        "participants": "街道办事处、社区居委会、志愿救援队、居民",
        "plan_summary": "警报 → 按路线疏散 → 避难场所集合 → 清点人数 → 解除",
        "problems_and_causes": "3 号楼楼道堆放杂物，疏散受阻；居民名单未及时更新。",
        "lessons": "疏散路线需定期巡查。",
        "recommendations": "每季度检查楼道；名单每月更新。",
        "ratings": [
            {
                "objective_id": "o1",
                "rating": "S",
                "strengths": ["警报及时"],
                "areas_for_improvement": ["楼道通行"],
            },
            {
                "objective_id": "o2",
                "rating": "P",
                "strengths": ["清点迅速"],
                "areas_for_improvement": [],
            },
        ],
        "actions": actions,
    }


async def seed(services: Services) -> None:
    """Add the demo drills that are not there yet."""
    today = datetime.now(TZ).replace(hour=9, minute=0, second=0, microsecond=0)
    async with services.store.session() as db, db.begin():
        await _ensure_places(db)
        comms, shelters, routes, teams = await _places(db)
        if not comms or not shelters:
            log.warning("drills demo skipped: no communities or shelters")
            return
        codes = dict((await db.execute(select(Unit.code, Unit.id))).all())
        unit = int(codes.get("eqo", next(iter(codes.values()))))
        street = int(codes.get("street-a", unit))
        existing = set((await db.scalars(select(DrillRow.id))).all())

        def c(i: int) -> str:
            return comms[i % len(comms)]

        def s(i: int) -> str:
            return shelters[i % len(shelters)]

        # (id, title, community, shelter, start, status, timeline, report, extra plan fields)
        demo: list[tuple[str, str, str, str, datetime, str, bool, bool, dict[str, Any]]] = [
            (
                "demo-past-1",
                f"{c(0)} 社区地震疏散演练",
                c(0),
                s(0),
                today - timedelta(days=60),
                "reviewed",
                True,
                True,
                {},
            ),
            (
                "demo-past-2",
                f"{c(1)} 社区地震疏散演练",
                c(1),
                s(1),
                today - timedelta(days=30),
                "completed",
                True,
                True,
                {},
            ),
            (
                "demo-next-1",
                f"{c(2)} 社区地震疏散演练",
                c(2),
                s(2),
                today + timedelta(days=14),
                "scheduled",
                False,
                False,
                {},
            ),
            # Same shelter and time as demo-next-1: the conflict to resolve.
            (
                "demo-next-2",
                f"{c(3)} 社区地震疏散演练",
                c(3),
                s(2),
                today + timedelta(days=14),
                "submitted",
                False,
                False,
                {},
            ),
            (
                "demo-tabletop",
                "街道地震应急桌面推演（每月）",
                c(1),
                s(1),
                today + timedelta(days=3, hours=5),
                "approved",
                False,
                False,
                {"type": "tabletop", "rrule": "FREQ=MONTHLY;COUNT=6"},
            ),
            # Over a year ago: its community is overdue.
            (
                "demo-old",
                f"{c(3)} 社区疏散演练（上年度）",
                c(3),
                s(0),
                today - timedelta(days=420),
                "reviewed",
                True,
                False,
                {},
            ),
        ]
        for drill_id, title, community, shelter, start, status, has_tl, has_rep, extra in demo:
            if drill_id in existing:
                continue
            kind = str(extra.pop("type", "community_evacuation"))
            plan = _plan(
                title,
                kind,
                community,
                shelter,
                start,
                unit,
                routes,
                teams,
                participating_units=[str(street)] if street != unit else [],
                **extra,
            )
            row = DrillRow(
                id=drill_id,
                organising_unit_id=unit,
                participating_unit_ids=[street] if street != unit else [],
                plan=plan.model_dump(mode="json"),
                status=status,
                version=1,
                status_reason="",
            )
            set_bounds(row, plan, config(services))
            db.add(row)
            await db.flush()
            if has_tl:
                db.add_all(
                    _timeline(drill_id, start, 11.5 if drill_id == "demo-past-1" else 14, 255)
                )
            if has_rep:
                db.add(
                    DrillReportRow(
                        drill_id=drill_id,
                        report=_report(drill_id, today, street, drill_id == "demo-past-1"),
                        version=1,
                        updated_by="coordinator",
                    )
                )

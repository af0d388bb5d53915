"""Shelter occupancy over time: reports, snapshot CSV/zip import, series and latest figures."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from console.audit import Actor
from console.auth.policy import Principal
from console.deps import DbDep, ServicesDep, require
from console.errors import ProblemError
from console.events import Audience
from console.gis import occupancy_data as data
from console.gis import store
from console.gis.models import Feature, OccupancyReport
from console.gis.router import bad, import_limit, read_body
from console.services import Services

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/gis/shelters", tags=["gis"])
Reader = Annotated[Principal, Depends(require("gis.read"))]
Writer = Annotated[Principal, Depends(require("gis.write"))]
MAX_LISTED = 1000
FUTURE_SLACK = timedelta(minutes=1)
READERS = Audience(permission="gis.read")


class ReportIn(BaseModel):
    """One occupancy report."""

    model_config = ConfigDict(extra="forbid")

    at: AwareDatetime = Field(description="Time of the count, with its UTC offset.")
    count: int = Field(ge=0, le=1_000_000, description="Persons in the shelter.")
    open: bool = True


async def _body(request: Request) -> tuple[str, bytes]:
    """The uploaded file: the first part of a multipart form, or the raw body."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        if int(request.headers.get("content-length") or 0) > import_limit(request):
            await read_body(request)  # answers the one 413 problem document
        form = await request.form()
        upload = next((v for v in form.values() if isinstance(v, UploadFile)), None)
        if upload is None:
            raise bad("body", "the form holds no file", "missing")
        return upload.filename or "upload.csv", await upload.read()
    return "upload.csv", await read_body(request)


async def _shelter(db: AsyncSession, fid: str, lock: bool = False) -> Feature:
    """A live shelter or a 404 naming it."""
    f = await store.get(db, "shelters", fid, lock=lock)
    if f is None or f.deleted:
        raise ProblemError(
            404,
            f"shelter {fid} not found",
            code="not-found",
            errors=[{"loc": "path.fid", "msg": f"no shelter {fid}", "type": "not_found"}],
        )
    return f


def _set_current(db: AsyncSession, f: Feature, count: int, is_open: bool, by: str) -> None:
    """Write the shelter's current occupancy and open state as a new feature version."""
    props = dict(f.properties) | {"occupancy": count, "open": is_open}
    store.write(db, f, None, props, by)


async def _announce(services: Services, f: Feature, count: int, at: datetime) -> None:
    """The occupancy event for dashboards and the map."""
    await services.bus.publish(
        "gis.shelter.occupancy",
        {
            "fid": f.fid,
            "count": count,
            "capacity": f.properties.get("capacity"),
            "at": at.isoformat(),
        },
        audience=READERS,
    )


@router.post("/{fid}/occupancy", status_code=201)
async def report_occupancy(
    fid: str, body: ReportIn, principal: Writer, services: ServicesDep, db: DbDep
) -> dict[str, Any]:
    """Record a head count; the shelter's current figure moves only if it is the latest."""
    if body.at > datetime.now(UTC) + FUTURE_SLACK:
        raise bad("body.at", "the time is in the future", "future")
    f = await _shelter(db, fid, lock=True)
    newest = (await data.latest_at(db, [fid])).get(fid)
    row = await db.scalar(
        select(OccupancyReport).where(
            OccupancyReport.fid == fid, OccupancyReport.reported_at == body.at
        )
    )
    if row is None:
        row = OccupancyReport(fid=fid, reported_at=body.at, source="api")
        db.add(row)
    row.count, row.open, row.reported_by = body.count, body.open, principal.username
    latest = newest is None or body.at >= newest
    if latest:
        _set_current(db, f, body.count, body.open, principal.username)
    detail = {"at": body.at.isoformat(), "count": body.count, "open": body.open, "latest": latest}
    entry = services.audit.add(
        db,
        Actor.of(principal),
        "gis.shelter.occupancy",
        target_type="gis_feature",
        target_id=f"shelters/{fid}",
        detail=detail,
    )
    await db.commit()
    await services.audit.announce(entry)
    await _announce(services, f, body.count, body.at)
    if latest:
        await services.bus.publish(
            "gis.feature.changed",
            {"layer": "shelters", "fid": fid, "version": f.version, "op": "occupancy"},
            audience=READERS,
        )
    return {"fid": fid, **detail, "capacity": f.properties.get("capacity"), "version": f.version}


def _match(
    parsed: data.Parsed, index: dict[str, dict[str, str]], match: str
) -> dict[tuple[str, datetime], tuple[int, bool, str]]:
    """Reports by (fid, time); unmatched rows become errors; absent shelters are closed."""
    order = ("id", "name") if match == "id" else ("name", "id")
    reports: dict[tuple[str, datetime], tuple[int, bool, str]] = {}
    seen_before: set[str] = set()
    for snap in sorted(parsed.snapshots, key=lambda s: s.taken_at):
        here: set[str] = set()
        for row in snap.rows:
            keys = {"id": row.key, "name": row.name}
            fid = next((index[m][keys[m]] for m in order if keys[m] in index[m]), None)
            if fid is None:
                parsed.errors.append(
                    {
                        "loc": f"file {snap.file} row {row.line}",
                        "msg": f"unknown shelter {row.key} ({row.name})",
                        "type": "unknown_shelter",
                    }
                )
                continue
            here.add(fid)
            reports[(fid, snap.taken_at)] = (row.count, True, f"import:{snap.file}")
        if not snap.errors:
            for fid in seen_before - here:
                reports.setdefault((fid, snap.taken_at), (0, False, f"import:{snap.file}"))
        seen_before = here
    return reports


@router.post("/occupancy/import")
async def import_occupancy(
    request: Request,
    principal: Writer,
    services: ServicesDep,
    db: DbDep,
    tz: Annotated[str, Query(max_length=64, description="Zone of times in the files.")] = (
        "Asia/Tokyo"
    ),
    match: Annotated[Literal["id", "name"], Query(description="Match shelters first by")] = "id",
    partial: bool = False,
) -> dict[str, Any]:
    """Import one snapshot CSV or a zip of them; all-or-nothing unless partial=true."""
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise bad("query.tz", f"unknown time zone {tz}", "time_zone") from exc
    name, body = await _body(request)
    parsed = await asyncio.to_thread(data.read_all, name, body, tz)
    shelters = await data.shelters(db)
    index = data.index(list(shelters.items()))
    reports = _match(parsed, index, match)
    if parsed.errors and not partial:
        first = parsed.errors[0]
        raise ProblemError(
            422,
            f"{first['loc']}: {first['msg']} ({len(parsed.errors)} problem(s); nothing imported)",
            code="validation",
            errors=parsed.errors[:MAX_LISTED],
        )
    created, updated, moved = await _store(db, reports, shelters, principal.username)
    times = sorted({at for _fid, at in reports})
    result = {
        "snapshots": len(parsed.snapshots),
        "times": len(times),
        "from": times[0].isoformat() if times else None,
        "to": times[-1].isoformat() if times else None,
        "shelters": len({fid for fid, _at in reports}),
        "created": created,
        "updated": updated,
        "unchanged": len(reports) - created - updated,
        "current_updated": len(moved),
        "skipped": parsed.errors[:MAX_LISTED],
        "skipped_count": len(parsed.errors),
    }
    entry = services.audit.add(
        db,
        Actor.of(principal),
        "gis.shelter.occupancy.import",
        target_type="gis_layer",
        target_id="shelters",
        detail={k: v for k, v in result.items() if k != "skipped"} | {"file": name},
    )
    await db.commit()
    await services.audit.announce(entry)
    for f, count, at in moved:
        await _announce(services, f, count, at)
    if moved:
        await services.bus.publish(
            "gis.feature.imported",
            {"layer": "shelters", "created": 0, "updated": len(moved)},
            audience=READERS,
        )
    log.info("occupancy import %s: %s new, %s updated", name, created, updated)
    return result


async def _store(
    db: AsyncSession,
    reports: dict[tuple[str, datetime], tuple[int, bool, str]],
    shelters: dict[str, dict[str, Any]],
    by: str,
) -> tuple[int, int, list[tuple[Feature, int, datetime]]]:
    """Insert new reports, correct changed ones, move current figures. Caller commits."""
    fids = sorted({fid for fid, _at in reports})
    newest = await data.latest_at(db, fids)
    existing: dict[tuple[str, datetime], OccupancyReport] = {}
    for k in range(0, len(fids), 5000):
        rows = await db.scalars(
            select(OccupancyReport).where(OccupancyReport.fid.in_(fids[k : k + 5000]))
        )
        existing.update(((r.fid, r.reported_at), r) for r in rows)
    created = updated = 0
    last: dict[str, tuple[datetime, int, bool]] = {}
    for (fid, at), (count, is_open, source) in reports.items():
        row = existing.get((fid, at))
        if row is None:
            db.add(
                OccupancyReport(
                    fid=fid,
                    reported_at=at,
                    count=count,
                    open=is_open,
                    source=source,
                    reported_by=by,
                )
            )
            created += 1
        elif (row.count, row.open) != (count, is_open):
            row.count, row.open, row.reported_by = count, is_open, by
            updated += 1
        if fid not in last or at > last[fid][0]:
            last[fid] = (at, count, is_open)
    moved: list[tuple[Feature, int, datetime]] = []
    for fid, (at, count, is_open) in sorted(last.items()):
        before = newest.get(fid)
        props = shelters[fid]
        same = (props.get("occupancy"), props.get("open")) == (count, is_open)
        if (before is None or at >= before) and not same:
            f = await _shelter(db, fid, lock=True)
            _set_current(db, f, count, is_open, by)
            moved.append((f, count, at))
    return created, updated, moved


@router.get("/occupancy/latest")
async def latest_occupancy(principal: Reader, db: DbDep) -> dict[str, Any]:
    """Each shelter's latest report with its capacity and occupancy ratio."""
    newest = (
        select(OccupancyReport.fid, func.max(OccupancyReport.reported_at).label("at"))
        .group_by(OccupancyReport.fid)
        .subquery()
    )
    stmt = (
        select(OccupancyReport, Feature.properties)
        .join(
            newest,
            (newest.c.fid == OccupancyReport.fid) & (newest.c.at == OccupancyReport.reported_at),
        )
        .join(Feature, (Feature.fid == OccupancyReport.fid) & (Feature.layer == "shelters"))
        .where(Feature.deleted.is_(False))
        .order_by(OccupancyReport.fid)
    )
    items = []
    for r, props in await db.execute(stmt):
        cap = props.get("capacity")
        items.append(
            {
                "fid": r.fid,
                "name": props.get("name"),
                "at": r.reported_at.isoformat(),
                "count": r.count,
                "open": r.open,
                "capacity": cap,
                "ratio": round(r.count / cap, 4) if cap else None,
            }
        )
    return {"items": items}


@router.get("/{fid}/occupancy")
async def occupancy_series(
    fid: str,
    principal: Reader,
    db: DbDep,
    start: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    end: Annotated[AwareDatetime | None, Query(alias="to")] = None,
) -> dict[str, Any]:
    """A shelter's reports in time order, optionally between from and to (inclusive)."""
    f = await _shelter(db, fid)
    stmt = select(OccupancyReport).where(OccupancyReport.fid == fid)
    if start is not None:
        stmt = stmt.where(OccupancyReport.reported_at >= start)
    if end is not None:
        stmt = stmt.where(OccupancyReport.reported_at <= end)
    rows = await db.scalars(stmt.order_by(OccupancyReport.reported_at))
    return {
        "fid": fid,
        "name": f.properties.get("name"),
        "capacity": f.properties.get("capacity"),
        "items": [
            {"at": r.reported_at.isoformat(), "count": r.count, "open": r.open} for r in rows
        ],
    }

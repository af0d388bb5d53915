"""Shelter occupancy helpers: parse uploads (worker thread), match shelters, latest times."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from console.gis.models import Feature, OccupancyReport
from console.gis.router import bad
from gis.occupancy import Snapshot, SnapshotError, parse_snapshot
from gis.readers import ReadError, safe_extract


@dataclass
class Parsed:
    """Snapshots read from an upload, and whole-file or row problems."""

    snapshots: list[Snapshot] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


def read_all(name: str, data: bytes, tz: str) -> Parsed:
    """Parse one CSV or every CSV in a zip (worker thread)."""
    out = Parsed()
    files: list[tuple[str, bytes]] = [(name, data)]
    if data[:4] == b"PK\x03\x04":
        with tempfile.TemporaryDirectory() as tmp:
            try:
                paths = safe_extract(data, Path(tmp))
            except ReadError as exc:
                raise bad("body", str(exc), exc.code) from exc
            files = [
                (p.name, p.read_bytes())
                for p in sorted(paths)
                if p.suffix.lower() == ".csv" and not p.name.startswith("._")
            ]
        if not files:
            raise bad("body", "the zip holds no .csv snapshot", "no_csv")
    for fname, raw in files:
        try:
            snap = parse_snapshot(fname, raw, tz)
        except SnapshotError as exc:
            out.errors.append({"loc": f"file {fname}", "msg": str(exc), "type": exc.code})
            continue
        out.snapshots.append(snap)
        out.errors.extend(snap.errors)
    return out


def index(rows: list[tuple[str, dict[str, Any]]]) -> dict[str, dict[str, str]]:
    """Lookup tables from shelter id (fid, code, source_id, ID) and unique names to fid."""
    ids: dict[str, str] = {}
    names: dict[str, str] = {}
    dupes: set[str] = set()
    for fid, props in rows:
        ids[fid] = fid
        for k in ("code", "source_id", "ID"):
            if props.get(k):
                ids.setdefault(str(props[k]), fid)
        name = str(props.get("name") or "")
        if name in names:
            dupes.add(name)
        names[name] = fid
    for name in dupes:
        names.pop(name, None)
    return {"id": ids, "name": names}


async def shelters(db: AsyncSession) -> dict[str, dict[str, Any]]:
    """Live shelters' properties by fid."""
    rows = await db.execute(
        select(Feature.fid, Feature.properties).where(
            Feature.layer == "shelters", Feature.deleted.is_(False)
        )
    )
    return {fid: dict(props or {}) for fid, props in rows}


async def latest_at(db: AsyncSession, fids: list[str]) -> dict[str, datetime]:
    """The newest stored report time per shelter."""
    out: dict[str, datetime] = {}
    for k in range(0, len(fids), 5000):
        stmt = (
            select(OccupancyReport.fid, func.max(OccupancyReport.reported_at))
            .where(OccupancyReport.fid.in_(fids[k : k + 5000]))
            .group_by(OccupancyReport.fid)
        )
        for fid, at in await db.execute(stmt):
            out[fid] = aware(at)
    return out


def aware(at: datetime) -> datetime:
    """Aggregates bypass the column type on SQLite: put UTC back on naive values."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at

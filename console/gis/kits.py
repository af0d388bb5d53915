"""Kit distributions: bulk CSV import (validated per row) and totals per community."""

from __future__ import annotations

import asyncio
import csv
import io
import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import func, insert, select

from console.audit import Actor
from console.auth.policy import Principal
from console.deps import DbDep, ServicesDep, require
from console.errors import ProblemError
from console.events import Audience
from console.gis import store
from console.gis.models import KitDistribution
from console.gis.router import bad, read_body

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/gis/kits", tags=["gis"])
Reader = Annotated[Principal, Depends(require("gis.read"))]
Writer = Annotated[Principal, Depends(require("gis.write"))]

CATEGORIES = ("standard", "elderly", "infant", "disabled")
REQUIRED = ("community_code", "category", "quantity", "date")
CHUNK = 5000
# A problem document listing a million bad rows helps nobody; the row numbers are all kept.
MAX_LISTED = 10_000


@dataclass
class Parsed:
    """Rows ready to insert and the problems found, by CSV line number."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    bad_rows: list[int] = field(default_factory=list)


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030 as spreadsheets in China save it."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise bad("body", "the CSV is neither UTF-8 nor GB18030 text", "encoding") from exc


def _number(text: str, lo: float, hi: float) -> float:
    """A coordinate in range; the error message says what is wrong."""
    if not text:
        raise ValueError("lon and lat must be given together")
    try:
        value = float(text)
    except ValueError:
        raise ValueError("not a number") from None
    if not lo <= value <= hi:
        raise ValueError(f"must be between {lo:g} and {hi:g}")
    return value


def _row(get: Any, codes: set[str]) -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
    """One record's fields, or its problems as (field, message, type)."""
    problems: list[tuple[str, str, str]] = []
    out: dict[str, Any] = {}
    code = get("community_code")
    if not code:
        problems.append(("community_code", "required", "missing"))
    elif code not in codes:
        problems.append(("community_code", f"unknown community {code!r}", "unknown_reference"))
    out["community_code"] = code
    cat = get("category").lower()
    if cat not in CATEGORIES:
        msg = f"unknown category {cat!r} (one of {', '.join(CATEGORIES)})"
        problems.append(("category", msg, "enum"))
    out["category"] = cat
    try:
        qty = int(get("quantity"))
        if qty < 0:
            problems.append(("quantity", "must not be negative", "greater_than_equal"))
        out["quantity"] = qty
    except ValueError:
        problems.append(("quantity", "not a whole number", "int_parsing"))
    try:
        out["date"] = date.fromisoformat(get("date").replace("/", "-"))
    except ValueError:
        problems.append(("date", "not a date (YYYY-MM-DD)", "date_parsing"))
    unit = get("unit")
    if len(unit) > 128:
        problems.append(("unit", "longer than 128 characters", "string_too_long"))
    out["unit"] = unit or None
    lon, lat = get("lon"), get("lat")
    out["lon"] = out["lat"] = None
    if lon or lat:
        for name, text, lo, hi in (("lon", lon, -180, 180), ("lat", lat, -90, 90)):
            try:
                out[name] = _number(text, lo, hi)
            except ValueError as exc:
                problems.append((name, str(exc), "float"))
    return out, problems


def parse(data: bytes, codes: set[str]) -> Parsed:
    """Validate every CSV row; row numbers are the file's line numbers (header is row 1)."""
    reader = csv.reader(io.StringIO(_decode(data)))
    header = [c.strip().lower() for c in next(reader, [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ProblemError(
            422,
            f"the CSV lacks the column(s): {', '.join(missing)}",
            code="validation",
            errors=[
                {"loc": f"body.header.{c}", "msg": "missing column", "type": "missing"}
                for c in missing
            ],
        )
    idx = {name: i for i, name in enumerate(header)}
    parsed = Parsed()
    for rec in reader:
        if not any(cell.strip() for cell in rec):
            continue
        n = reader.line_num

        def get(name: str, rec: list[str] = rec) -> str:
            i = idx.get(name)
            return rec[i].strip() if i is not None and i < len(rec) else ""

        row, problems = _row(get, codes)
        if problems:
            parsed.bad_rows.append(n)
            for fld, msg, kind in problems:
                if len(parsed.errors) < MAX_LISTED:
                    parsed.errors.append(
                        {
                            "loc": f"body.row[{n}].{fld}",
                            "row": n,
                            "field": fld,
                            "msg": f"row {n}: {fld}: {msg}",
                            "type": kind,
                        }
                    )
        else:
            parsed.rows.append(row)
    return parsed


@router.post("/import")
async def import_kits(
    request: Request,
    principal: Writer,
    services: ServicesDep,
    db: DbDep,
    partial: Annotated[bool, Query(description="Store the good rows, report the bad.")] = False,
) -> dict[str, Any]:
    """Import kit distribution rows from CSV; all-or-nothing unless partial=true."""
    data = await read_body(request)
    codes = await store.community_codes(db)
    parsed = await asyncio.to_thread(parse, data, codes)
    if parsed.bad_rows and not partial:
        first = parsed.errors[0]["msg"]
        raise ProblemError(
            422,
            f"{len(parsed.bad_rows)} bad row(s), nothing imported; first: {first}",
            code="validation",
            errors=parsed.errors,
            extra={"bad_rows": parsed.bad_rows},
        )
    for i in range(0, len(parsed.rows), CHUNK):
        await db.execute(insert(KitDistribution), parsed.rows[i : i + CHUNK])
    touched = sorted({r["community_code"] for r in parsed.rows})
    report = {
        "imported": len(parsed.rows),
        "skipped": len(parsed.bad_rows),
        "skipped_rows": parsed.bad_rows,
        "errors": parsed.errors,
        "community_codes": touched,
    }
    entry = services.audit.add(
        db,
        Actor.of(principal),
        "gis.kits.import",
        target_type="gis_kits",
        target_id="import",
        detail={
            "imported": len(parsed.rows),
            "skipped": len(parsed.bad_rows),
            "communities": len(touched),
        },
    )
    await db.commit()
    await services.audit.announce(entry)
    if touched:
        await services.bus.publish(
            "gis.kits.imported",
            {"community_codes": touched, "rows": len(parsed.rows)},
            audience=Audience(permission="gis.read"),
        )
    log.info("imported %s kit rows (%s skipped)", len(parsed.rows), len(parsed.bad_rows))
    return report


@router.get("/summary")
async def kits_summary(
    principal: Reader,
    db: DbDep,
    community_code: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    """Kits delivered per community and category."""
    k = KitDistribution
    stmt = select(
        k.community_code, k.category, func.sum(k.quantity), func.count(), func.max(k.date)
    ).group_by(k.community_code, k.category)
    if community_code:
        stmt = stmt.where(k.community_code == community_code)
    out: dict[str, dict[str, Any]] = {}
    for code, cat, qty, rows, last in await db.execute(stmt.order_by(k.community_code)):
        c = out.setdefault(
            code,
            {"community_code": code, "total": 0, "rows": 0, "last_date": None, "by_category": {}},
        )
        c["by_category"][cat] = int(qty or 0)
        c["total"] += int(qty or 0)
        c["rows"] += int(rows)
        day = last.isoformat() if isinstance(last, date) else last
        c["last_date"] = max(filter(None, [c["last_date"], day]), default=None)
    items = list(out.values())
    return {"communities": items, "total": sum(c["total"] for c in items)}

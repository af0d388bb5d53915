"""Reading and exporting the audit log (there is no way to change it)."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, or_
from sqlalchemy.ext.asyncio import AsyncSession

from console import csvsafe
from console.audit import AuditQuery, entry_dict
from console.auth.policy import Principal
from console.bounds import INT64_MAX
from console.deps import DbDep, ServicesDep, require
from console.store.models import AuditEntry

router = APIRouter(prefix="/api", tags=["audit"])
Reader = Annotated[Principal, Depends(require("audit.read"))]
CSV_COLUMNS = [
    "id",
    "ts",
    "actor",
    "actor_id",
    "unit_id",
    "ip",
    "action",
    "target_type",
    "target_id",
    "outcome",
    "detail",
]


class AuditFilters(BaseModel):
    """Filters shared by the JSON and CSV views."""

    model_config = {"extra": "forbid"}

    actor: str | None = Field(None, max_length=64, description="User name.")
    action: str | None = Field(None, max_length=64, description="Action; 'user.' for a family.")
    outcome: Literal["success", "denied", "failure"] | None = Field(None, description="Outcome.")
    target_type: str | None = Field(None, max_length=32, description="Target type.")
    target_id: str | None = Field(None, max_length=64, description="Target id.")
    since: datetime | None = Field(None, description="From (inclusive, ISO 8601 with zone).")
    until: datetime | None = Field(None, description="Until (exclusive, ISO 8601 with zone).")
    before_id: int | None = Field(
        None, ge=1, le=INT64_MAX, description="Page: rows older than this id."
    )
    limit: int = Field(100, ge=1, le=1000, description="Page size.")

    def query(self) -> AuditQuery:
        """As a store query."""
        return AuditQuery(
            actor=self.actor,
            action=self.action,
            outcome=self.outcome,
            target_type=self.target_type,
            target_id=self.target_id,
            since=self.since,
            until=self.until,
            before_id=self.before_id,
        )


class AuditPage(BaseModel):
    """A page of audit rows, newest first."""

    items: list[dict[str, object]]
    next_before_id: int | None


Filters = Annotated[AuditFilters, Query()]


def scope(principal: Principal) -> ColumnElement[bool]:
    """Rows an admin may read: acts of users in their units; a top-level admin also reads the
    rows without a unit (failed logins of unknown names, the command line)."""
    mine = AuditEntry.unit_id.in_(principal.unit_scope)
    return or_(mine, AuditEntry.unit_id.is_(None)) if principal.top_level else mine


async def scoped_rows(
    db: AsyncSession, q: AuditQuery, principal: Principal, limit: int
) -> list[AuditEntry]:
    """Rows matching `q` that the principal may read, newest first."""
    return list((await db.scalars(q.select().where(scope(principal)).limit(limit))).all())


@router.get("/audit", response_model=AuditPage)
async def read_audit(
    filters: Filters, principal: Reader, services: ServicesDep, db: DbDep
) -> AuditPage:
    """Audit rows of the caller's units matching the filters, newest first, paged by id."""
    # Refusals and live views are queued for the audit writer: show them as soon as asked.
    await services.audit.flush()
    rows = await scoped_rows(db, filters.query(), principal, filters.limit + 1)
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    return AuditPage(
        items=[entry_dict(r) for r in rows],
        next_before_id=rows[-1].id if more and rows else None,
    )


@router.get("/audit.csv", response_class=StreamingResponse)
async def export_audit(
    filters: Filters, principal: Reader, services: ServicesDep
) -> StreamingResponse:
    """The matching audit rows of the caller's units as CSV (all of them, streamed in pages)."""
    await services.audit.flush()
    base = filters.query()

    async def rows() -> AsyncIterator[str]:
        buf = io.StringIO()
        writer = csvsafe.writer(buf)
        # A BOM lets Excel, which most offices open CSV with, read the Chinese text.
        buf.write("\ufeff")
        writer.writerow(CSV_COLUMNS)
        before = base.before_id
        async with services.store.session() as db:
            while True:
                page = await scoped_rows(db, replace(base, before_id=before), principal, 1000)
                for r in page:
                    d = entry_dict(r)
                    d["detail"] = json.dumps(d["detail"], ensure_ascii=False)
                    writer.writerow([d[c] for c in CSV_COLUMNS])
                yield buf.getvalue()
                buf.seek(0)
                buf.truncate()
                if len(page) < 1000:
                    break
                before = page[-1].id

    return StreamingResponse(
        rows(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
    )

"""The delivery log: what was sent, retried, failed or folded into a digest."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select

from console.auth.policy import Principal
from console.bounds import id_query
from console.deps import DbDep, require
from console.notify.log import delivery_dict
from console.notify.models import NotifyChannel, NotifyDelivery
from console.notify.schemas import DeliveryOut, DeliveryPage

router = APIRouter(prefix="/api/notify/deliveries", tags=["notify"])
Manager = Annotated[Principal, Depends(require("notify.manage"))]
Status = Literal["pending", "sent", "retrying", "failed", "suppressed"]


@router.get("", response_model=DeliveryPage)
async def list_deliveries(
    principal: Manager,
    db: DbDep,
    channel_id: Annotated[int | None, id_query("One channel only.")] = None,
    status: Annotated[Status | None, Query(description="One status only.")] = None,
    digest_id: Annotated[int | None, id_query("Messages folded into this digest.")] = None,
    before_id: Annotated[int | None, id_query("Older than this row (paging).")] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="Page size.")] = 100,
) -> DeliveryPage:
    """Delivery log rows of the caller's units' channels, newest first."""
    stmt = (
        select(NotifyDelivery, NotifyChannel.name)
        .join(NotifyChannel, NotifyChannel.id == NotifyDelivery.channel_id)
        .where(NotifyDelivery.unit_id.in_(principal.unit_scope))
        .order_by(NotifyDelivery.id.desc())
        .limit(limit + 1)
    )
    if channel_id is not None:
        stmt = stmt.where(NotifyDelivery.channel_id == channel_id)
    if status is not None:
        stmt = stmt.where(NotifyDelivery.status == status)
    if digest_id is not None:
        stmt = stmt.where(NotifyDelivery.digest_id == digest_id)
    if before_id is not None:
        stmt = stmt.where(NotifyDelivery.id < before_id)
    rows = (await db.execute(stmt)).all()
    items = [DeliveryOut(channel_name=name, **delivery_dict(row)) for row, name in rows[:limit]]
    more = len(rows) > limit
    return DeliveryPage(items=items, next_before_id=items[-1].id if more and items else None)

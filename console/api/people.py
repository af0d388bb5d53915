"""Colleagues by name: the display names behind the user names that audit rows, drills, alerts
and walls record. The relation is the organisation: every user of the unit tree the caller
belongs to (a drill's observers come from other units of the district). Names only: no roles,
units or contact details."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy import select

from console.api.schemas import Items
from console.auth.policy import Principal
from console.deps import DbDep, ServicesDep, require
from console.store.models import User

router = APIRouter(prefix="/api/people", tags=["people"])
Reader = Annotated[Principal, Depends(require("people.read"))]


class PersonOut(BaseModel):
    """A user as colleagues see them."""

    id: int
    username: str
    display_name: str


@router.get("", response_model=Items[PersonOut])
async def people(principal: Reader, services: ServicesDep, db: DbDep) -> Items[PersonOut]:
    """Users of the caller's organisation (the tree under the caller's top-level unit)."""
    units = services.units.scope(services.units.root_of(principal.unit_id))
    rows = await db.scalars(select(User).where(User.unit_id.in_(units)).order_by(User.username))
    return Items[PersonOut](
        items=[PersonOut(id=u.id, username=u.username, display_name=u.display_name) for u in rows]
    )

"""Units (departments): list, create, change."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy import select

from console.api.schemas import Items, UnitCreate, UnitOut, UnitPatch
from console.audit import Actor
from console.auth.policy import Principal, Resource
from console.bounds import IdPath
from console.deps import DbDep, ServicesDep, absent, check, require
from console.errors import ProblemError
from console.events import Audience
from console.services import Services
from console.store.models import Unit

router = APIRouter(prefix="/api/units", tags=["units"])
Reader = Annotated[Principal, Depends(require("units.read"))]
Writer = Annotated[Principal, Depends(require("units.write"))]


async def _check_parent(
    services: Services, db: DbDep, principal: Principal, parent_id: int | None
) -> None:
    if parent_id is None:
        # Only an admin of a top-level unit may add (or move a unit to) the top level: the
        # caller must own the top of their own tree.
        top = services.units.root_of(principal.unit_id)
        await check(services, principal, "units.write", Resource.unit(top))
        return
    if await db.get(Unit, parent_id) is None:
        raise ProblemError(
            422,
            f"body.parent_id: unit {parent_id} does not exist",
            code="validation",
            errors=[{"loc": "body.parent_id", "msg": "unknown unit", "type": "unknown_reference"}],
        )
    await check(services, principal, "units.write", Resource.unit(parent_id))


async def _publish(services: Services, type_: str, unit: Unit) -> None:
    await services.bus.publish(
        type_, UnitOut.of(unit).model_dump(mode="json"), audience=Audience("units.read")
    )


@router.get("", response_model=Items[UnitOut])
async def list_units(principal: Reader, db: DbDep) -> Items[UnitOut]:
    """Every unit (names are not secret: users share cameras across units)."""
    rows = await db.scalars(select(Unit).order_by(Unit.parent_id.is_not(None), Unit.id))
    return Items[UnitOut](items=[UnitOut.of(u) for u in rows])


@router.post("", status_code=201, response_model=UnitOut)
async def create_unit(
    body: UnitCreate, principal: Writer, services: ServicesDep, db: DbDep
) -> UnitOut:
    """Create a unit below one of the caller's units."""
    await _check_parent(services, db, principal, body.parent_id)
    if await db.scalar(select(Unit.id).where(Unit.code == body.code)) is not None:
        raise ProblemError(
            409,
            f"unit code {body.code!r} is taken",
            code="duplicate",
            errors=[{"loc": "body.code", "msg": "already exists", "type": "duplicate"}],
        )
    unit = Unit(**body.model_dump())
    db.add(unit)
    await db.flush()
    entry = services.audit.add(
        db,
        Actor.of(principal),
        "unit.create",
        target_type="unit",
        target_id=unit.id,
        detail=body.model_dump(),
    )
    await db.commit()
    # Every node's unit tree (the scope of each user's units) reloads, this one first.
    await services.caches.invalidate("units")
    await services.audit.announce(entry)
    await _publish(services, "unit.created", unit)
    return UnitOut.of(unit)


@router.patch("/{unit_id}", response_model=UnitOut)
async def update_unit(
    unit_id: IdPath, body: UnitPatch, principal: Writer, services: ServicesDep, db: DbDep
) -> UnitOut:
    """Rename, re-kind or move a unit within the caller's units."""
    unit = await db.get(Unit, unit_id)
    if unit is None:
        raise await absent(services, principal, "units.write", "unit", unit_id)
    await check(services, principal, "units.write", Resource.unit(unit_id))
    changes = body.model_dump(exclude_unset=True)
    if "parent_id" in changes:
        if services.units.would_cycle(unit_id, changes["parent_id"]):
            raise ProblemError(
                422,
                "body.parent_id: a unit cannot be moved below itself",
                code="validation",
                errors=[{"loc": "body.parent_id", "msg": "would create a cycle", "type": "cycle"}],
            )
        await _check_parent(services, db, principal, changes["parent_id"])
    before = {k: getattr(unit, k) for k in changes}
    for key, value in changes.items():
        if value is not None or key == "parent_id":
            setattr(unit, key, value)
    entry = services.audit.add(
        db,
        Actor.of(principal),
        "unit.update",
        target_type="unit",
        target_id=unit.id,
        detail={"before": before, "after": changes},
    )
    await db.commit()
    # Every node's unit tree (the scope of each user's units) reloads, this one first.
    await services.caches.invalidate("units")
    await services.audit.announce(entry)
    await _publish(services, "unit.updated", unit)
    return UnitOut.of(unit)

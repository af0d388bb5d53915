"""Saved walls and tours (own and unit-shared), and push-to-wall between operators."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from console.audit import Actor
from console.auth.policy import Principal, Role
from console.bounds import INT64_MAX, IdPath
from console.cameras import service as cameras
from console.cameras.models import Camera
from console.deps import DbDep, ServicesDep, require
from console.errors import ProblemError
from console.events import Audience
from console.store.models import User
from console.walls.models import Tour, Wall
from console.walls.schemas import PushIn, TourIn, TourOut, WallIn, WallOut

router = APIRouter(prefix="/api", tags=["walls"])
Reader = Annotated[Principal, Depends(require("walls.read"))]
Writer = Annotated[Principal, Depends(require("walls.write"))]
Pusher = Annotated[Principal, Depends(require("walls.push"))]


def _wall_out(w: Wall) -> WallOut:
    return WallOut(
        id=w.id,
        name=w.name,
        layout=w.layout,
        tiles=w.tiles,
        shared=w.shared,
        owner_id=w.owner_id,
        unit_id=w.unit_id,
        version=w.version,
        updated_at=w.updated_at,
    )


def _tour_out(t: Tour) -> TourOut:
    return TourOut(
        id=t.id,
        name=t.name,
        steps=t.steps,
        shared=t.shared,
        owner_id=t.owner_id,
        unit_id=t.unit_id,
        version=t.version,
        updated_at=t.updated_at,
    )


def _mine_or_shared(model: type[Wall] | type[Tour], p: Principal) -> Any:
    return select(model).where(
        or_(model.owner_id == p.user_id, (model.shared.is_(True)) & model.unit_id.in_(p.unit_scope))
    )


async def _visible_cameras(db: AsyncSession, p: Principal, ids: list[str], loc: str) -> None:
    wanted = {i for i in ids if i}
    if not wanted:
        return
    found = set(
        (
            await db.scalars(
                cameras.visible(p.unit_scope)
                .with_only_columns(Camera.id)
                .where(Camera.id.in_(wanted))
            )
        ).all()
    )
    errors = [
        {
            "loc": f"{loc}[{n}]",
            "msg": f"unknown or not visible camera {cid!r}",
            "type": "unknown_reference",
        }
        for n, cid in enumerate(ids)
        if cid and cid not in found
    ]
    if errors:
        raise ProblemError(
            422, f"{errors[0]['loc']}: {errors[0]['msg']}", code="validation", errors=errors
        )


def _may_edit(obj: Wall | Tour, p: Principal) -> None:
    if obj.owner_id == p.user_id or (p.has_role(Role.admin) and obj.unit_id in p.unit_scope):
        return
    raise ProblemError(
        403, "only the owner (or an admin of the unit) may change it", code="forbidden"
    )


def _check_share(body: WallIn | TourIn, p: Principal) -> None:
    if body.shared and not p.has_role(Role.admin, Role.operator, Role.coordinator):
        raise ProblemError(
            403,
            "sharing with the unit needs the operator, coordinator or admin role",
            code="forbidden",
        )


@router.get("/walls")
async def list_walls(principal: Reader, db: DbDep) -> dict[str, list[WallOut]]:
    """Your walls and those shared with your units."""
    rows = await db.scalars(_mine_or_shared(Wall, principal).order_by(Wall.name))
    return {"items": [_wall_out(w) for w in rows]}


@router.post("/walls", status_code=201, response_model=WallOut)
async def create_wall(body: WallIn, principal: Writer, services: ServicesDep, db: DbDep) -> WallOut:
    """Save a wall."""
    _check_share(body, principal)
    await _visible_cameras(db, principal, list(body.tiles), "body.tiles")  # type: ignore[arg-type]
    wall = Wall(
        name=body.name,
        layout=body.layout,
        tiles=body.tiles,
        shared=body.shared,
        owner_id=principal.user_id,
        unit_id=principal.unit_id,
    )
    db.add(wall)
    await db.flush()
    entry = services.audit.add(
        db,
        Actor.of(principal),
        "wall.create",
        target_type="wall",
        target_id=wall.id,
        detail={"name": wall.name},
    )
    await db.commit()
    await services.audit.announce(entry)
    return _wall_out(wall)


async def _get(db: AsyncSession, model: type[Wall] | type[Tour], obj_id: int, p: Principal) -> Any:
    obj: Wall | Tour | None = await db.get(model, obj_id)
    visible = obj is not None and (
        obj.owner_id == p.user_id or (obj.shared and obj.unit_id in p.unit_scope)
    )
    if not visible:
        raise ProblemError(404, f"{model.__tablename__[:-1]} {obj_id} not found", code="not-found")
    return obj


@router.get("/walls/{wall_id}", response_model=WallOut)
async def get_wall(wall_id: IdPath, principal: Reader, db: DbDep) -> WallOut:
    """One wall."""
    return _wall_out(await _get(db, Wall, wall_id, principal))


@router.put("/walls/{wall_id}", response_model=WallOut)
async def update_wall(
    wall_id: IdPath,
    body: WallIn,
    principal: Writer,
    services: ServicesDep,
    db: DbDep,
    version: Annotated[
        int | None, Query(ge=0, le=INT64_MAX, description="Expected version (412 when stale).")
    ] = None,
) -> WallOut:
    """Replace a wall's layout and tiles."""
    wall: Wall = await _get(db, Wall, wall_id, principal)
    _may_edit(wall, principal)
    _check_share(body, principal)
    if version is not None and version != wall.version:
        raise ProblemError(
            412,
            f"wall {wall_id} is at version {wall.version}",
            code="stale",
            extra={"current": _wall_out(wall).model_dump(mode="json")},
        )
    await _visible_cameras(db, principal, list(body.tiles), "body.tiles")  # type: ignore[arg-type]
    wall.name, wall.layout, wall.tiles, wall.shared = (
        body.name,
        body.layout,
        body.tiles,
        body.shared,
    )
    wall.version += 1
    entry = services.audit.add(
        db, Actor.of(principal), "wall.update", target_type="wall", target_id=wall.id
    )
    await db.commit()
    await services.audit.announce(entry)
    return _wall_out(wall)


@router.delete("/walls/{wall_id}", status_code=204)
async def delete_wall(
    wall_id: IdPath, principal: Writer, services: ServicesDep, db: DbDep
) -> Response:
    """Delete a wall."""
    wall: Wall = await _get(db, Wall, wall_id, principal)
    _may_edit(wall, principal)
    await db.delete(wall)
    entry = services.audit.add(
        db, Actor.of(principal), "wall.delete", target_type="wall", target_id=wall_id
    )
    await db.commit()
    await services.audit.announce(entry)
    return Response(status_code=204)


@router.get("/tours")
async def list_tours(principal: Reader, db: DbDep) -> dict[str, list[TourOut]]:
    """Your tours and those shared with your units."""
    rows = await db.scalars(_mine_or_shared(Tour, principal).order_by(Tour.name))
    return {"items": [_tour_out(t) for t in rows]}


async def _check_steps(db: AsyncSession, p: Principal, body: TourIn) -> None:
    cams = [s.ref if s.kind == "camera" else None for s in body.steps]
    await _visible_cameras(db, p, cams, "body.steps")  # type: ignore[arg-type]
    for n, step in enumerate(body.steps):
        if step.kind == "wall":
            ok = step.ref.isdigit()
            if ok:
                try:
                    await _get(db, Wall, int(step.ref), p)
                except ProblemError:
                    ok = False
            if not ok:
                raise ProblemError(
                    422,
                    f"body.steps[{n}].ref: unknown wall {step.ref!r}",
                    code="validation",
                    errors=[
                        {
                            "loc": f"body.steps[{n}].ref",
                            "msg": "unknown wall",
                            "type": "unknown_reference",
                        }
                    ],
                )


@router.post("/tours", status_code=201, response_model=TourOut)
async def create_tour(body: TourIn, principal: Writer, services: ServicesDep, db: DbDep) -> TourOut:
    """Save a tour."""
    _check_share(body, principal)
    await _check_steps(db, principal, body)
    tour = Tour(
        name=body.name,
        steps=[s.model_dump() for s in body.steps],
        shared=body.shared,
        owner_id=principal.user_id,
        unit_id=principal.unit_id,
    )
    db.add(tour)
    await db.flush()
    entry = services.audit.add(
        db,
        Actor.of(principal),
        "tour.create",
        target_type="tour",
        target_id=tour.id,
        detail={"name": tour.name},
    )
    await db.commit()
    await services.audit.announce(entry)
    return _tour_out(tour)


@router.put("/tours/{tour_id}", response_model=TourOut)
async def update_tour(
    tour_id: IdPath, body: TourIn, principal: Writer, services: ServicesDep, db: DbDep
) -> TourOut:
    """Replace a tour."""
    tour: Tour = await _get(db, Tour, tour_id, principal)
    _may_edit(tour, principal)
    _check_share(body, principal)
    await _check_steps(db, principal, body)
    tour.name, tour.shared = body.name, body.shared
    tour.steps = [s.model_dump() for s in body.steps]
    tour.version += 1
    entry = services.audit.add(
        db, Actor.of(principal), "tour.update", target_type="tour", target_id=tour.id
    )
    await db.commit()
    await services.audit.announce(entry)
    return _tour_out(tour)


@router.delete("/tours/{tour_id}", status_code=204)
async def delete_tour(
    tour_id: IdPath, principal: Writer, services: ServicesDep, db: DbDep
) -> Response:
    """Delete a tour."""
    tour: Tour = await _get(db, Tour, tour_id, principal)
    _may_edit(tour, principal)
    await db.delete(tour)
    entry = services.audit.add(
        db, Actor.of(principal), "tour.delete", target_type="tour", target_id=tour_id
    )
    await db.commit()
    await services.audit.announce(entry)
    return Response(status_code=204)


@router.get("/walls-operators")
async def push_targets(principal: Pusher, db: DbDep) -> dict[str, Any]:
    """Users of your units you can push a camera or wall to."""
    rows = await db.scalars(
        select(User)
        .where(User.unit_id.in_(principal.unit_scope), User.disabled.is_(False))
        .order_by(User.username)
    )
    return {
        "items": [
            {"id": u.id, "username": u.username, "display_name": u.display_name}
            for u in rows
            if u.id != principal.user_id
        ]
    }


@router.post("/walls-push", status_code=202)
async def push(body: PushIn, principal: Pusher, services: ServicesDep, db: DbDep) -> dict[str, Any]:
    """Send a camera or a saved wall to another operator's screen (a live event to them)."""
    target = await db.get(User, body.user_id)
    if target is None or target.unit_id not in principal.unit_scope:
        raise ProblemError(
            422,
            "body.user_id: no such user in your units",
            code="validation",
            errors=[{"loc": "body.user_id", "msg": "unknown user", "type": "unknown_reference"}],
        )
    payload: dict[str, Any] = {"from": principal.username}
    if body.camera_id is not None:
        await _visible_cameras(db, principal, [body.camera_id], "body.camera_id")
        payload["camera_id"] = body.camera_id
    else:
        assert body.wall_id is not None
        payload["wall"] = _wall_out(await _get(db, Wall, body.wall_id, principal)).model_dump(
            mode="json"
        )
    await services.audit.record(
        Actor.of(principal), "wall.push", target_type="user", target_id=target.id, detail=payload
    )
    await services.bus.publish(
        "wall.push", payload, audience=Audience("walls.read", user_ids=frozenset({target.id}))
    )
    return {"sent_to": target.username}

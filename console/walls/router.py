"""Saved walls and tours (own and unit-shared), and push-to-wall between operators."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from console.audit import Actor
from console.auth.policy import Principal, Resource, authorize
from console.bounds import INT64_MAX, IdPath
from console.cameras import service as cameras
from console.cameras.models import Camera
from console.deps import DbDep, ServicesDep, absent, check, require
from console.errors import ProblemError
from console.events import Audience
from console.store import changes
from console.store.models import User
from console.viewcache import cached_json
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


def _walls_changed(services: ServicesDep) -> None:
    """Saved walls decide which cameras live view keeps warm."""
    warmer = services.extensions.get("live_warmer")
    if warmer is not None:
        warmer.refresh_soon()  # type: ignore[attr-defined]


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


def _resource(obj: Wall | Tour) -> Resource:
    """A wall or tour: its creator's own; once shared, also its unit's (and units above)."""
    kind = "wall" if isinstance(obj, Wall) else "tour"
    unit = obj.unit_id if obj.shared else None
    return Resource(kind, str(obj.id), unit, owner_user_id=obj.owner_id)


async def _may_edit(services: ServicesDep, obj: Wall | Tour, p: Principal) -> None:
    await check(services, p, "walls.write", _resource(obj))


async def _check_share(
    services: ServicesDep, body: WallIn | TourIn, p: Principal, obj: Wall | Tour | None
) -> None:
    if not body.shared:
        return
    kind = "tour" if isinstance(body, TourIn) else "wall"
    target = (
        _resource(obj)
        if obj is not None
        else Resource(kind, "new", p.unit_id, owner_user_id=p.user_id)
    )
    await check(services, p, "walls.share", target)


@router.get("/walls")
async def list_walls(
    request: Request, principal: Reader, services: ServicesDep, db: DbDep
) -> Response:
    """Your walls and those shared with your units."""

    async def build() -> dict[str, list[WallOut]]:
        rows = await db.scalars(_mine_or_shared(Wall, principal).order_by(Wall.name))
        return {"items": [_wall_out(w) for w in rows]}

    # Own walls and the scope's shared ones: the user and the scope are both in the key.
    key = ("walls.list", principal.user_id, principal.unit_scope)
    return await cached_json(request, services, key, changes.stamp(("walls",)), build)


@router.post("/walls", status_code=201, response_model=WallOut)
async def create_wall(body: WallIn, principal: Writer, services: ServicesDep, db: DbDep) -> WallOut:
    """Save a wall."""
    await _check_share(services, body, principal, None)
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
    _walls_changed(services)
    return _wall_out(wall)


async def _visible(
    db: AsyncSession, model: type[Wall] | type[Tour], obj_id: int, p: Principal
) -> Any:
    """The wall or tour if the caller may see it, else None (missing and hidden alike)."""
    obj: Wall | Tour | None = await db.get(model, obj_id)
    if obj is None or not authorize(p, "walls.read", _resource(obj)).allowed:
        return None
    return obj


async def _get(
    services: ServicesDep,
    db: AsyncSession,
    model: type[Wall] | type[Tour],
    obj_id: int,
    p: Principal,
) -> Any:
    kind = model.__tablename__[:-1]
    obj: Wall | Tour | None = await db.get(model, obj_id)
    if obj is None:
        raise await absent(services, p, "walls.read", kind, obj_id)
    await check(services, p, "walls.read", _resource(obj))
    return obj


@router.get("/walls/{wall_id}", response_model=WallOut)
async def get_wall(wall_id: IdPath, principal: Reader, services: ServicesDep, db: DbDep) -> WallOut:
    """One wall."""
    return _wall_out(await _get(services, db, Wall, wall_id, principal))


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
    wall: Wall = await _get(services, db, Wall, wall_id, principal)
    await _may_edit(services, wall, principal)
    await _check_share(services, body, principal, wall)
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
    _walls_changed(services)
    return _wall_out(wall)


@router.delete("/walls/{wall_id}", status_code=204)
async def delete_wall(
    wall_id: IdPath, principal: Writer, services: ServicesDep, db: DbDep
) -> Response:
    """Delete a wall."""
    wall: Wall = await _get(services, db, Wall, wall_id, principal)
    await _may_edit(services, wall, principal)
    await db.delete(wall)
    entry = services.audit.add(
        db, Actor.of(principal), "wall.delete", target_type="wall", target_id=wall_id
    )
    await db.commit()
    await services.audit.announce(entry)
    _walls_changed(services)
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
            ok = step.ref.isdigit() and await _visible(db, Wall, int(step.ref), p) is not None
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
    await _check_share(services, body, principal, None)
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
    tour_id: IdPath,
    body: TourIn,
    principal: Writer,
    services: ServicesDep,
    db: DbDep,
    version: Annotated[
        int | None, Query(ge=0, le=INT64_MAX, description="Expected version (412 when stale).")
    ] = None,
) -> TourOut:
    """Replace a tour."""
    tour: Tour = await _get(services, db, Tour, tour_id, principal)
    await _may_edit(services, tour, principal)
    await _check_share(services, body, principal, tour)
    if version is not None and version != tour.version:
        raise ProblemError(
            412,
            f"tour {tour_id} is at version {tour.version}",
            code="stale",
            extra={"current": _tour_out(tour).model_dump(mode="json")},
        )
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
    tour: Tour = await _get(services, db, Tour, tour_id, principal)
    await _may_edit(services, tour, principal)
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
    reachable = target is not None and (
        authorize(principal, "walls.push", Resource.user(target.id, target.unit_id)).allowed
    )
    if target is None or not reachable:
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
        wall = await _get(services, db, Wall, body.wall_id, principal)
        payload["wall"] = _wall_out(wall).model_dump(mode="json")
    await services.audit.record(
        Actor.of(principal), "wall.push", target_type="user", target_id=target.id, detail=payload
    )
    await services.bus.publish(
        "wall.push", payload, audience=Audience("walls.read", user_ids=frozenset({target.id}))
    )
    return {"sent_to": target.username}

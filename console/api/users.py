"""Users: list, create, change, reset password (admins, within their units)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from console.api.passwords import check_new_password, publish_password_change
from console.api.schemas import Items, PasswordIn, UserCreate, UserOut, UserPatch
from console.audit import Actor
from console.auth.credentials import close_user_sessions, revoke_user_tokens
from console.auth.passwords import hash_password_async
from console.auth.policy import Principal, Resource
from console.bounds import IdPath
from console.deps import DbDep, ServicesDep, absent, check, require
from console.errors import ProblemError
from console.events import Audience
from console.services import Services
from console.store.models import Unit, User, utcnow

router = APIRouter(prefix="/api/users", tags=["users"])
Reader = Annotated[Principal, Depends(require("users.read"))]
Writer = Annotated[Principal, Depends(require("users.write"))]


# Changes that could leave a district without an enabled admin are made one at a time.
_ADMIN_CHANGES = asyncio.Lock()


def _resource(user: User) -> Resource:
    return Resource.user(user.id, user.unit_id)


async def _unit_in_scope(services: Services, db: DbDep, principal: Principal, unit_id: int) -> None:
    if await db.get(Unit, unit_id) is None:
        raise ProblemError(
            422,
            f"body.unit_id: unit {unit_id} does not exist",
            code="validation",
            errors=[{"loc": "body.unit_id", "msg": "unknown unit", "type": "unknown_reference"}],
        )
    await check(services, principal, "users.write", Resource.unit(unit_id))


async def _publish(services: Services, type_: str, user: User) -> None:
    await services.bus.publish(
        type_,
        UserOut.of(user).model_dump(mode="json"),
        audience=Audience("users.read", frozenset({user.unit_id})),
    )


@router.get("", response_model=Items[UserOut])
async def list_users(principal: Reader, db: DbDep) -> Items[UserOut]:
    """Users of the caller's units."""
    rows = await db.scalars(
        select(User).where(User.unit_id.in_(principal.unit_scope)).order_by(User.username)
    )
    return Items[UserOut](items=[UserOut.of(u) for u in rows])


@router.post("", status_code=201, response_model=UserOut)
async def create_user(
    body: UserCreate, principal: Writer, services: ServicesDep, db: DbDep
) -> UserOut:
    """Create a user in one of the caller's units."""
    await _unit_in_scope(services, db, principal, body.unit_id)
    await check_new_password(services, body.password, body.username)
    if await db.scalar(select(User.id).where(User.username == body.username)) is not None:
        raise ProblemError(
            409,
            f"user name {body.username!r} is taken",
            code="duplicate",
            errors=[{"loc": "body.username", "msg": "already exists", "type": "duplicate"}],
        )
    user = User(
        username=body.username,
        display_name=body.display_name or body.username,
        password_hash=await hash_password_async(body.password),
        unit_id=body.unit_id,
        roles=sorted({r.value for r in body.roles}),
        locale=body.locale,
    )
    db.add(user)
    try:
        await db.flush()
    except IntegrityError as exc:
        raise ProblemError(409, f"user name {body.username!r} is taken", code="duplicate") from exc
    entry = services.audit.add(
        db,
        Actor.of(principal),
        "user.create",
        target_type="user",
        target_id=user.id,
        detail={"username": user.username, "unit_id": user.unit_id, "roles": user.roles},
    )
    await db.commit()
    await db.refresh(user, ["unit"])
    await services.audit.announce(entry)
    await _publish(services, "user.created", user)
    return UserOut.of(user)


async def _load(
    services: Services, db: DbDep, principal: Principal, user_id: int, perm: str
) -> User:
    user = await db.get(User, user_id)
    if user is None:
        raise await absent(services, principal, perm, "user", user_id)
    await check(services, principal, perm, _resource(user))
    return user


@router.get("/{user_id}", response_model=UserOut)
async def get_user(user_id: IdPath, principal: Reader, services: ServicesDep, db: DbDep) -> UserOut:
    """One user."""
    return UserOut.of(await _load(services, db, principal, user_id, "users.read"))


async def _keeps_district_admin(
    services: Services, db: DbDep, user: User, changes: dict[str, Any]
) -> None:
    """409 when the change would leave the user's top-level unit without an enabled admin."""
    if not services.units.is_top_level(user.unit_id) or user.disabled or "admin" not in user.roles:
        return
    roles = changes.get("roles")
    stays = (
        changes.get("unit_id") in (None, user.unit_id)
        and not changes.get("disabled")
        and (roles is None or "admin" in {getattr(r, "value", r) for r in roles})
    )
    if stays:
        return
    # On PostgreSQL the unit row lock serialises such changes across server processes too.
    await db.execute(select(Unit.id).where(Unit.id == user.unit_id).with_for_update())
    colleagues = await db.scalars(
        select(User).where(
            User.unit_id == user.unit_id, User.id != user.id, User.disabled.is_(False)
        )
    )
    if not any("admin" in u.roles for u in colleagues):
        raise ProblemError(
            409,
            f"user {user.username} is the last enabled admin of top-level unit "
            f"{user.unit_id}; make another user of that unit an admin first",
            code="last-admin",
        )


@router.patch("/{user_id}", response_model=UserOut)
async def update_user(
    user_id: IdPath, body: UserPatch, principal: Writer, services: ServicesDep, db: DbDep
) -> UserOut:
    """Change a user's name, unit, roles, language or disabled flag."""
    user = await _load(services, db, principal, user_id, "users.write")
    changes = body.model_dump(exclude_unset=True)
    if "unit_id" in changes and changes["unit_id"] is not None:
        await _unit_in_scope(services, db, principal, changes["unit_id"])
    if user.id == principal.user_id and (
        changes.get("disabled")
        or ("roles" in changes and "admin" not in {r.value for r in body.roles or []})
    ):
        raise ProblemError(
            409, "you cannot disable yourself or drop your own admin role", code="self-lockout"
        )
    async with _ADMIN_CHANGES:
        await _keeps_district_admin(services, db, user, changes)
        before = {k: getattr(user, k) for k in changes}
        for key, value in changes.items():
            if value is None and key != "locale":
                continue
            if key == "roles":
                value = sorted({r.value if hasattr(r, "value") else r for r in value})
            setattr(user, key, value)
        if changes.get("disabled"):
            await close_user_sessions(db, user.id)
        entry = services.audit.add(
            db,
            Actor.of(principal),
            "user.update",
            target_type="user",
            target_id=user.id,
            detail={"before": before, "after": {k: getattr(user, k) for k in changes}},
        )
        await db.commit()
    await db.refresh(user, ["unit"])
    await services.audit.announce(entry)
    await _publish(services, "user.updated", user)
    return UserOut.of(user)


@router.post("/{user_id}/password", status_code=204)
async def set_password(
    user_id: IdPath, body: PasswordIn, principal: Writer, services: ServicesDep, db: DbDep
) -> Response:
    """Set a new password; the user's sessions are signed out and API tokens revoked."""
    user = await _load(services, db, principal, user_id, "users.write")
    await check_new_password(services, body.password, user)
    user.password_hash = await hash_password_async(body.password)
    user.password_changed_at = utcnow()
    await close_user_sessions(db, user.id)
    await revoke_user_tokens(db, user.id)
    entry = services.audit.add(
        db, Actor.of(principal), "user.password", target_type="user", target_id=user.id
    )
    await db.commit()
    await db.refresh(user, ["unit"])
    await services.audit.announce(entry)
    await publish_password_change(services, user, by_admin=user.id != principal.user_id)
    return Response(status_code=204)

"""iCalendar feeds per user and per unit behind secret, revocable, hashed tokens."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from sqlalchemy import select

from console.audit import Actor
from console.auth.policy import Principal, Resource, Role
from console.bounds import IdPath
from console.deps import DbDep, ServicesDep, check, require
from console.drills import service
from console.drills.models import DrillFeedRow, DrillRow
from console.drills.schemas import FeedIn, FeedOut, FeedPage
from console.errors import ProblemError
from console.events import Audience
from console.store.models import Unit, User
from drills.ical import feed
from drills.workflow import Status

router = APIRouter(prefix="/api/drills/feeds", tags=["drills"])
Reader = Annotated[Principal, Depends(require("drills.read"))]
PATH = "/api/drills/feeds/{token}.ics"


def token_hash(token: str) -> str:
    """SHA-256 of a feed token (only the hash is stored)."""
    return hashlib.sha256(token.encode()).hexdigest()


def _out(row: DrillFeedRow, url: str | None = None) -> FeedOut:
    return FeedOut(
        id=row.id,
        scope=row.scope,
        unit_id=row.unit_id,
        created_at=row.created_at,
        revoked=row.revoked_at is not None,
        url=url,
    )


@router.get("", response_model=FeedPage)
async def list_feeds(principal: Reader, db: DbDep) -> FeedPage:
    """The caller's feeds (their secret URLs are not shown again)."""
    rows = await db.scalars(
        select(DrillFeedRow)
        .where(DrillFeedRow.user_id == principal.user_id)
        .order_by(DrillFeedRow.id)
    )
    return FeedPage(items=[_out(r) for r in rows])


@router.post("", status_code=201, response_model=FeedOut)
async def create_feed(body: FeedIn, principal: Reader, services: ServicesDep, db: DbDep) -> FeedOut:
    """A feed of your drills, or of one of your units' drills; the URL is shown once."""
    if body.scope == "unit":
        if body.unit_id is None:
            raise ProblemError(
                422,
                "body.unit_id: required for a unit feed",
                code="validation",
                errors=[
                    {"loc": "body.unit_id", "msg": "required for scope unit", "type": "missing"}
                ],
            )
        if await db.get(Unit, body.unit_id) is None:
            raise ProblemError(
                422,
                f"body.unit_id: unit {body.unit_id} does not exist",
                code="validation",
                errors=[
                    {"loc": "body.unit_id", "msg": "unknown unit", "type": "unknown_reference"}
                ],
            )
        await check(
            services, principal, "drills.read", Resource("unit", str(body.unit_id), body.unit_id)
        )
    token = secrets.token_urlsafe(32)
    row = DrillFeedRow(
        token_hash=token_hash(token),
        scope=body.scope,
        user_id=principal.user_id,
        unit_id=body.unit_id if body.scope == "unit" else None,
    )
    db.add(row)
    await db.flush()
    entry = services.audit.add(
        db,
        Actor.of(principal),
        "drill.feed.create",
        target_type="drill_feed",
        target_id=str(row.id),
        detail={"scope": row.scope, "unit_id": row.unit_id},
    )
    await db.commit()
    await services.audit.announce(entry)
    return _out(row, PATH.format(token=token))


@router.delete("/{feed_id}", status_code=204)
async def revoke_feed(
    feed_id: IdPath, principal: Reader, services: ServicesDep, db: DbDep
) -> Response:
    """Revoke a feed: its URL answers 404 from now on (yours, or any of your units' as admin)."""
    row = await db.get(DrillFeedRow, feed_id)
    owner = await db.get(User, row.user_id) if row is not None else None
    if row is None or owner is None:
        raise ProblemError(404, f"feed {feed_id} not found", code="not-found")
    if row.user_id != principal.user_id:
        if not principal.has_role(Role.admin):
            raise ProblemError(404, f"feed {feed_id} not found", code="not-found")
        await check(
            services, principal, "drills.read", Resource("drill_feed", str(row.id), owner.unit_id)
        )
    if row.revoked_at is None:
        row.revoked_at = service.now()
        entry = services.audit.add(
            db,
            Actor.of(principal),
            "drill.feed.revoke",
            target_type="drill_feed",
            target_id=str(row.id),
        )
        await db.commit()
        await services.audit.announce(entry)
        await services.bus.publish(
            "drills.feed.revoked",
            {"id": row.id},
            audience=Audience("drills.read", user_ids=frozenset({row.user_id})),
        )
    return Response(status_code=204)


@router.get("/{token}.ics", response_class=Response)
async def get_feed(token: str, services: ServicesDep, db: DbDep) -> Response:
    """The calendar itself: no session, the secret token is the credential (404 if unknown)."""
    row = await db.scalar(select(DrillFeedRow).where(DrillFeedRow.token_hash == token_hash(token)))
    user = await db.get(User, row.user_id) if row is not None else None
    if row is None or row.revoked_at is not None or user is None or user.disabled:
        raise ProblemError(404, "no such calendar feed", code="not-found")
    if row.scope == "unit" and row.unit_id is not None:
        units, name = frozenset({row.unit_id}), f"Drills · unit {row.unit_id}"
    else:
        units, name = services.units.scope(user.unit_id), f"Drills · {user.username}"
    drills = [
        service.as_drill(r)
        for r in await db.scalars(select(DrillRow).order_by(DrillRow.id))
        if r.status != Status.draft.value and service.units(r) & units
    ]
    body = await asyncio.to_thread(feed, drills, name)
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, max-age=300"},
    )

"""iCalendar feeds per user and per unit behind secret, revocable, hashed tokens."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Annotated
from urllib.parse import quote

import shapely
from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from console.audit import Actor
from console.auth.policy import Principal, Resource, authorize
from console.bounds import IdPath
from console.deps import DbDep, ServicesDep, absent, check, principal_of, require
from console.drills import service
from console.drills.config import LEADS, DrillsConfig, config
from console.drills.models import DrillFeedRow, DrillRow
from console.drills.schemas import FeedIn, FeedOut, FeedPage
from console.errors import ProblemError
from console.events import Audience
from console.gis.models import Feature
from console.store.models import AuditEntry, Unit, User
from drills.errors import DrillError
from drills.expand import expand
from drills.ical import FeedItem, Venue, feed
from drills.workflow import Status

log = logging.getLogger(__name__)

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
        await check(services, principal, "drills.feed.create", Resource.unit(body.unit_id))
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
        raise await absent(services, principal, "drills.feed.revoke", "drill_feed", feed_id, "feed")
    res = Resource("drill_feed", str(row.id), owner.unit_id, owner_user_id=owner.id)
    await check(services, principal, "drills.feed.revoke", res, label="feed")
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


def _utc(t: datetime) -> datetime:
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


async def _venues(db: AsyncSession, ids: set[str]) -> dict[str, tuple[Venue, datetime]]:
    feats = await db.scalars(
        select(Feature).where(Feature.layer == "shelters", Feature.fid.in_(sorted(ids)))
    )
    out = {}
    for f in feats:
        if f.deleted:
            continue
        point = shapely.from_geojson(f.geometry).representative_point()
        props = f.properties or {}
        venue = Venue(
            name=str(props.get("name") or f.fid),
            address=str(props.get("address") or ""),
            lat=round(point.y, 6),
            lon=round(point.x, 6),
        )
        out[f.fid] = (venue, f.updated_at)
    return out


async def _last_modified(db: AsyncSession, venues: list[datetime]) -> datetime:
    # Monotone: any drill change or deletion anywhere moves it (never a wrong 304).
    latest = [
        await db.scalar(select(func.max(DrillRow.updated_at))),
        await db.scalar(select(func.max(AuditEntry.ts)).where(AuditEntry.action == "drill.delete")),
        *venues,
    ]
    found = [_utc(t) for t in latest if t is not None]
    return max(found) if found else datetime(2000, 1, 1, tzinfo=UTC)


def _items(
    rows: list[DrillRow], cfg: DrillsConfig, base: str, venues: dict[str, tuple[Venue, datetime]]
) -> list[FeedItem]:
    # Blocking (expansion): run in a thread. A drill whose stored rule cannot be read is left
    # out with a log line so one bad row never breaks everyone's calendar.
    items = []
    for r in rows:
        drill = service.as_drill(r)
        try:
            expansion = expand(drill.plan, calendar=cfg.calendar)
        except DrillError as exc:
            log.warning("drill %s left out of the calendar feed: %s", r.id, exc.message)
            continue
        venue = venues.get(drill.plan.venue_shelter_id)
        items.append(
            FeedItem(
                drill=drill,
                updated=_utc(r.updated_at),
                expansion=expansion,
                url=f"{base}/#/drills/{quote(r.id)}",
                venue=venue[0] if venue else None,
                reminders=tuple(lead for _, lead in LEADS),
            )
        )
    return items


@router.get("/{token}.ics", response_class=Response)
async def get_feed(token: str, request: Request, services: ServicesDep, db: DbDep) -> Response:
    """The calendar itself: no session, the secret token is the credential (404 if unknown).

    ETag and Last-Modified let subscribers poll cheaply (304 when nothing changed).
    """
    row = await db.scalar(select(DrillFeedRow).where(DrillFeedRow.token_hash == token_hash(token)))
    user = await db.get(User, row.user_id) if row is not None else None
    if row is None or row.revoked_at is not None or user is None or user.disabled:
        raise ProblemError(404, "no such calendar feed", code="not-found")
    if row.scope == "unit" and row.unit_id is not None:
        # A unit feed lives only while its owner still belongs to that unit (or one above).
        owner = principal_of(user, services, "feed")
        if not authorize(owner, "drills.feed.create", Resource.unit(row.unit_id)).allowed:
            row.revoked_at = service.now()
            entry = services.audit.add(
                db,
                Actor(user.id, user.username, user.unit_id, "feed"),
                "drill.feed.revoke",
                target_type="drill_feed",
                target_id=str(row.id),
                detail={
                    "reason": "the owner no longer belongs to the unit",
                    "unit_id": row.unit_id,
                },
            )
            await db.commit()
            await services.audit.announce(entry)
            raise ProblemError(404, "no such calendar feed", code="not-found")
        units, name = frozenset({row.unit_id}), f"Drills · unit {row.unit_id}"
    else:
        units, name = services.units.scope(user.unit_id), f"Drills · {user.username}"
    rows = [
        r
        for r in await db.scalars(select(DrillRow).order_by(DrillRow.id))
        if r.status != Status.draft.value and service.units(r) & units
    ]
    venues = await _venues(db, {str(r.plan.get("venue_shelter_id", "")) for r in rows})
    modified = await _last_modified(db, [t for _, t in venues.values()])
    base = str(request.base_url).rstrip("/")
    cfg = config(services)
    items = await asyncio.to_thread(_items, rows, cfg, base, venues)
    body = await asyncio.to_thread(feed, items, name, request.url.hostname or "eoc.local")
    tag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {
        "Cache-Control": "private, max-age=300",
        "ETag": tag,
        "Last-Modified": format_datetime(modified.replace(microsecond=0), usegmt=True),
    }
    if _not_modified(request, tag, modified):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="text/calendar; charset=utf-8", headers=headers)


def _not_modified(request: Request, tag: str, modified: datetime) -> bool:
    """RFC 9110: If-None-Match wins; If-Modified-Since only without it."""
    inm = request.headers.get("if-none-match")
    if inm is not None:
        tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
        return "*" in tags or tag in tags
    ims = request.headers.get("if-modified-since")
    if ims:
        try:
            since = parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            return False
        return modified.replace(microsecond=0) <= since
    return False

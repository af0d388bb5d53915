"""Feed configuration: polled URLs or push-only feeds, their status, poll now."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from console.audit import Actor
from console.bounds import IdPath
from console.deps import DbDep, ServicesDep
from console.errors import ProblemError
from console.incidents.deps import Manager, SvcDep
from console.incidents.feeds import poll_once
from console.incidents.models import QuakeFeed

router = APIRouter(prefix="/api/quake-feeds", tags=["incidents"])
NAME = r"^[A-Za-z0-9_.-]{1,64}$"


class FeedIn(BaseModel):
    """A feed: with a URL it is polled; without, it is pushed to /api/quakes/ingest?feed=."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME)
    format: Literal["auto", "usgs", "cenc", "quakeml"] = "auto"
    url: str | None = Field(None, max_length=500, pattern=r"^https?://\S+$")
    poll_seconds: int = Field(60, ge=5, le=86400)
    enabled: bool = True


def feed_dict(f: QuakeFeed) -> dict[str, Any]:
    """A feed with its status."""
    return {
        "id": f.id,
        "name": f.name,
        "format": f.format,
        "url": f.url,
        "poll_seconds": f.poll_seconds,
        "enabled": f.enabled,
        "mode": "poll" if f.url else "push",
        "last_ok_at": f.last_ok_at.isoformat() if f.last_ok_at else None,
        "last_error": f.last_error,
        "last_error_at": f.last_error_at.isoformat() if f.last_error_at else None,
        "failures": f.failures,
        "healthy": f.failures == 0,
    }


@router.get("")
async def list_feeds(principal: Manager, db: DbDep) -> dict[str, Any]:
    """Every feed and its status."""
    return {
        "items": [
            feed_dict(f) for f in await db.scalars(select(QuakeFeed).order_by(QuakeFeed.name))
        ]
    }


@router.post("", status_code=201)
async def add_feed(
    body: FeedIn, principal: Manager, services: ServicesDep, db: DbDep
) -> dict[str, Any]:
    """Add a feed (names are unique)."""
    await _name_free(db, body.name)
    f = QuakeFeed(**body.model_dump(), created_by=principal.username, failures=0)
    db.add(f)
    entry = services.audit.add(
        db,
        Actor.of(principal),
        "quake.feed.add",
        target_type="quake_feed",
        target_id=body.name,
        detail=body.model_dump(),
    )
    await db.commit()
    await services.audit.announce(entry)
    return feed_dict(f)


async def _name_free(db: DbDep, name: str, own_id: int | None = None) -> None:
    """409 naming body.name when another feed has this name (names are unique)."""
    other = await db.scalar(select(QuakeFeed).where(QuakeFeed.name == name))
    if other is not None and other.id != own_id:
        raise ProblemError(
            409,
            f"a feed named {name} exists",
            code="conflict",
            errors=[{"loc": "body.name", "msg": "taken", "type": "unique"}],
        )


async def _feed(db: DbDep, feed_id: IdPath) -> QuakeFeed:
    f = await db.get(QuakeFeed, feed_id)
    if f is None:
        raise ProblemError(404, f"feed {feed_id} not found", code="not-found")
    return f


@router.put("/{feed_id}")
async def update_feed(
    feed_id: IdPath, body: FeedIn, principal: Manager, services: ServicesDep, db: DbDep
) -> dict[str, Any]:
    """Change a feed."""
    f = await _feed(db, feed_id)
    await _name_free(db, body.name, feed_id)
    for k, v in body.model_dump().items():
        setattr(f, k, v)
    entry = services.audit.add(
        db,
        Actor.of(principal),
        "quake.feed.update",
        target_type="quake_feed",
        target_id=f.name,
        detail=body.model_dump(),
    )
    await db.commit()
    await services.audit.announce(entry)
    return feed_dict(f)


@router.delete("/{feed_id}", status_code=204)
async def delete_feed(
    feed_id: IdPath, principal: Manager, services: ServicesDep, db: DbDep
) -> Response:
    """Remove a feed (its events stay)."""
    f = await _feed(db, feed_id)
    await db.delete(f)
    entry = services.audit.add(
        db, Actor.of(principal), "quake.feed.delete", target_type="quake_feed", target_id=f.name
    )
    await db.commit()
    await services.audit.announce(entry)
    return Response(status_code=204)


@router.post("/{feed_id}/poll")
async def poll_now(
    feed_id: IdPath, principal: Manager, services: ServicesDep, svc: SvcDep, db: DbDep
) -> dict[str, Any]:
    """Poll a feed now and say what happened."""
    f = await _feed(db, feed_id)
    return await poll_once(services, svc, f)

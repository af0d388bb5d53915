"""Polling feeds on their schedule; a feed that fails or returns HTML is marked, not fatal."""

from __future__ import annotations

import asyncio
import logging
import urllib.request
from datetime import UTC, datetime

from sqlalchemy import select

from console.audit import Actor
from console.incidents.models import QuakeFeed
from console.incidents.service import IncidentService
from console.services import Services
from gis.quake.model import QuakeError
from gis.quake.parsers import Format, parse

log = logging.getLogger(__name__)
FEED_ACTOR = Actor(None, "feed", None, "local")
TICK_S = 1.0


class FeedError(Exception):
    """A feed that could not be read; the message says why."""


def fetch(url: str, timeout: float, limit: int) -> bytes:
    """GET a feed body (blocking: worker thread)."""
    req = urllib.request.Request(url, headers={"User-Agent": "eoc-console", "Accept": "*/*"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            ctype = resp.headers.get("content-type", "")
            body: bytes = resp.read(limit + 1)
    except OSError as exc:
        raise FeedError(f"no answer from {url}: {exc}") from exc
    if len(body) > limit:
        raise FeedError(f"feed body larger than {limit} bytes")
    if "text/html" in ctype.lower():
        raise FeedError(f"the feed returned an HTML page (content-type {ctype}), not data")
    return body


async def mark_feed(services: Services, name: str, error: str | None) -> None:
    """Record a feed's last success or failure."""
    async with services.store.session() as db, db.begin():
        feed = await db.scalar(select(QuakeFeed).where(QuakeFeed.name == name))
        if feed is None:
            return
        now = datetime.now(UTC)
        if error is None:
            feed.last_ok_at, feed.failures = now, 0
        else:
            feed.last_error, feed.last_error_at = error[:2000], now
            feed.failures += 1


async def poll_once(services: Services, svc: IncidentService, feed: QuakeFeed) -> dict[str, object]:
    """Fetch, parse and file one feed now; failures are recorded on the feed."""
    cfg = services.settings.incidents
    try:
        if not feed.url:
            raise FeedError("the feed has no URL (push feeds are not polled)")
        body = await asyncio.to_thread(fetch, feed.url, cfg.feed_timeout_s, cfg.feed_max_bytes)
        fmt: Format = feed.format if feed.format in ("usgs", "cenc", "quakeml") else "auto"  # type: ignore[assignment]
        parsed = await asyncio.to_thread(parse, body, fmt)
    except (FeedError, QuakeError) as exc:
        msg = str(exc)
        log.warning("feed %s failed: %s", feed.name, msg)
        await mark_feed(services, feed.name, msg)
        await services.bus.publish(
            "quake.feed.error",
            {"feed": feed.name, "error": msg},
            audience=services_audience(),  # type: ignore[arg-type]
        )
        return {"feed": feed.name, "ok": False, "error": msg}
    outcomes = await svc.ingest(parsed.reports, FEED_ACTOR, via=f"poll:{feed.name}")
    await mark_feed(services, feed.name, None)
    return {"feed": feed.name, "ok": True, "filed": len(outcomes), "errors": parsed.errors}


def services_audience() -> object:
    """Who hears about feed problems: feed managers."""
    from console.events import Audience

    return Audience(permission="incidents.manage")


async def poller(services: Services, svc: IncidentService) -> None:
    """Poll each enabled feed with a URL every poll_seconds (one at a time, never overlapping)."""
    due: dict[int, float] = {}
    loop = asyncio.get_running_loop()
    while True:
        try:
            async with services.store.session() as db:
                feeds = list(
                    await db.scalars(
                        select(QuakeFeed).where(
                            QuakeFeed.enabled.is_(True), QuakeFeed.url.is_not(None)
                        )
                    )
                )
            now = loop.time()
            for f in feeds:
                if due.get(f.id, 0.0) <= now:
                    due[f.id] = now + max(5, f.poll_seconds)
                    await poll_once(services, svc, f)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("feed poller round failed")
        await asyncio.sleep(TICK_S)

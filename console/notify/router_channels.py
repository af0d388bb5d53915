"""Notification channels: list, create, edit, delete, send a test (unit admins, own units)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Response
from sqlalchemy import select

from console.api.schemas import Items
from console.audit import Actor
from console.auth.policy import Principal, Resource
from console.bounds import IdPath
from console.deps import DbDep, ServicesDep, absent, check, require
from console.errors import ProblemError
from console.notify import service
from console.notify.dispatcher import Dispatcher, RateLimited
from console.notify.models import NotifyChannel
from console.notify.module import CACHE, dispatcher_of
from console.notify.schemas import ChannelCreate, ChannelOut, ChannelPatch, DeliveryOut
from console.preconditions import check_fresh, etag, if_match_version
from console.services import Services
from console.store.models import utcnow

router = APIRouter(prefix="/api/notify/channels", tags=["notify"])
Manager = Annotated[Principal, Depends(require("notify.manage"))]
PERM = "notify.manage"


def running(services: Services) -> Dispatcher:
    """The dispatcher, or 503 when the module is not running."""
    found = dispatcher_of(services)
    if found is None:
        raise ProblemError(503, "notifications are not running on this server")
    return found


async def load(
    services: Services, db: DbDep, principal: Principal, channel_id: IdPath
) -> NotifyChannel:
    """A channel of the caller's units (404 alike if missing or another unit's; audited)."""
    channel = await db.get(NotifyChannel, channel_id)
    if channel is None:
        raise await absent(services, principal, PERM, "notify_channel", channel_id)
    await check(services, principal, PERM, service.channel_resource(channel))
    return channel


def _audit_detail(channel: NotifyChannel) -> dict[str, Any]:
    # Masks and flags only: a URL or secret never reaches the audit log.
    return {
        "name": channel.name,
        "kind": channel.kind,
        "unit_id": channel.unit_id,
        "enabled": channel.enabled,
        "url": channel.config.get("url_masked"),
    }


async def _commit(
    services: Services, db: DbDep, principal: Principal, action: str, channel: NotifyChannel
) -> None:
    entry = services.audit.add(
        db,
        Actor.of(principal),
        action,
        target_type="notify_channel",
        target_id=channel.id,
        detail=_audit_detail(channel),
    )
    await db.commit()
    await services.audit.announce(entry)
    running(services)
    # Every node's dispatcher holds channels and rules: all of them reload.
    await services.caches.invalidate(CACHE)


@router.get("", response_model=Items[ChannelOut])
async def list_channels(principal: Manager, db: DbDep) -> Items[ChannelOut]:
    """Channels of the caller's units."""
    rows = await db.scalars(
        select(NotifyChannel)
        .where(NotifyChannel.unit_id.in_(principal.unit_scope))
        .order_by(NotifyChannel.name, NotifyChannel.id)
    )
    return Items[ChannelOut](items=[await service.channel_out(db, c) for c in rows])


@router.post("", status_code=201, response_model=ChannelOut)
async def create_channel(
    body: ChannelCreate, principal: Manager, services: ServicesDep, db: DbDep, response: Response
) -> ChannelOut:
    """Create a channel in one of the caller's units."""
    await service.check_unit(db, "body.unit_id", body.unit_id)
    await check(services, principal, PERM, Resource("unit", str(body.unit_id), body.unit_id))
    allowed = services.settings.notify.allowed_hosts
    service.check_target(body.kind, body.url, body.secret, allowed)
    config: dict[str, Any] = {"format": body.format}
    if body.kind == "email":
        config["email"] = service.check_email(body.email, allowed).model_dump()
    elif body.email is not None:
        raise service.invalid(
            "body.email", "only e-mail channels have SMTP settings", "extra_forbidden"
        )
    rate = body.rate_per_minute or service.default_rate(body.kind)
    service.check_rate(body.kind, rate)
    channel = NotifyChannel(
        name=body.name,
        unit_id=body.unit_id,
        kind=body.kind,
        enabled=body.enabled,
        locale=body.locale,
        config=config,
        rate_per_minute=rate,
        digest_threshold=body.digest_threshold,
        digest_window_s=body.digest_window_s,
        version=1,
    )
    service.apply_secrets(
        channel,
        services.secret,
        {"url": body.url, "secret": body.secret, "password": body.password},
    )
    db.add(channel)
    await db.flush()
    await _commit(services, db, principal, "notify.channel.create", channel)
    response.headers["ETag"] = etag(channel.version)
    return await service.channel_out(db, channel)


@router.get("/{channel_id}", response_model=ChannelOut)
async def get_channel(
    channel_id: IdPath, principal: Manager, services: ServicesDep, db: DbDep, response: Response
) -> ChannelOut:
    """One channel."""
    channel = await load(services, db, principal, channel_id)
    response.headers["ETag"] = etag(channel.version)
    return await service.channel_out(db, channel)


@router.patch("/{channel_id}", response_model=ChannelOut)
async def update_channel(
    channel_id: IdPath,
    body: ChannelPatch,
    principal: Manager,
    services: ServicesDep,
    db: DbDep,
    response: Response,
    if_match: Annotated[str | None, Header(description="The version edited (ETag).")] = None,
) -> ChannelOut:
    """Change a channel; omitted secrets stay as they are."""
    channel = await load(services, db, principal, channel_id)
    check_fresh(if_match_version(if_match, required=False), channel.version, "the channel")
    fields = body.model_dump(exclude_unset=True)
    if "unit_id" in fields and fields["unit_id"] is not None:
        await service.check_unit(db, "body.unit_id", body.unit_id or 0)
        await check(services, principal, PERM, Resource("unit", str(body.unit_id), body.unit_id))
        channel.unit_id = int(fields["unit_id"])
    allowed = services.settings.notify.allowed_hosts
    url = body.url if body.url is not None else service.current_url(channel, services.secret)
    service.check_target(channel.kind, url or None, body.secret or None, allowed)
    config = dict(channel.config)
    if body.email is not None:
        if channel.kind != "email":
            raise service.invalid(
                "body.email", "only e-mail channels have SMTP settings", "extra_forbidden"
            )
        config["email"] = service.check_email(body.email, allowed).model_dump()
    if body.format is not None:
        config["format"] = body.format
    channel.config = config
    for name in ("name", "enabled", "locale", "rate_per_minute"):
        if fields.get(name) is not None:
            setattr(channel, name, fields[name])
    for name in ("digest_threshold", "digest_window_s"):
        if name in fields:
            setattr(channel, name, fields[name])
    service.check_rate(channel.kind, channel.rate_per_minute)
    service.apply_secrets(
        channel,
        services.secret,
        {"url": body.url, "secret": body.secret, "password": body.password},
    )
    channel.version += 1
    channel.updated_at = utcnow()
    await _commit(services, db, principal, "notify.channel.update", channel)
    response.headers["ETag"] = etag(channel.version)
    return await service.channel_out(db, channel)


@router.delete("/{channel_id}", status_code=204)
async def delete_channel(
    channel_id: IdPath, principal: Manager, services: ServicesDep, db: DbDep
) -> Response:
    """Delete a channel with its rules and delivery log."""
    channel = await load(services, db, principal, channel_id)
    await db.delete(channel)
    await _commit(services, db, principal, "notify.channel.delete", channel)
    return Response(status_code=204)


@router.post("/{channel_id}/test", response_model=DeliveryOut)
async def send_test(
    channel_id: IdPath, principal: Manager, services: ServicesDep, db: DbDep
) -> DeliveryOut:
    """Send a test message now (one attempt) and return how it went; logged and audited."""
    channel = await load(services, db, principal, channel_id)
    try:
        row = await running(services).send_test(channel)
    except RateLimited as exc:
        raise ProblemError(
            429,
            str(exc),
            code="rate-limited",
            headers={"Retry-After": str(max(1, round(exc.wait_s)))},
            extra={"retry_after": max(1, round(exc.wait_s))},
        ) from exc
    await services.audit.record(
        Actor.of(principal),
        "notify.channel.test",
        outcome="success" if row["status"] == "sent" else "failure",
        target_type="notify_channel",
        target_id=channel.id,
        detail={"status": row["status"], "error": row["last_error"][:200]},
    )
    return DeliveryOut(channel_name=channel.name, **row)

"""Routing rules: which notifications a channel receives (managed with the channel)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Response
from sqlalchemy import select

from console.api.schemas import Items
from console.audit import Actor
from console.auth.policy import Principal, authorize
from console.bounds import IdPath, id_query
from console.deps import DbDep, ServicesDep, absent, check, require
from console.notify import service
from console.notify.models import NotifyChannel, NotifyRule
from console.notify.module import CACHE
from console.notify.router_channels import PERM, load, running
from console.notify.schemas import RuleCreate, RuleOut, RulePatch
from console.preconditions import check_fresh, etag, if_match_version
from console.services import Services
from console.store.models import utcnow

router = APIRouter(prefix="/api/notify/rules", tags=["notify"])
Manager = Annotated[Principal, Depends(require("notify.manage"))]


async def _load_rule(
    services: Services, db: DbDep, principal: Principal, rule_id: IdPath
) -> tuple[NotifyRule, NotifyChannel]:
    rule = await db.get(NotifyRule, rule_id)
    channel = await db.get(NotifyChannel, rule.channel_id) if rule is not None else None
    if (
        rule is None
        or channel is None
        or authorize(principal, PERM, service.channel_resource(channel)).hidden
    ):
        # A rule of a channel the caller may not see answers like a missing one.
        raise await absent(services, principal, PERM, "notify_rule", rule_id, "rule")
    await check(services, principal, PERM, service.channel_resource(channel))
    return rule, channel


async def _commit(
    services: Services, db: DbDep, principal: Principal, action: str, rule: NotifyRule
) -> None:
    entry = services.audit.add(
        db,
        Actor.of(principal),
        action,
        target_type="notify_rule",
        target_id=rule.id,
        detail={
            "channel_id": rule.channel_id,
            "name": rule.name,
            "kinds": list(rule.kinds),
            "min_severity": rule.min_severity,
            "tags": list(rule.tags),
            "unit_ids": list(rule.unit_ids),
            "exercise": rule.exercise,
            "enabled": rule.enabled,
        },
    )
    await db.commit()
    await services.audit.announce(entry)
    running(services)
    # Every node's dispatcher holds channels and rules: all of them reload.
    await services.caches.invalidate(CACHE)


@router.get("", response_model=Items[RuleOut])
async def list_rules(
    principal: Manager,
    db: DbDep,
    channel_id: Annotated[int | None, id_query("Rules of this channel only.")] = None,
) -> Items[RuleOut]:
    """Rules of the caller's units' channels."""
    stmt = (
        select(NotifyRule)
        .join(NotifyChannel, NotifyChannel.id == NotifyRule.channel_id)
        .where(NotifyChannel.unit_id.in_(principal.unit_scope))
        .order_by(NotifyRule.channel_id, NotifyRule.id)
    )
    if channel_id is not None:
        stmt = stmt.where(NotifyRule.channel_id == channel_id)
    return Items[RuleOut](items=[service.rule_out(r) for r in await db.scalars(stmt)])


@router.post("", status_code=201, response_model=RuleOut)
async def create_rule(
    body: RuleCreate, principal: Manager, services: ServicesDep, db: DbDep, response: Response
) -> RuleOut:
    """Add a rule to a channel of the caller's units."""
    if await db.get(NotifyChannel, body.channel_id) is None:
        raise service.invalid(
            "body.channel_id", f"channel {body.channel_id} does not exist", "unknown_reference"
        )
    channel = await load(services, db, principal, body.channel_id)
    service.check_rule_lists(body.kinds, body.tags)
    await service.check_rule_units(db, body.unit_ids, services.units.scope(channel.unit_id))
    rule = NotifyRule(
        channel_id=channel.id,
        name=body.name,
        enabled=body.enabled,
        kinds=sorted(set(body.kinds)),
        min_severity=body.min_severity,
        tags=sorted(set(body.tags)),
        unit_ids=sorted(set(body.unit_ids)),
        exercise=body.exercise,
        version=1,
    )
    db.add(rule)
    await db.flush()
    await _commit(services, db, principal, "notify.rule.create", rule)
    response.headers["ETag"] = etag(rule.version)
    return service.rule_out(rule)


@router.patch("/{rule_id}", response_model=RuleOut)
async def update_rule(
    rule_id: IdPath,
    body: RulePatch,
    principal: Manager,
    services: ServicesDep,
    db: DbDep,
    response: Response,
    if_match: Annotated[str | None, Header(description="The version edited (ETag).")] = None,
) -> RuleOut:
    """Change a rule."""
    rule, channel = await _load_rule(services, db, principal, rule_id)
    check_fresh(if_match_version(if_match, required=False), rule.version, "the rule")
    service.check_rule_lists(body.kinds, body.tags)
    await service.check_rule_units(db, body.unit_ids, services.units.scope(channel.unit_id))
    fields = body.model_dump(exclude_unset=True)
    for name, value in fields.items():
        if value is None:
            continue
        setattr(rule, name, sorted(set(value)) if isinstance(value, list) else value)
    rule.version += 1
    rule.updated_at = utcnow()
    await _commit(services, db, principal, "notify.rule.update", rule)
    response.headers["ETag"] = etag(rule.version)
    return service.rule_out(rule)


@router.delete("/{rule_id}", status_code=204)
async def delete_rule(
    rule_id: IdPath, principal: Manager, services: ServicesDep, db: DbDep
) -> Response:
    """Delete a rule."""
    rule, _ = await _load_rule(services, db, principal, rule_id)
    await db.delete(rule)
    await _commit(services, db, principal, "notify.rule.delete", rule)
    return Response(status_code=204)

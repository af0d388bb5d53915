"""Grouped live views: one offer, one peer connection, one camera per video m-line."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from console.audit import Actor
from console.auth.policy import Principal, Role
from console.bounds import IdPath
from console.cameras import service as cameras
from console.cameras.models import Camera
from console.deps import DbDep, ServicesDep, check
from console.errors import ProblemError
from console.live.deps import Viewer, hub_for, peers_of, watching_of
from streams.hub import CameraHub
from streams.webrtc.group import GROUP_MAX, SDP_PER_CAMERA
from streams.webrtc.peers import MAX_SDP, OfferError

group_router = APIRouter()


class GroupOfferIn(BaseModel):
    """One SDP offer with a recvonly video m-line per camera, in the order of `cameras`."""

    model_config = ConfigDict(extra="forbid")

    cameras: list[str] = Field(min_length=1, max_length=GROUP_MAX, description="Camera ids.")
    sdp: str = Field(max_length=MAX_SDP + SDP_PER_CAMERA * GROUP_MAX)
    type: Literal["offer"] = Field("offer", description="Always 'offer'.")
    stream: Literal["main", "sub", "auto"] = Field("auto", description="As for single offers.")
    instant: bool = Field(True, description="Start from the cached GOP.")


class GroupSlotOut(BaseModel):
    """What one m-line carries: a live view, or the reason its camera was refused."""

    camera_id: str
    viewer_id: int | None = None
    mode: str | None = None
    stream: str
    error: str | None = None
    message: str | None = None


class GroupAnswerOut(BaseModel):
    """The server's answer for the whole group."""

    group_id: int
    sdp: str
    type: Literal["answer"] = "answer"
    tracks: list[GroupSlotOut]


async def _cameras(
    ids: list[str], principal: Principal, services: ServicesDep, db: DbDep
) -> dict[str, Camera]:
    found: dict[str, Camera] = {}
    for cid in dict.fromkeys(ids):
        cam = await db.get(Camera, cid)
        if cam is None:
            raise ProblemError(404, f"camera {cid} not found", code="not-found")
        try:
            await check(services, principal, "live.view", cameras.resource(cam))
        except ProblemError as exc:
            raise ProblemError(
                exc.status, f"camera {cid}: {exc.detail}", code=exc.code, extra={"camera_id": cid}
            ) from exc
        found[cid] = cam
    return found


@group_router.post("/offer-group", status_code=201, response_model=GroupAnswerOut)
async def offer_group(
    body: GroupOfferIn, principal: Viewer, services: ServicesDep, db: DbDep
) -> GroupAnswerOut:
    """Start live views of many cameras on one peer connection (each checked and audited)."""
    found = await _cameras(body.cameras, principal, services, db)
    # Answering can wait seconds for the cameras: do not hold a pooled connection meanwhile.
    await db.commit()
    manager = peers_of(services)
    watching = watching_of(services)
    picked = [hub_for(found[cid], body.stream, watching) for cid in body.cameras]
    hubs: list[CameraHub] = [h for h, _ in picked]
    actor = Actor.of(principal)
    try:
        group, slots, answer = await manager.offer_group(
            list(hubs), body.sdp, principal.username, body.instant
        )
    except OfferError as exc:
        for cid in dict.fromkeys(body.cameras):
            await _audit_start(services, actor, cid, {"reason": exc.code}, "failure")
        raise ProblemError(exc.status, str(exc), code=exc.code) from exc
    live = services.extensions.get("live")
    out: list[GroupSlotOut] = []
    for cid, (_hub, stream), slot in zip(body.cameras, picked, slots, strict=True):
        if isinstance(slot, OfferError):
            out.append(
                GroupSlotOut(camera_id=cid, stream=stream, error=slot.code, message=str(slot))
            )
            await _audit_start(services, actor, cid, {"reason": slot.code}, "failure")
            continue
        if live is not None:
            live.viewer_actors[slot.id] = actor  # type: ignore[attr-defined]
        out.append(GroupSlotOut(camera_id=cid, viewer_id=slot.id, mode=slot.mode, stream=stream))
        detail = {"viewer": slot.id, "mode": slot.mode, "stream": stream, "group": group.id}
        await _audit_start(services, actor, cid, detail, "success")
    return GroupAnswerOut(group_id=group.id, sdp=answer, tracks=out)


async def _audit_start(
    services: ServicesDep, actor: Actor, camera_id: str, detail: dict[str, object], outcome: str
) -> None:
    await services.audit.record(
        actor,
        "live.start",
        outcome=outcome,
        target_type="camera",
        target_id=camera_id,
        detail=detail,
    )


@group_router.delete("/groups/{group_id}", status_code=204)
async def stop_group(group_id: IdPath, principal: Viewer, services: ServicesDep) -> Response:
    """Stop every live view of a group (your own; an admin may stop any)."""
    manager = peers_of(services)
    group = manager.groups.get(group_id)
    if group is None:
        raise ProblemError(404, f"live group {group_id} not found", code="not-found")
    if group.user != principal.username and not principal.has_role(Role.admin):
        raise ProblemError(403, "not your live group", code="forbidden")
    await manager.close_group(group_id, "stopped")
    return Response(status_code=204)

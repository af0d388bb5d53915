"""Grouped live views: one offer, one peer connection, one camera per video m-line."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from console.audit import Actor
from console.auth.policy import Principal
from console.bounds import IdPath
from console.cameras import service as cameras
from console.cameras.models import Camera
from console.deps import DbDep, ServicesDep, absent, check
from console.errors import ProblemError
from console.live.deps import Viewer, hub_for, mse_codec, peers_of, view_resource, watching_of
from streams.hub import CameraHub
from streams.webrtc.group import GROUP_MAX, SDP_PER_CAMERA
from streams.webrtc.peers import MAX_SDP, NeedsTranscode, OfferError

group_router = APIRouter()


class GroupOfferIn(BaseModel):
    """One SDP offer with a recvonly video m-line per camera, in the order of `cameras`."""

    model_config = ConfigDict(extra="forbid")

    cameras: list[str] = Field(min_length=1, max_length=GROUP_MAX, description="Camera ids.")
    sdp: str = Field(max_length=MAX_SDP + SDP_PER_CAMERA * GROUP_MAX)
    type: Literal["offer"] = Field("offer", description="Always 'offer'.")
    stream: Literal["main", "sub", "auto"] = Field("auto", description="As for single offers.")
    instant: bool = Field(True, description="Start from the cached GOP.")
    allow_transcode: bool = Field(
        True, description="False: a camera that cannot pass through gets needs_transcode."
    )


class GroupSlotOut(BaseModel):
    """What one m-line carries: a live view, or the reason its camera was refused."""

    camera_id: str
    viewer_id: int | None = None
    mode: str | None = None
    stream: str
    error: str | None = None
    message: str | None = None
    reason: str | None = Field(None, description="needs_transcode: why (b_frames, codec_hevc...).")
    mse: str | None = Field(None, description="needs_transcode: the MSE MIME type, if known.")


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
        try:
            if cam is None:
                raise await absent(services, principal, "live.view", "camera", cid)
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
    linger = services.settings.live.linger_s
    picked = [hub_for(found[cid], body.stream, watching, linger) for cid in body.cameras]
    hubs: list[CameraHub] = [h for h, _ in picked]
    actor = Actor.of(principal)
    try:
        group, slots, answer = await manager.offer_group(
            list(hubs), body.sdp, principal.username, body.instant, body.allow_transcode
        )
    except OfferError as exc:
        for cid in dict.fromkeys(body.cameras):
            await _audit_start(services, actor, cid, {"reason": exc.code}, "failure")
        raise ProblemError(exc.status, str(exc), code=exc.code) from exc
    live = services.extensions.get("live")
    if live is not None:
        live.group_actors[group.id] = actor  # type: ignore[attr-defined]
    out: list[GroupSlotOut] = []
    for cid, (hub, stream), slot in zip(body.cameras, picked, slots, strict=True):
        if isinstance(slot, NeedsTranscode):
            out.append(
                GroupSlotOut(
                    camera_id=cid,
                    stream=stream,
                    error=slot.code,
                    message=str(slot),
                    reason=slot.reason,
                    mse=mse_codec(hub),
                )
            )
            continue
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
    """Stop every live view of a group (your own; an admin that of a user in the admin's
    units); idempotent for its user like a single view's stop."""
    manager = peers_of(services)
    group = manager.groups.get(group_id)
    if group is None:
        # A group that just ended (the browser closed it first) is gone for its own user:
        # stopping it again succeeds; anyone else is answered as for an id never used.
        if manager.closed_by("group", group_id) == principal.username:
            return Response(status_code=204)
        raise await absent(services, principal, "live.manage", "live_group", group_id)
    res = view_resource(services, "live_group", group.id, group.user)
    await check(services, principal, "live.manage", res)
    await manager.close_group(group_id, "stopped")
    return Response(status_code=204)

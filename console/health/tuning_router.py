"""Per-camera diagnosis: the reference view (compare, accept the new view) and tuning."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from console.audit import Actor
from console.auth.policy import Principal
from console.bounds import INT64_MAX
from console.cameras import service as cameras
from console.cameras.models import Camera
from console.deps import DbDep, ServicesDep, absent, check, require
from console.errors import ProblemError
from console.health.models import CameraBaseline, CameraTuning
from console.services import Services
from console.store.models import utcnow
from streams.diagnosis import FAULTS

router = APIRouter(prefix="/api/health/cameras", tags=["health"])
Reader = Annotated[Principal, Depends(require("health.read"))]
Manager = Annotated[Principal, Depends(require("health.manage"))]
Fault = Literal[
    "blank",
    "frozen",
    "too_dark",
    "overexposed",
    "low_contrast",
    "blur",
    "colour_cast",
    "noise",
    "stripes",
    "occlusion",
    "shake",
    "scene_change",
]
assert set(Fault.__args__) == set(FAULTS)  # type: ignore[attr-defined]


def _watching(services: Services) -> Any:
    return services.extensions.get("camera_watching")


async def _camera(services: Services, db: Any, principal: Principal, camera_id: str) -> Camera:
    cam: Camera | None = await db.get(Camera, camera_id)
    if cam is None:
        raise await absent(services, principal, "health.read", "camera", camera_id)
    await check(services, principal, "health.read", cameras.resource(cam))
    return cam


async def _owned(services: Services, principal: Principal, cam: Camera) -> None:
    # Sharing lets a unit watch a camera, never change how it is judged (health.manage has
    # no sharer column: a sharer is refused, an unrelated unit never sees the camera).
    await check(services, principal, "health.manage", cameras.resource(cam))


class TuningBody(BaseModel):
    """Sensitivity per fault (absent = normal) and checks switched off for this camera."""

    model_config = ConfigDict(extra="forbid")

    sensitivity: dict[Fault, Literal["low", "normal", "high"]] = Field(
        default_factory=dict, description="low: only a bigger change raises; high: a smaller."
    )
    disabled: list[Fault] = Field(
        default_factory=list, max_length=len(FAULTS), description="Checks not reported."
    )


def _tuning_dict(row: CameraTuning | None) -> dict[str, Any]:
    if row is None:
        return {"sensitivity": {}, "disabled": [], "version": 0, "updated_by": None}
    return {
        "sensitivity": row.sensitivity,
        "disabled": row.disabled,
        "version": row.version,
        "updated_by": row.updated_by,
        "updated_at": row.updated_at.isoformat(),
    }


@router.get("/{camera_id}/tuning")
async def get_tuning(
    camera_id: str, principal: Reader, services: ServicesDep, db: DbDep
) -> dict[str, Any]:
    """The camera's sensitivities and switched-off checks."""
    await _camera(services, db, principal, camera_id)
    return _tuning_dict(await db.get(CameraTuning, camera_id))


@router.put("/{camera_id}/tuning")
async def put_tuning(
    camera_id: str,
    body: TuningBody,
    principal: Manager,
    services: ServicesDep,
    db: DbDep,
    version: Annotated[
        int | None, Query(ge=0, le=INT64_MAX, description="Expected version (412 if stale).")
    ] = None,
) -> dict[str, Any]:
    """Set sensitivities and switched-off checks (audited; applies from the next diagnosis)."""
    cam = await _camera(services, db, principal, camera_id)
    await _owned(services, principal, cam)
    row = await db.get(CameraTuning, camera_id)
    current = row.version if row is not None else 0
    if version is not None and version != current:
        raise ProblemError(
            412,
            f"tuning of camera {camera_id} is at version {current}",
            code="stale",
            extra={"current": _tuning_dict(row)},
        )
    sensitivity: dict[str, Any] = {
        k: v for k, v in sorted(body.sensitivity.items()) if v != "normal"
    }
    disabled: list[str] = sorted(set(body.disabled))
    if row is None:
        row = CameraTuning(camera_id=camera_id, version=0, updated_at=utcnow())
        db.add(row)
    before = {"sensitivity": row.sensitivity or {}, "disabled": row.disabled or []}
    row.sensitivity, row.disabled = sensitivity, disabled
    row.version = current + 1
    row.updated_by, row.updated_at = principal.username, utcnow()
    entry = services.audit.add(
        db,
        Actor.of(principal),
        "camera.tuning",
        target_type="camera",
        target_id=camera_id,
        detail={"before": before, "after": {"sensitivity": sensitivity, "disabled": disabled}},
    )
    await db.commit()
    await services.audit.announce(entry)
    w = _watching(services)
    if w is not None:
        from console.cameras.watching import tuning_of

        w.set_tuning(camera_id, tuning_of(row))
    return _tuning_dict(row)


@router.get("/{camera_id}/reference")
async def reference_info(
    camera_id: str, principal: Reader, services: ServicesDep, db: DbDep
) -> dict[str, Any]:
    """Whether the camera has learned its view, when, and who last accepted a new one."""
    await _camera(services, db, principal, camera_id)
    row = await db.get(CameraBaseline, camera_id)
    w = _watching(services)
    learning = w.watcher.learning(camera_id) if w is not None else None
    return {
        "learning": learning if learning is not None else not (row is not None and row.ready),
        "has_reference": row is not None and row.reference_jpeg is not None,
        "reference_at": row.reference_at.isoformat() if row and row.reference_at else None,
        "accepted_by": row.accepted_by if row else None,
        "accepted_at": row.accepted_at.isoformat() if row and row.accepted_at else None,
    }


@router.get("/{camera_id}/reference.jpg", response_class=Response)
async def reference_jpeg(
    camera_id: str, principal: Reader, services: ServicesDep, db: DbDep
) -> Response:
    """The picture the camera's baseline was learned on (audited as a view)."""
    await _camera(services, db, principal, camera_id)
    row = await db.get(CameraBaseline, camera_id)
    if row is None or row.reference_jpeg is None:
        raise ProblemError(
            404, f"camera {camera_id} has no reference picture yet", code="no-picture"
        )
    await services.audit.record(
        Actor.of(principal), "camera.reference.view", target_type="camera", target_id=camera_id
    )
    return Response(
        row.reference_jpeg, media_type="image/jpeg", headers={"Cache-Control": "no-store"}
    )


class AcceptBody(BaseModel):
    """Why the new view is right (kept in the audit log)."""

    model_config = ConfigDict(extra="forbid")

    note: str = Field("", max_length=2000, description="E.g. the camera was re-aimed on purpose.")


@router.post("/{camera_id}/accept-view")
async def accept_view(
    camera_id: str, body: AcceptBody, principal: Manager, services: ServicesDep, db: DbDep
) -> dict[str, Any]:
    """Accept what the camera sees now as its normal view: it re-learns (audited)."""
    cam = await _camera(services, db, principal, camera_id)
    await _owned(services, principal, cam)
    w = _watching(services)
    if w is None or w.watcher.learning(camera_id) is None:
        raise ProblemError(409, f"camera {camera_id} is not being watched", code="not-watched")
    await w.accept_view(camera_id, principal.username)
    await services.audit.record(
        Actor.of(principal),
        "camera.accept_view",
        target_type="camera",
        target_id=camera_id,
        detail={"note": body.note},
    )
    return {"camera_id": camera_id, "learning": True}

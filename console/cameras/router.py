"""Camera registry API: CRUD, import and export (URLs always masked)."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from console.audit import Actor
from console.auth.policy import Principal, Resource, authorize
from console.bounds import INT64_MAX, id_query
from console.cameras import io as camio
from console.cameras import service
from console.cameras.models import Camera
from console.cameras.schemas import CameraCreate, CameraOut, CameraPatch, ImportReport
from console.cameras.secrets import UrlVault
from console.cameras.watching import CameraWatching
from console.deps import DbDep, ServicesDep, absent, check, deny, require
from console.errors import ProblemError
from console.events import Audience
from console.services import Services
from console.store import changes
from console.store.models import Unit
from console.viewcache import cached_json

router = APIRouter(prefix="/api/cameras", tags=["cameras"])
Reader = Annotated[Principal, Depends(require("cameras.read"))]
Writer = Annotated[Principal, Depends(require("cameras.write"))]


class CameraPage(BaseModel):
    """A page of cameras."""

    items: list[CameraOut]
    total: int


def vault(services: Services) -> UrlVault:
    """The URL vault for this server's secret."""
    return UrlVault(services.secret)


def media_root(services: Services) -> Any:
    """Folder that file: sources must stay inside."""
    return services.settings.data_dir / "media"


def _problem(exc: service.CameraError) -> ProblemError:
    loc = f"body.{exc.loc}"
    return ProblemError(
        422,
        f"{loc}: {exc.msg}",
        code="validation",
        errors=[{"loc": loc, "msg": exc.msg, "type": exc.kind}],
    )


def watching(services: Services) -> CameraWatching | None:
    """The stream watchers, when the cameras module runs them."""
    w = services.extensions.get("camera_watching")
    return w if isinstance(w, CameraWatching) else None


async def publish(
    services: Services, type_: str, cam: CameraOut, before: frozenset[int] = frozenset()
) -> None:
    """Tell the units that can see the camera, and bring its watcher in line; units that
    could see it `before` and no longer can are told it is gone (`camera.revoked`)."""
    w = watching(services)
    if w is not None:
        await w.sync(cam.id)
    units = frozenset({cam.owner_unit_id, *cam.shared_unit_ids})
    await services.bus.publish(
        type_, cam.model_dump(mode="json"), audience=Audience("cameras.read", units)
    )
    if lost := before - units:
        await services.bus.publish(
            "camera.revoked",
            {"id": cam.id},
            audience=Audience("cameras.read", lost, except_unit_ids=units),
        )


async def _load(
    services: Services, db: DbDep, principal: Principal, cam_id: str, perm: str
) -> Camera:
    camera = await db.get(Camera, cam_id)
    if camera is None:
        raise await absent(services, principal, perm, "camera", cam_id)
    await check(services, principal, perm, service.resource(camera))
    return camera


@router.get("", response_model=CameraPage)
async def list_cameras(
    request: Request,
    principal: Reader,
    services: ServicesDep,
    db: DbDep,
    q: Annotated[str | None, Query(max_length=100, description="Name or id contains.")] = None,
    unit_id: Annotated[int | None, id_query("Owned by this unit.")] = None,
    tag: Annotated[str | None, Query(max_length=50, description="Has this tag.")] = None,
    key_camera: Annotated[bool | None, Query(description="Only key cameras.")] = None,
    limit: Annotated[int, Query(ge=1, le=5000, description="Page size.")] = 500,
    offset: Annotated[int, Query(ge=0, le=INT64_MAX, description="Rows to skip.")] = 0,
) -> Response:
    """Cameras owned by or shared with the caller's units."""
    # The body depends only on the caller's unit scope and the query: cached per both until
    # a camera or a share changes.
    key = ("cameras.list", principal.unit_scope, q, unit_id, tag, key_camera, limit, offset)
    return await cached_json(
        request,
        services,
        key,
        changes.stamp(LIST_TABLES),
        lambda: _camera_page(db, principal, q, unit_id, tag, key_camera, limit, offset),
    )


LIST_TABLES = ("cameras", "camera_shares")


async def _camera_page(
    db: AsyncSession,
    principal: Principal,
    q: str | None,
    unit_id: int | None,
    tag: str | None,
    key_camera: bool | None,
    limit: int,
    offset: int,
) -> CameraPage:
    stmt = service.visible(principal.unit_scope)
    if q:
        like = f"%{q}%"
        stmt = stmt.where(Camera.name.ilike(like) | Camera.id.ilike(like))
    if unit_id is not None:
        stmt = stmt.where(Camera.owner_unit_id == unit_id)
    if key_camera is not None:
        stmt = stmt.where(Camera.key_camera == key_camera)
    rows = list(await db.scalars(stmt.order_by(Camera.id)))
    if tag:
        rows = [r for r in rows if tag in r.tags]
    return CameraPage(
        items=[service.to_out(r) for r in rows[offset : offset + limit]], total=len(rows)
    )


@router.post("", status_code=201, response_model=CameraOut)
async def create_camera(
    body: CameraCreate, principal: Writer, services: ServicesDep, db: DbDep
) -> CameraOut:
    """Register a camera in one of the caller's units."""
    try:
        await service.check_units(db, "owner_unit_id", [body.owner_unit_id])
    except service.CameraError as exc:
        raise _problem(exc) from exc
    await check(services, principal, "cameras.write", Resource.unit(body.owner_unit_id))
    if await db.get(Camera, body.id) is not None:
        raise ProblemError(
            409,
            f"camera id {body.id!r} exists",
            code="duplicate",
            errors=[{"loc": "body.id", "msg": "already exists", "type": "duplicate"}],
        )
    try:
        camera = await service.create(db, body.id, body, vault(services), media_root(services))
    except service.CameraError as exc:
        raise _problem(exc) from exc
    await db.flush()
    out = service.to_out(camera)
    entry = services.audit.add(
        db,
        Actor.of(principal),
        "camera.create",
        target_type="camera",
        target_id=camera.id,
        detail={"name": camera.name, "main_url": out.main_url},
    )
    await db.commit()
    await services.audit.announce(entry)
    await publish(services, "camera.created", out)
    return out


@router.get("/export.csv", response_class=StreamingResponse)
async def export_csv(principal: Reader, services: ServicesDep, db: DbDep) -> StreamingResponse:
    """Visible cameras as CSV in the import format (URLs masked)."""
    rows = [
        service.to_out(c)
        for c in await db.scalars(service.visible(principal.unit_scope).order_by(Camera.id))
    ]
    codes = dict((await db.execute(select(Unit.id, Unit.code))).all())
    return StreamingResponse(
        camio.to_csv(rows, codes),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="cameras.csv"'},
    )


@router.get("/export.geojson")
async def export_geojson(principal: Reader, db: DbDep) -> Response:
    """Visible cameras as GeoJSON (URLs masked)."""
    rows = [
        service.to_out(c)
        for c in await db.scalars(service.visible(principal.unit_scope).order_by(Camera.id))
    ]
    codes = dict((await db.execute(select(Unit.id, Unit.code))).all())
    return Response(
        json.dumps(camio.to_geojson(rows, codes), ensure_ascii=False),
        media_type="application/geo+json",
    )


@router.get("/{camera_id}", response_model=CameraOut)
async def get_camera(
    camera_id: str, principal: Reader, services: ServicesDep, db: DbDep
) -> CameraOut:
    """One camera."""
    return service.to_out(await _load(services, db, principal, camera_id, "cameras.read"))


@router.patch("/{camera_id}", response_model=CameraOut)
async def update_camera(
    camera_id: str,
    body: CameraPatch,
    principal: Writer,
    services: ServicesDep,
    db: DbDep,
    if_match: Annotated[str | None, Query(alias="version", description="Expected version.")] = None,
) -> CameraOut:
    """Change a camera; `?version=` refuses a stale edit with 412."""
    camera = await _load(services, db, principal, camera_id, "cameras.write")
    if if_match is not None and if_match != str(camera.version):
        raise ProblemError(
            412,
            f"camera {camera_id} is at version {camera.version}",
            code="stale",
            extra={"current": service.to_out(camera).model_dump(mode="json")},
        )
    if body.owner_unit_id is not None:
        try:
            await service.check_units(db, "owner_unit_id", [body.owner_unit_id])
        except service.CameraError as exc:
            raise _problem(exc) from exc
        await check(services, principal, "cameras.write", Resource.unit(body.owner_unit_id))
    before = service.units_of(camera)
    try:
        changes = await service.update(db, camera, body, vault(services), media_root(services))
    except service.CameraError as exc:
        raise _problem(exc) from exc
    entry = services.audit.add(
        db,
        Actor.of(principal),
        "camera.update",
        target_type="camera",
        target_id=camera.id,
        detail={"changes": changes},
    )
    await db.commit()
    await db.refresh(camera)
    out = service.to_out(camera)
    await services.audit.announce(entry)
    await publish(services, "camera.updated", out, before)
    return out


@router.delete("/{camera_id}", status_code=204)
async def delete_camera(
    camera_id: str, principal: Writer, services: ServicesDep, db: DbDep
) -> Response:
    """Remove a camera from the registry."""
    camera = await _load(services, db, principal, camera_id, "cameras.write")
    out = service.to_out(camera)
    await db.delete(camera)
    entry = services.audit.add(
        db,
        Actor.of(principal),
        "camera.delete",
        target_type="camera",
        target_id=camera_id,
        detail={"name": out.name},
    )
    await db.commit()
    await services.audit.announce(entry)
    await publish(services, "camera.deleted", out)
    return Response(status_code=204)


class ImportParams(BaseModel):
    """How to import."""

    model_config = {"extra": "forbid"}

    format: Literal["csv", "geojson"] = Field(description="File format.")
    partial: bool = Field(False, description="Import the good rows and report the bad ones.")
    upsert: bool = Field(False, description="Update cameras whose id exists (else a row error).")
    dry_run: bool = Field(False, description="Validate only; store nothing.")


async def _body_text(request: Request) -> str:
    chunks: list[bytes] = []
    async for chunk in request.stream():
        chunks.append(chunk)
    raw = b"".join(chunks)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProblemError(
            422,
            f"body: not UTF-8 text (byte {exc.start})",
            code="validation",
            errors=[{"loc": "body", "msg": "not UTF-8", "type": "encoding"}],
        ) from exc


@router.post("/import", response_model=ImportReport)
async def import_cameras(
    request: Request,
    params: Annotated[ImportParams, Query()],
    principal: Writer,
    services: ServicesDep,
    db: DbDep,
) -> ImportReport:
    """Import cameras from CSV or GeoJSON; all-or-nothing unless `partial=true`."""
    text = await _body_text(request)
    codes = dict((await db.execute(select(Unit.code, Unit.id))).all())
    parser = camio.parse_csv if params.format == "csv" else camio.parse_geojson
    errors: list[camio.RowError] = []
    good: list[tuple[int, CameraCreate]] = []
    seen: dict[str, int] = {}
    # Parsing and validating a large file is CPU work: keep it off the event loop.
    parsed_rows = await asyncio.to_thread(lambda: list(parser(text, codes)))
    refused: list[int] = []
    for parsed in parsed_rows:
        errors += parsed.errors
        cam = parsed.camera
        if cam is None:
            continue
        if cam.id in seen:
            errors.append(
                camio.RowError(parsed.row, "id", f"duplicate id, first on row {seen[cam.id]}")
            )
            continue
        seen[cam.id] = parsed.row
        decision = authorize(principal, "cameras.write", Resource.unit(cam.owner_unit_id))
        if not decision.allowed:
            refused.append(parsed.row)
            errors.append(camio.RowError(parsed.row, "owner_unit", "outside your units"))
        else:
            good.append((parsed.row, cam))
    existing = set((await db.scalars(select(Camera.id).where(Camera.id.in_(list(seen))))).all())
    created = updated = 0
    entries = []
    stored: list[str] = []
    for row, cam in good:
        if cam.id in existing and not params.upsert:
            errors.append(camio.RowError(row, "id", "camera id exists (use upsert=true)"))
            continue
        try:
            # Each step validates fully before it changes anything, so a bad row leaves no trace.
            if cam.id in existing:
                current = await db.get(Camera, cam.id)
                assert current is not None
                decision = authorize(principal, "cameras.write", service.resource(current))
                if not decision.allowed:
                    # A sharer may watch a camera, never overwrite it; one it cannot even see is
                    # only known to have its id taken (as a create with that id would say).
                    refused.append(row)
                    msg = (
                        "camera id is taken by a camera of another unit"
                        if decision.hidden
                        else "only the camera's owner unit (or a unit above it) may change it"
                    )
                    errors.append(camio.RowError(row, "id", msg))
                    continue
                await service.update(
                    db,
                    current,
                    CameraPatch(**cam.model_dump(exclude={"id"})),
                    vault(services),
                    media_root(services),
                )
                updated += 1
            else:
                await service.create(db, cam.id, cam, vault(services), media_root(services))
                created += 1
            stored.append(cam.id)
        except service.CameraError as exc:
            errors.append(camio.RowError(row, exc.loc, exc.msg))
        if (created + updated) % 500 == 0 and created + updated:
            await services.bus.publish(
                "camera.import.progress",
                {"done": created + updated, "total": len(good)},
                audience=Audience("cameras.write", frozenset({principal.unit_id})),
            )
    if refused:
        # One audited refusal for the whole file, naming the rows (not one row per camera).
        await deny(
            services,
            principal,
            "cameras.write",
            "/api/cameras/import",
            f"{len(refused)} row(s) would change cameras outside the caller's units: "
            + ", ".join(str(r) for r in sorted(refused)[:50]),
        )
    errors.sort(key=lambda e: e.row)
    skipped = len({e.row for e in errors})
    if (errors and not params.partial) or params.dry_run:
        await db.rollback()
        report = ImportReport(
            created=0 if errors or params.dry_run else created,
            updated=0,
            skipped=skipped,
            errors=[e.as_dict() for e in errors],
            dry_run=params.dry_run,
        )
        if errors and not params.partial:
            first = errors[0]
            raise ProblemError(
                422,
                f"row {first.row}, {first.loc}: {first.msg}"
                + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else "")
                + "; nothing was imported",
                code="import-rejected",
                extra={"report": report.model_dump()},
            )
        return ImportReport(
            created=created,
            updated=updated,
            skipped=skipped,
            errors=[e.as_dict() for e in errors],
            dry_run=True,
        )
    entry = services.audit.add(
        db,
        Actor.of(principal),
        "camera.import",
        target_type="camera",
        detail={
            "created": created,
            "updated": updated,
            "skipped": skipped,
            "format": params.format,
        },
    )
    entries.append(entry)
    await db.commit()
    await services.audit.announce(*entries)
    w = watching(services)
    if w is not None:
        # Imported cameras are watched at once; a changed URL re-points the watcher.
        for cam_id in stored:
            await w.sync(cam_id)
    await services.bus.publish(
        "camera.imported",
        {"created": created, "updated": updated},
        audience=Audience("cameras.read", principal.unit_scope),
    )
    return ImportReport(
        created=created,
        updated=updated,
        skipped=skipped,
        errors=[e.as_dict() for e in errors],
        dry_run=False,
    )


_snapshot_audited: dict[tuple[int, str], float] = {}


@router.get("/{camera_id}/snapshot.jpg", response_class=Response)
async def snapshot(camera_id: str, principal: Reader, services: ServicesDep, db: DbDep) -> Response:
    """The latest keyframe as a small JPEG (audited at most every 10 minutes per user)."""
    import time

    camera = await _load(services, db, principal, camera_id, "cameras.read")
    w = watching(services)
    jpeg = await w.snapshot(camera.id) if w is not None else None
    if jpeg is None:
        raise ProblemError(404, f"no picture from camera {camera_id} yet", code="no-picture")
    key = (principal.user_id, camera_id)
    now = time.monotonic()
    if now - _snapshot_audited.get(key, -1e9) > 600:
        _snapshot_audited[key] = now
        await services.audit.record(
            Actor.of(principal), "camera.snapshot", target_type="camera", target_id=camera_id
        )
    return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "no-store"})

"""Map features: draw and edit typed layer features (versioned), and the cameras layer."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import uuid
from typing import Annotated, Any, Literal

import shapely
from fastapi import APIRouter, Depends, Header, Query, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from shapely.geometry.base import BaseGeometry

from console.audit import Actor
from console.auth.policy import Principal, Resource
from console.cameras import service as cameras
from console.cameras.models import Camera
from console.deps import DbDep, ServicesDep, require
from console.deps import check as authorize_check
from console.errors import ProblemError, format_loc
from console.events import Audience
from console.gis import store
from console.gis.models import Feature
from console.gis.router import LayerName, feature_dict, parse_bbox
from console.health.models import CameraHealth
from console.preconditions import check_fresh, etag, if_match_version
from console.services import Services
from gis.coverage import cameras_seeing, view_ring
from gis.geometry import GeometryError, all_coords, check, diagnose_lonlat, from_geojson
from gis.layers import GEOMETRY_TYPES, LAYERS

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/gis", tags=["gis"])
Reader = Annotated[Principal, Depends(require("gis.read"))]
Writer = Annotated[Principal, Depends(require("gis.write"))]
FID = r"^[A-Za-z0-9\u4e00-\u9fff][A-Za-z0-9\u4e00-\u9fff._:-]{0,127}$"
# Echoed back by the GeoJSON output; clients may send them back unchanged.
READ_ONLY = ("fid", "version", "capacity_basis")


class FeatureIn(BaseModel):
    """A GeoJSON Feature to create or replace."""

    model_config = ConfigDict(extra="ignore")

    type: Literal["Feature"] = "Feature"
    id: str | None = Field(default=None, pattern=FID, description="Feature id (fid).")
    geometry: dict[str, Any] = Field(description="GeoJSON geometry in WGS84 lon/lat.")
    properties: dict[str, Any] = Field(default_factory=dict)


def _problem(errors: list[dict[str, Any]]) -> ProblemError:
    first = errors[0]
    detail = f"{first['loc']}: {first['msg']}"
    if len(errors) > 1:
        detail += f" (and {len(errors) - 1} more)"
    return ProblemError(422, detail, code="validation", errors=errors)


def validate(
    layer: str,
    body: FeatureIn,
    repair: bool,
    context: dict[str, Any] | None = None,
    old: dict[str, Any] | None = None,
) -> tuple[BaseGeometry, dict[str, Any], str | None]:
    """Check geometry and properties together so every problem is reported at once.

    A capacity the server derived from the area (`old`) and sent back unchanged is derived
    again (the area may have changed); a changed one is taken as stated.
    """
    errors: list[dict[str, Any]] = []
    geom: BaseGeometry | None = None
    repaired: str | None = None
    try:
        raw, closed = from_geojson(copy.deepcopy(body.geometry))
        why = diagnose_lonlat(all_coords([raw]))
        if why:
            raise GeometryError("wrong_crs", why)
        checked = check(raw, GEOMETRY_TYPES[layer], closed)
        if checked.repaired and not repair:
            raise GeometryError("geometry_invalid", f"invalid geometry ({checked.repaired})")
        geom, repaired = checked.geom, checked.repaired
    except GeometryError as exc:
        where = {"wrong_crs": "body.geometry.coordinates", "geometry_type": "body.geometry.type"}
        errors.append(
            {"loc": where.get(exc.code, "body.geometry"), "msg": str(exc), "type": exc.code}
        )
    attrs = {k: v for k, v in body.properties.items() if k not in READ_ONLY}
    if old and old.get("capacity_basis") == "area" and attrs.get("capacity") == old.get("capacity"):
        attrs.pop("capacity", None)
    props: dict[str, Any] = {}
    try:
        props = LAYERS[layer].model_validate(attrs, context=context).model_dump()
    except ValidationError as exc:
        for e in exc.errors():
            loc = format_loc(["body", "properties", *e["loc"]])
            errors.append({"loc": loc, "msg": e["msg"], "type": e["type"]})
    if errors or geom is None:
        raise _problem(errors)
    return geom, props, repaired


def _context(services: Services) -> dict[str, Any]:
    """Validation context: the site's area per person by shelter kind."""
    return {"area_per_person": services.settings.readiness.area_per_person}


async def _load(db: DbDep, layer: str, fid: str, lock: bool = False) -> Feature:
    f = await store.get(db, layer, fid, lock=lock)
    if f is None or f.deleted:
        raise ProblemError(404, f"{layer} feature {fid} not found", code="not-found")
    return f


async def _changed(
    services: Services, db: DbDep, principal: Principal, f: Feature, op: str, detail: dict[str, Any]
) -> None:
    """Audit, commit, then announce: the event never reports a change that was rolled back."""
    entry = services.audit.add(
        db,
        Actor.of(principal),
        f"gis.feature.{op}",
        target_type="gis_feature",
        target_id=f"{f.layer}/{f.fid}",
        detail={"version": f.version} | detail,
    )
    await db.commit()
    await services.audit.announce(entry)
    await services.bus.publish(
        "gis.feature.changed",
        {"layer": f.layer, "fid": f.fid, "version": f.version, "op": op},
        audience=Audience(permission="gis.read"),
    )
    log.info("gis feature %s/%s %s -> v%s", f.layer, f.fid, op, f.version)


def _answer(response: Response, f: Feature, repaired: str | None) -> dict[str, Any]:
    response.headers["ETag"] = etag(f.version)
    return feature_dict(f, 0.0) | {"repaired": repaired, "owner_unit_id": f.owner_unit_id}


async def _may_edit(services: Services, principal: Principal, f: Feature) -> None:
    await authorize_check(services, principal, "gis.write", store.resource(f, services.units))


@router.post("/layers/{layer}/features", status_code=201)
async def create_feature(
    layer: LayerName,
    body: FeatureIn,
    response: Response,
    principal: Writer,
    services: ServicesDep,
    db: DbDep,
    repair: Annotated[bool, Query(description="Repair invalid geometry (else refuse).")] = True,
    owner_unit_id: Annotated[
        int | None,
        Query(ge=1, le=2**31 - 1, description="Owning unit (default: the caller's unit)."),
    ] = None,
) -> dict[str, Any]:
    """Add a feature drawn on the map; the answer carries its version (ETag)."""
    owner = owner_unit_id or principal.unit_id
    await authorize_check(services, principal, "gis.write", Resource.unit(owner))
    geom, props, repaired = await asyncio.to_thread(
        validate, layer, body, repair, _context(services)
    )
    fid = body.id or str(props.get("code") or "") or f"{layer[:2]}-{uuid.uuid4().hex[:10]}"
    f = await store.get(db, layer, fid, lock=True)
    if f is not None and not f.deleted:
        raise ProblemError(
            409,
            f"{layer} feature {fid} exists",
            code="duplicate",
            errors=[{"loc": "body.id", "msg": "already exists", "type": "duplicate"}],
        )
    if f is None:
        f = await store.create(db, layer, fid, geom, props, principal.username, owner)
    else:
        await _may_edit(services, principal, f)  # reviving a deleted feature of its owner
        store.write(db, f, geom, props, principal.username)
    await _changed(services, db, principal, f, "create", {"repaired": repaired})
    return _answer(response, f, repaired)


@router.get("/layers/{layer}/features/{fid}")
async def get_feature(
    layer: LayerName, fid: str, response: Response, principal: Reader, db: DbDep
) -> dict[str, Any]:
    """One live feature with its version (ETag)."""
    return _answer(response, await _load(db, layer, fid), None)


@router.put("/layers/{layer}/features/{fid}")
async def replace_feature(
    layer: LayerName,
    fid: str,
    body: FeatureIn,
    response: Response,
    principal: Writer,
    services: ServicesDep,
    db: DbDep,
    if_match_header: Annotated[str | None, Header(alias="If-Match")] = None,
    repair: Annotated[bool, Query(description="Repair invalid geometry (else refuse).")] = True,
) -> dict[str, Any]:
    """Replace a feature's geometry and properties; If-Match must name the current version."""
    f = await _load(db, layer, fid, lock=True)
    await _may_edit(services, principal, f)
    wanted = if_match_version(if_match_header, required=True)
    check_fresh(wanted, f.version, f"{layer} feature {fid}")
    geom, props, repaired = await asyncio.to_thread(
        validate, layer, body, repair, _context(services), dict(f.properties)
    )
    store.write(db, f, geom, props, principal.username)
    await _changed(services, db, principal, f, "update", {"repaired": repaired})
    return _answer(response, f, repaired)


@router.delete("/layers/{layer}/features/{fid}", status_code=204)
async def delete_feature(
    layer: LayerName,
    fid: str,
    principal: Writer,
    services: ServicesDep,
    db: DbDep,
    if_match_header: Annotated[str | None, Header(alias="If-Match")] = None,
) -> Response:
    """Soft-delete a feature (kept in its history); If-Match is checked when sent."""
    f = await _load(db, layer, fid, lock=True)
    await _may_edit(services, principal, f)
    wanted = if_match_version(if_match_header, required=False)
    check_fresh(wanted, f.version, f"{layer} feature {fid}")
    store.write(db, f, None, None, principal.username, deleted=True)
    await _changed(services, db, principal, f, "delete", {})
    return Response(status_code=204)


@router.get("/layers/{layer}/features/{fid}/history")
async def feature_history(
    layer: LayerName, fid: str, principal: Reader, db: DbDep
) -> dict[str, Any]:
    """Every version of a feature (deleted ones too), newest first."""
    f = await store.get(db, layer, fid)
    if f is None:
        raise ProblemError(404, f"{layer} feature {fid} not found", code="not-found")
    rows = await store.history(db, f.id)
    return {
        "layer": layer,
        "fid": fid,
        "deleted": f.deleted,
        "items": [
            {
                "version": v.version,
                "deleted": v.deleted,
                "changed_at": v.changed_at.isoformat(),
                "changed_by": v.changed_by,
                "geometry": json.loads(v.geometry),
                "properties": v.properties,
            }
            for v in rows
        ],
    }


def _camera_feature(cam: Camera, status: str | None) -> dict[str, Any]:
    """A camera as a GeoJSON point; never carries its stream URLs."""
    # The view gis.coverage counts (a circle when none is recorded), so the map shows what
    # readiness and live drill mode take as watched.
    fov = view_ring(cam.lon or 0.0, cam.lat or 0.0, cam.bearing, cam.fov_angle, cam.fov_range_m)
    recorded = cam.bearing is not None and bool(cam.fov_angle) and bool(cam.fov_range_m)
    props = {
        "id": cam.id,
        "name": cam.name,
        "status": (status or "unknown") if cam.enabled else "disabled",
        "key_camera": cam.key_camera,
        "owner_unit_id": cam.owner_unit_id,
        "bearing": cam.bearing,
        "angle": cam.fov_angle,
        "range_m": cam.fov_range_m,
        "sector": fov,
        "sector_assumed": not recorded,
    }
    geom = {"type": "Point", "coordinates": [cam.lon, cam.lat]}
    return {"type": "Feature", "id": cam.id, "geometry": geom, "properties": props}


@router.get("/layers/{layer}/features/{fid}/cameras")
async def feature_cameras(
    layer: LayerName, fid: str, principal: Reader, db: DbDep
) -> dict[str, Any]:
    """Cameras the caller may see whose view covers the feature (gis.coverage), with status."""
    f = await _load(db, layer, fid)
    stmt = (
        cameras.visible(principal.unit_scope)
        .where(Camera.lon.is_not(None), Camera.lat.is_not(None), Camera.enabled.is_(True))
        .add_columns(CameraHealth.status)
        .outerjoin(CameraHealth, CameraHealth.camera_id == Camera.id)
        .order_by(Camera.id)
    )
    rows = [(cam, status) for cam, status in await db.execute(stmt)]
    places = [(c.lon or 0.0, c.lat or 0.0, c.bearing, c.fov_angle, c.fov_range_m) for c, _ in rows]
    geom = shapely.from_geojson(f.geometry)
    (seen,) = await asyncio.to_thread(cameras_seeing, places, [geom])
    items = [
        {"id": rows[i][0].id, "name": rows[i][0].name, "status": rows[i][1] or "unknown"}
        for i in sorted(seen)
    ]
    return {"layer": layer, "fid": fid, "items": items}


@router.get("/cameras.geojson")
async def cameras_geojson(principal: Reader, db: DbDep, bbox: str | None = None) -> Response:
    """Cameras the caller's units may see, with status and field-of-view sector polygons."""
    stmt = (
        cameras.visible(principal.unit_scope)
        .where(Camera.lon.is_not(None), Camera.lat.is_not(None))
        .add_columns(CameraHealth.status)
        .outerjoin(CameraHealth, CameraHealth.camera_id == Camera.id)
    )
    box = parse_bbox(bbox)
    if box is not None:
        stmt = stmt.where(
            Camera.lon >= box[0], Camera.lon <= box[2], Camera.lat >= box[1], Camera.lat <= box[3]
        )
    rows = [(cam, status) for cam, status in await db.execute(stmt.order_by(Camera.id))]
    feats = await asyncio.to_thread(lambda: [_camera_feature(c, s) for c, s in rows])
    body = json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False)
    return Response(body, media_type="application/geo+json")

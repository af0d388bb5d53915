"""Open a map selection on the wall: the server decides which cameras cover a community, a
shelter or an area drawn on the map (field-of-view sectors, gis.selection)."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any, Literal
from urllib.parse import quote

import numpy as np
import numpy.typing as npt
import shapely
from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field
from shapely.geometry.base import BaseGeometry

from console.auth.policy import Principal
from console.cameras import service as cameras
from console.cameras.models import Camera
from console.deps import DbDep, require
from console.errors import ProblemError
from console.gis import store
from console.health.models import CameraHealth
from console.ops.router import status_of
from gis import analysis, coverage, selection
from gis import crs as crsmod
from gis.geometry import GeometryError, all_coords, check, diagnose_lonlat, from_geojson

router = APIRouter(prefix="/api/ops", tags=["operations view"])
CameraReader = Annotated[Principal, Depends(require("cameras.read"))]
MAX_VERTICES = 2000
MAX_AREA_KM2 = 2500.0  # a district; a continent-sized box is a mistake, not a selection
WALL_MAX = 64


class SelectionIn(BaseModel):
    """A community or shelter by id, or an area (GeoJSON Polygon, lon/lat) drawn on the map."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["community", "shelter", "area"]
    id: str | None = Field(None, max_length=128, description="Community code or shelter fid.")
    geometry: dict[str, Any] | None = Field(None, description="GeoJSON Polygon for an area.")
    limit: int = Field(16, ge=1, le=WALL_MAX, description="Cameras to put on the wall.")


def bad(loc: str, msg: str, type_: str, status: int = 422) -> ProblemError:
    """A problem naming one field."""
    return ProblemError(
        status, f"{loc}: {msg}", code="validation", errors=[{"loc": loc, "msg": msg, "type": type_}]
    )


def metric_crs_of(geom: BaseGeometry) -> str:
    """The metric CRS the district's analysis uses around this geometry."""
    c = geom.centroid
    return analysis.metric_crs(c.x, c.y)


def to_metric(geom: BaseGeometry, crs: str) -> BaseGeometry:
    """A lon/lat geometry in metric `crs`."""

    def fwd(xy: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        x, y = crsmod.from_wgs84(crs, xy[:, 0], xy[:, 1])
        out: npt.NDArray[np.float64] = np.c_[x, y]
        return out

    return shapely.transform(geom, fwd)


def area_of(geometry: dict[str, Any] | None) -> BaseGeometry:
    """A drawn area checked: a valid lon/lat polygon of sane size."""
    if geometry is None:
        raise bad("body.geometry", "draw an area (a GeoJSON Polygon)", "missing")
    try:
        raw, closed = from_geojson(json.loads(json.dumps(geometry)))
        coords = all_coords([raw])
        if len(coords) > MAX_VERTICES:
            raise GeometryError("too_many", f"{len(coords)} vertices (limit {MAX_VERTICES})")
        why = diagnose_lonlat(coords)
        if why:
            raise GeometryError("wrong_crs", why)
        geom = check(raw, frozenset({"Polygon", "MultiPolygon"}), closed).geom
    except GeometryError as exc:
        loc = "body.geometry.coordinates" if exc.code == "wrong_crs" else "body.geometry"
        raise bad(loc, str(exc), exc.code) from exc
    km2 = to_metric(geom, metric_crs_of(geom)).area / 1e6
    if km2 > MAX_AREA_KM2:
        raise bad(
            "body.geometry", f"the area is {km2:.0f} km² (limit {MAX_AREA_KM2:.0f})", "too_large"
        )
    return geom


async def target(db: DbDep, body: SelectionIn) -> tuple[BaseGeometry, str]:
    """The selection's lon/lat geometry and a label."""
    if body.kind == "area":
        return area_of(body.geometry), ""
    if not body.id:
        raise bad("body.id", f"name the {body.kind}", "missing")
    layer = "communities" if body.kind == "community" else "shelters"
    f = await store.get(db, layer, body.id)
    if f is None or f.deleted:
        raise bad("body.id", f"no {body.kind} {body.id}", "not_found", 404)
    return shapely.from_geojson(f.geometry), str(f.properties.get("name") or body.id)


def compute(
    rows: list[Any], geom: BaseGeometry
) -> tuple[list[int], list[bool], list[bool], list[float]]:
    """Covering cameras (row indices), nearest first (CPU-bound: worker thread)."""
    crs = metric_crs_of(geom)

    def col(k: str) -> npt.NDArray[np.float64]:
        return np.array([np.nan if r[k] is None else float(r[k]) for r in rows], dtype=float)

    lon, lat = col("lon"), col("lat")
    bearing, angle, reach = col("bearing"), col("fov_angle"), col("fov_range_m")
    # A camera with no recorded view covers a selection only by standing in it: the
    # full-circle stand-in coverage uses elsewhere would claim it looks at everything near.
    has_view = np.isfinite(bearing) & (np.nan_to_num(angle) > 0) & (np.nan_to_num(reach) > 0)
    fov = coverage.sectors(lon, lat, has_view, bearing, angle, reach, crs)
    x, y = crsmod.from_wgs84(crs, lon, lat)
    cov = selection.covering(fov, x, y, to_metric(geom, crs))
    return (
        cov.camera.tolist(),
        cov.in_view.tolist(),
        cov.inside.tolist(),
        [round(float(d), 1) for d in cov.distance_m],
    )


@router.post("/selection")
async def cameras_for_selection(
    body: SelectionIn, principal: CameraReader, db: DbDep
) -> dict[str, Any]:
    """The cameras (visible to the caller's units) covering the selection, best first:
    looking at it and standing in it, then looking at it, then standing in it; healthy
    before unhealthy. Returns the wall link for the first `limit`."""
    geom, label = await target(db, body)
    stmt = (
        cameras.visible(principal.unit_scope)
        .with_only_columns(
            Camera.id,
            Camera.name,
            Camera.lon,
            Camera.lat,
            Camera.bearing,
            Camera.fov_angle,
            Camera.fov_range_m,
            Camera.enabled,
            CameraHealth.status,
        )
        .outerjoin(CameraHealth, CameraHealth.camera_id == Camera.id)
        .where(Camera.lon.is_not(None), Camera.lat.is_not(None))
        .order_by(Camera.id)
    )
    rows = [r._mapping for r in (await db.execute(stmt)).all()]
    idx, view, inside, dist = await asyncio.to_thread(compute, rows, geom)
    items = []
    for i, v, ins, d in zip(idx, view, inside, dist, strict=True):
        r = rows[i]
        items.append(
            {
                "id": r["id"],
                "name": r["name"],
                "status": status_of(r["enabled"], r["status"]),
                "in_view": v,
                "inside": ins,
                "distance_m": d,
            }
        )
    bad_states = ("offline", "disabled")
    items.sort(key=lambda c: c["status"] in bad_states)  # stable: keeps the coverage order
    chosen = [c["id"] for c in items[: body.limit]]
    return {
        "kind": body.kind,
        "id": body.id,
        "label": label,
        "total": len(items),
        "cameras": items,
        "chosen": chosen,
        "wall_link": "#/wall?cameras=" + ",".join(quote(c, safe="") for c in chosen)
        if chosen
        else None,
    }

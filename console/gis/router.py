"""GIS layer API: import, GeoJSON/CSV export with bbox and zoom simplification."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Sequence
from typing import Annotated, Any, Literal

import numpy as np
import shapely
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from console import csvsafe
from console.audit import Actor
from console.auth.policy import Principal
from console.deps import DbDep, ServicesDep, require
from console.errors import ProblemError
from console.gis import mapping_models as mappings
from console.gis import store
from console.gis.models import Feature
from console.middleware import too_large
from console.services import Services
from gis import crs as crsmod
from gis.layers import LAYERS

GeomArray = np.ndarray[Any, np.dtype[np.object_]]

router = APIRouter(prefix="/api/gis", tags=["gis"])
Reader = Annotated[Principal, Depends(require("gis.read"))]
Writer = Annotated[Principal, Depends(require("gis.write"))]
LayerName = Literal["communities", "shelters", "teams", "buildings", "pois", "routes", "faults"]
SOURCE = r"^[\w\u4e00-\u9fff][\w\u4e00-\u9fff .@-]{0,99}$"


def bad(loc: str, msg: str, type_: str, status: int = 422) -> ProblemError:
    """A validation problem with one field path."""
    return ProblemError(
        status, msg, code="validation", errors=[{"loc": loc, "msg": msg, "type": type_}]
    )


def import_limit(request: Request) -> int:
    """The upload limit of GIS imports (gis.max_import_bytes)."""
    services: Services = request.app.state.services
    return services.settings.gis.max_import_bytes


async def read_body(request: Request, limit: int | None = None) -> bytes:
    """The raw request body, refused with 413 as soon as it passes the import limit."""
    limit = import_limit(request) if limit is None else limit
    doc = too_large(limit)
    problem = ProblemError(
        413, doc["detail"], code="too-large", errors=doc["errors"], extra={"limit": limit}
    )
    if int(request.headers.get("content-length") or 0) > limit:
        raise problem
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise problem
        chunks.append(chunk)
    return b"".join(chunks)


def feature_dict(f: Feature, tol: float) -> dict[str, Any]:
    """A GeoJSON Feature, simplified for the map when tol > 0."""
    geom: dict[str, Any] = json.loads(f.geometry)
    if tol > 0 and geom.get("type") in ("Polygon", "MultiPolygon", "LineString", "MultiLineString"):
        g = shapely.from_geojson(f.geometry).simplify(tol, preserve_topology=True)
        geom = json.loads(shapely.to_geojson(g))
    props = dict(f.properties) | {"fid": f.fid, "version": f.version}
    return {"type": "Feature", "id": f.fid, "geometry": geom, "properties": props}


def to_crs(arr: GeomArray, crs: str) -> GeomArray:
    """WGS84 geometries transformed into an export CRS (vectorised)."""
    if crs == crsmod.WGS84 or len(arr) == 0:
        return arr

    def fn(xy: np.ndarray[Any, np.dtype[np.float64]]) -> np.ndarray[Any, np.dtype[np.float64]]:
        x, y = crsmod.from_wgs84(crs, xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    out: GeomArray = shapely.transform(arr, fn)
    return out


def crs_member(crs: str) -> str:
    """The legacy GeoJSON `crs` member for a non-WGS84 export ("" for WGS84, RFC 7946)."""
    if crs == crsmod.WGS84:
        return ""
    name = json.dumps({"type": "name", "properties": {"name": crs}}, ensure_ascii=False)
    return f'"crs":{name},'


def feature_collection(rows: Sequence[Feature], tol: float, crs: str = crsmod.WGS84) -> str:
    """A layer as GeoJSON text: stored geometry passed through, or simplified all at once.

    Geometries are stored as GeoJSON already, so they are spliced in rather than parsed and
    re-encoded; simplification and transformation run as vectorised shapely calls.
    """
    geoms = [f.geometry for f in rows]
    if (tol > 0 or crs != crsmod.WGS84) and geoms:
        arr = shapely.from_geojson(np.asarray(geoms, dtype=object))
        if tol > 0:
            arr = shapely.simplify(arr, tol, preserve_topology=True)
            # Coordinates finer than the tolerance are noise on this zoom: fewer digits to send.
            arr = shapely.set_precision(arr, tol / 4, mode="pointwise")
        geoms = [str(g) for g in shapely.to_geojson(to_crs(arr, crs))]
    parts = []
    for f, g in zip(rows, geoms, strict=True):
        fid = json.dumps(f.fid, ensure_ascii=False)
        props = dict(f.properties) | {"fid": f.fid, "version": f.version}
        parts.append(
            f'{{"type":"Feature","id":{fid},"geometry":{g},'
            f'"properties":{json.dumps(props, ensure_ascii=False)}}}'
        )
    head = '{"type":"FeatureCollection",' + crs_member(crs)
    return head + '"features":[' + ",".join(parts) + "]}"


def export_crs(crs: str | None) -> str:
    """The resolved export CRS (WGS84 when not given); 422 naming query.crs when unknown."""
    if not crs:
        return crsmod.WGS84
    try:
        return crsmod.resolve(crs)
    except crsmod.UnknownCrs as exc:
        raise bad("query.crs", str(exc), "unknown_crs") from exc


def _download(resp: Response, layer: str, crs: str, ext: str) -> Response:
    slug = crs.replace("EPSG:", "epsg").replace("-", "").lower()
    resp.headers["Content-Disposition"] = f'attachment; filename="{layer}-{slug}.{ext}"'
    return resp


ExportCrs = Annotated[
    str | None,
    Query(
        max_length=200,
        description="Export CRS: WGS84 (default), EPSG:4490 (CGCS2000), GCJ-02 (Amap, "
        "Tencent), BD-09 (Baidu) or any EPSG code.",
    ),
]
Download = Annotated[bool, Query(description="Send as a file (Content-Disposition).")]


def parse_bbox(bbox: str | None) -> tuple[float, float, float, float] | None:
    """Parse "minlon,minlat,maxlon,maxlat"."""
    if bbox is None:
        return None
    try:
        x0, y0, x1, y1 = (float(v) for v in bbox.split(","))
    except ValueError as exc:
        raise bad("query.bbox", "bbox must be minlon,minlat,maxlon,maxlat", "bbox") from exc
    return x0, y0, x1, y1


@router.get("/layers/{layer}.geojson")
async def layer_geojson(
    layer: LayerName,
    principal: Reader,
    db: DbDep,
    bbox: str | None = None,
    zoom: Annotated[int | None, Query(ge=0, le=22)] = None,
    crs: ExportCrs = None,
    download: Download = False,
) -> Response:
    """A layer as GeoJSON, filtered by a WGS84 bbox, simplified for a map zoom, in a CRS."""
    target = export_crs(crs)
    rows = await store.load(db, layer, parse_bbox(bbox))
    tol = store.tolerance(zoom)
    body = await asyncio.to_thread(feature_collection, rows, tol, target)
    resp = Response(body, media_type="application/geo+json")
    return _download(resp, layer, target, "geojson") if download else resp


@router.get("/layers/{layer}.csv")
async def layer_csv(
    layer: LayerName,
    principal: Reader,
    db: DbDep,
    crs: ExportCrs = None,
    download: Download = False,
) -> Response:
    """A layer as CSV: WKT geometry, and x/y (lon/lat) columns for points, in a CRS."""
    target = export_crs(crs)
    rows = await store.load(db, layer, None)
    fields = [k for k in LAYERS[layer].model_fields if k != "capacity_basis"]
    body = await asyncio.to_thread(_csv, rows, fields, target)
    resp = Response(body, media_type="text/csv; charset=utf-8")
    return _download(resp, layer, target, "csv") if download else resp


def _csv(rows: Sequence[Feature], fields: list[str], crs: str = crsmod.WGS84) -> str:
    """CSV text of features (WKT from shapely: worker thread)."""
    buf = io.StringIO()
    w = csvsafe.writer(buf)
    w.writerow(["fid", *fields, "wkt", "x", "y", "crs"])
    arr: GeomArray | list[Any] = (
        to_crs(shapely.from_geojson([f.geometry for f in rows]), crs) if rows else []
    )
    wkts = shapely.to_wkt(arr, rounding_precision=-1) if rows else []
    for f, g, wkt in zip(rows, arr, wkts, strict=True):
        vals = [
            json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v
            for v in (f.properties.get(k) for k in fields)
        ]
        xy = [repr(g.x), repr(g.y)] if g.geom_type == "Point" else ["", ""]
        w.writerow([f.fid, *vals, wkt, *xy, crs])
    return buf.getvalue()


SourceName = Annotated[str, Path(pattern=SOURCE, description="Source name.")]


class MappingIn(BaseModel):
    """An attribute mapping: source column -> layer field."""

    model_config = ConfigDict(extra="forbid")

    mapping: dict[str, str] = Field(max_length=500)


async def _mapping_row(db: DbDep, layer: str, source: str) -> mappings.GisMapping:
    row = await mappings.get(db, layer, source)
    if row is None:
        raise ProblemError(404, f"no saved mapping for {layer} from {source}", code="not-found")
    return row


@router.get("/mappings/{layer}/{source}")
async def get_mapping(
    layer: LayerName, source: SourceName, principal: Reader, db: DbDep
) -> dict[str, object]:
    """The saved mapping for a source."""
    return (await _mapping_row(db, layer, source)).as_dict()


@router.put("/mappings/{layer}/{source}")
async def put_mapping(
    layer: LayerName,
    source: SourceName,
    body: MappingIn,
    principal: Writer,
    services: ServicesDep,
    db: DbDep,
) -> dict[str, object]:
    """Save the mapping for a source; every target must be a field of the layer."""
    fields = LAYERS[layer].model_fields
    errors = [
        {"loc": f"body.mapping.{src}", "msg": f"{dst!r} is not a {layer} field", "type": "field"}
        for src, dst in body.mapping.items()
        if dst not in fields
    ]
    if errors:
        raise ProblemError(
            422, f"{errors[0]['loc']}: {errors[0]['msg']}", code="validation", errors=errors
        )
    row = await mappings.save(db, layer, source, body.mapping, principal.username)
    entry = services.audit.add(
        db,
        Actor.of(principal),
        "gis.mapping.save",
        target_type="gis_mapping",
        target_id=f"{layer}/{source}",
        detail={"mapping": body.mapping},
    )
    await db.commit()
    await services.audit.announce(entry)
    return row.as_dict()


@router.delete("/mappings/{layer}/{source}", status_code=204)
async def delete_mapping(
    layer: LayerName, source: SourceName, principal: Writer, services: ServicesDep, db: DbDep
) -> Response:
    """Forget the saved mapping for a source."""
    await _mapping_row(db, layer, source)
    await mappings.remove(db, layer, source)
    entry = services.audit.add(
        db,
        Actor.of(principal),
        "gis.mapping.delete",
        target_type="gis_mapping",
        target_id=f"{layer}/{source}",
    )
    await db.commit()
    await services.audit.announce(entry)
    return Response(status_code=204)

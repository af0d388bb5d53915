"""GIS layer API: import, GeoJSON/CSV export with bbox and zoom simplification."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from typing import Annotated, Any, Literal

import shapely
from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from console.audit import Actor
from console.auth.policy import Principal
from console.deps import DbDep, ServicesDep, require
from console.errors import ProblemError
from console.events import Audience
from console.gis import store
from console.gis.models import Feature
from gis.importer import ImportRefused, ImportResult, build
from gis.layers import LAYERS
from gis.readers import ReadError, Source, read_csv, read_geojson, read_ogr

router = APIRouter(prefix="/api/gis", tags=["gis"])
Reader = Annotated[Principal, Depends(require("gis.read"))]
Writer = Annotated[Principal, Depends(require("gis.write"))]
MAX_IMPORT_BYTES = 50 * 1024 * 1024
LayerName = Literal["communities", "shelters", "teams", "buildings", "pois", "routes"]


class ImportParams(BaseModel):
    """Query parameters of an import."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["geojson", "csv", "fgb", "gpkg", "zip"] = "geojson"
    crs: str | None = Field(default=None, max_length=200)
    mapping: str | None = Field(default=None, max_length=10000, description="JSON object")
    fid_field: str | None = Field(default=None, max_length=100)
    partial: bool = False


def _bad(loc: str, msg: str, type_: str, status: int = 422) -> ProblemError:
    """A validation problem with one field path."""
    return ProblemError(
        status, msg, code="validation", errors=[{"loc": loc, "msg": msg, "type": type_}]
    )


def _parse(data: bytes, p: ImportParams, layer: str) -> ImportResult:
    """Read and validate in a worker thread."""
    mapping: dict[str, str] = {}
    if p.mapping:
        try:
            mapping = {str(k): str(v) for k, v in json.loads(p.mapping).items()}
        except (ValueError, AttributeError) as exc:
            raise _bad("query.mapping", "mapping must be a JSON object", "json") from exc
    try:
        src: Source
        if p.format == "geojson":
            src = read_geojson(data)
        elif p.format == "csv":
            src = read_csv(data)
        else:
            src = read_ogr(data, f".{p.format}")
        return build(
            src, layer, crs=p.crs, mapping=mapping, fid_field=p.fid_field, partial=p.partial
        )
    except ReadError as exc:
        raise _bad("body", str(exc), exc.code) from exc
    except ImportRefused as exc:
        errs = exc.errors or [{"loc": "body", "msg": str(exc), "type": exc.code}]
        raise ProblemError(422, str(exc), code="validation", errors=errs) from exc


@router.post("/layers/{layer}/import")
async def import_layer(
    layer: LayerName,
    request: Request,
    params: Annotated[ImportParams, Query()],
    principal: Writer,
    services: ServicesDep,
    db: DbDep,
) -> dict[str, Any]:
    """Import a file into a layer; all-or-nothing unless partial=true."""
    if int(request.headers.get("content-length") or 0) > MAX_IMPORT_BYTES:
        raise _bad("body", "file too large", "too_large", 413)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_IMPORT_BYTES:
            raise _bad("body", "file too large", "too_large", 413)
        chunks.append(chunk)
    result = await asyncio.to_thread(_parse, b"".join(chunks), params, layer)
    created, updated = await store.upsert(db, layer, result.features, principal.username)
    report = {
        "layer": layer,
        "crs": result.crs,
        "crs_reason": result.crs_reason,
        "created": created,
        "updated": updated,
        "repairs": result.repairs,
        "skipped": result.skipped,
        "notes": result.notes,
    }
    entry = services.audit.add(
        db,
        Actor.of(principal),
        "gis.import",
        target_type="gis_layer",
        target_id=layer,
        detail={k: report[k] for k in ("crs", "created", "updated")}
        | {"repairs": len(result.repairs), "skipped": len(result.skipped)},
    )
    await db.commit()
    await services.audit.announce(entry)
    await services.bus.publish(
        "gis.feature.imported",
        {"layer": layer, "created": created, "updated": updated},
        audience=Audience(permission="gis.read"),
    )
    return report


def _feature_dict(f: Feature, tol: float) -> dict[str, Any]:
    """A GeoJSON Feature, simplified for the map when tol > 0."""
    geom: dict[str, Any] = json.loads(f.geometry)
    if tol > 0 and geom.get("type") in ("Polygon", "MultiPolygon", "LineString", "MultiLineString"):
        g = shapely.from_geojson(f.geometry).simplify(tol, preserve_topology=True)
        geom = json.loads(shapely.to_geojson(g))
    props = dict(f.properties) | {"fid": f.fid, "version": f.version}
    return {"type": "Feature", "id": f.fid, "geometry": geom, "properties": props}


def _bbox(bbox: str | None) -> tuple[float, float, float, float] | None:
    """Parse "minlon,minlat,maxlon,maxlat"."""
    if bbox is None:
        return None
    try:
        x0, y0, x1, y1 = (float(v) for v in bbox.split(","))
    except ValueError as exc:
        raise _bad("query.bbox", "bbox must be minlon,minlat,maxlon,maxlat", "bbox") from exc
    return x0, y0, x1, y1


@router.get("/layers/{layer}.geojson")
async def layer_geojson(
    layer: LayerName,
    principal: Reader,
    db: DbDep,
    bbox: str | None = None,
    zoom: Annotated[int | None, Query(ge=0, le=22)] = None,
) -> Response:
    """A layer as GeoJSON, filtered by bbox and simplified for a map zoom level."""
    rows = await store.load(db, layer, _bbox(bbox))
    tol = store.tolerance(zoom)
    feats = await asyncio.to_thread(lambda: [_feature_dict(f, tol) for f in rows])
    body = json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False)
    return Response(body, media_type="application/geo+json")


@router.get("/layers/{layer}.csv")
async def layer_csv(layer: LayerName, principal: Reader, db: DbDep) -> Response:
    """A layer as CSV with a WKT geometry column."""
    rows = await store.load(db, layer, None)
    fields = list(LAYERS[layer].model_fields)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["fid", *fields, "wkt"])
    for f in rows:
        vals = [
            json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v
            for v in (f.properties.get(k) for k in fields)
        ]
        w.writerow([f.fid, *vals, shapely.from_geojson(f.geometry).wkt])
    return Response(buf.getvalue(), media_type="text/csv; charset=utf-8")

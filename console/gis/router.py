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
from console.events import Audience
from console.gis import mapping_models as mappings
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
SOURCE = r"^[\w\u4e00-\u9fff][\w\u4e00-\u9fff .@-]{0,99}$"


class ImportParams(BaseModel):
    """Query parameters of an import."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["geojson", "csv", "fgb", "gpkg", "zip"] = "geojson"
    crs: str | None = Field(default=None, max_length=200)
    mapping: str | None = Field(default=None, max_length=10000, description="JSON object")
    source: str | None = Field(
        default=None,
        pattern=SOURCE,
        description="Source name: its mapping is saved, and reused when none is given.",
    )
    fid_field: str | None = Field(default=None, max_length=100)
    partial: bool = False


def bad(loc: str, msg: str, type_: str, status: int = 422) -> ProblemError:
    """A validation problem with one field path."""
    return ProblemError(
        status, msg, code="validation", errors=[{"loc": loc, "msg": msg, "type": type_}]
    )


def _mapping(text: str) -> dict[str, str]:
    """Parse the mapping query parameter."""
    try:
        return {str(k): str(v) for k, v in json.loads(text).items()}
    except (ValueError, AttributeError) as exc:
        raise bad("query.mapping", "mapping must be a JSON object", "json") from exc


def _parse(data: bytes, p: ImportParams, layer: str, mapping: dict[str, str]) -> ImportResult:
    """Read and validate in a worker thread."""
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
        raise bad("body", str(exc), exc.code) from exc
    except ImportRefused as exc:
        errs = exc.errors or [{"loc": "body", "msg": str(exc), "type": exc.code}]
        raise ProblemError(422, str(exc), code="validation", errors=errs) from exc


async def read_body(request: Request, limit: int) -> bytes:
    """The raw request body, refused with 413 as soon as it passes `limit` bytes."""
    too_large = bad("body", f"file too large (limit {limit} bytes)", "too_large", 413)
    if int(request.headers.get("content-length") or 0) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


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
    data = await read_body(request, MAX_IMPORT_BYTES)
    mapping: dict[str, str] = {}
    mapping_from: str | None = None
    if params.mapping:
        mapping, mapping_from = _mapping(params.mapping), "given"
    elif params.source:
        saved = await mappings.get(db, layer, params.source)
        if saved is not None:
            mapping, mapping_from = dict(saved.mapping), "saved"
    result = await asyncio.to_thread(_parse, data, params, layer, mapping)
    created, updated = await store.upsert(db, layer, result.features, principal.username)
    if params.source and mapping_from == "given":
        await mappings.save(db, layer, params.source, mapping, principal.username)
    report = {
        "layer": layer,
        "crs": result.crs,
        "crs_reason": result.crs_reason,
        "created": created,
        "updated": updated,
        "repairs": result.repairs,
        "skipped": result.skipped,
        "notes": result.notes,
        "source": params.source,
        "mapping": mapping,
        "mapping_from": mapping_from,
    }
    entry = services.audit.add(
        db,
        Actor.of(principal),
        "gis.import",
        target_type="gis_layer",
        target_id=layer,
        detail={k: report[k] for k in ("crs", "created", "updated", "source", "mapping_from")}
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


def feature_dict(f: Feature, tol: float) -> dict[str, Any]:
    """A GeoJSON Feature, simplified for the map when tol > 0."""
    geom: dict[str, Any] = json.loads(f.geometry)
    if tol > 0 and geom.get("type") in ("Polygon", "MultiPolygon", "LineString", "MultiLineString"):
        g = shapely.from_geojson(f.geometry).simplify(tol, preserve_topology=True)
        geom = json.loads(shapely.to_geojson(g))
    props = dict(f.properties) | {"fid": f.fid, "version": f.version}
    return {"type": "Feature", "id": f.fid, "geometry": geom, "properties": props}


def feature_collection(rows: Sequence[Feature], tol: float) -> str:
    """A layer as GeoJSON text: stored geometry passed through, or simplified all at once.

    Geometries are stored as GeoJSON already, so they are spliced in rather than parsed and
    re-encoded; simplification runs as one vectorised shapely call over the whole layer.
    """
    geoms = [f.geometry for f in rows]
    if tol > 0 and geoms:
        arr = shapely.simplify(
            shapely.from_geojson(np.asarray(geoms, dtype=object)), tol, preserve_topology=True
        )
        # Coordinates finer than the tolerance are noise on this zoom: fewer digits to send.
        arr = shapely.set_precision(arr, tol / 4, mode="pointwise")
        geoms = [str(g) for g in shapely.to_geojson(arr)]
    parts = []
    for f, g in zip(rows, geoms, strict=True):
        fid = json.dumps(f.fid, ensure_ascii=False)
        props = dict(f.properties) | {"fid": f.fid, "version": f.version}
        parts.append(
            f'{{"type":"Feature","id":{fid},"geometry":{g},'
            f'"properties":{json.dumps(props, ensure_ascii=False)}}}'
        )
    return '{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}"


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
) -> Response:
    """A layer as GeoJSON, filtered by bbox and simplified for a map zoom level."""
    rows = await store.load(db, layer, parse_bbox(bbox))
    tol = store.tolerance(zoom)
    body = await asyncio.to_thread(feature_collection, rows, tol)
    return Response(body, media_type="application/geo+json")


@router.get("/layers/{layer}.csv")
async def layer_csv(layer: LayerName, principal: Reader, db: DbDep) -> Response:
    """A layer as CSV with a WKT geometry column."""
    rows = await store.load(db, layer, None)
    body = await asyncio.to_thread(_csv, rows, list(LAYERS[layer].model_fields))
    return Response(body, media_type="text/csv; charset=utf-8")


def _csv(rows: Sequence[Feature], fields: list[str]) -> str:
    """CSV text of features (WKT from shapely: worker thread)."""
    buf = io.StringIO()
    w = csvsafe.writer(buf)
    w.writerow(["fid", *fields, "wkt"])
    wkts = (
        shapely.to_wkt(shapely.from_geojson([f.geometry for f in rows]), rounding_precision=-1)
        if rows
        else []
    )
    for f, wkt in zip(rows, wkts, strict=True):
        vals = [
            json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v
            for v in (f.properties.get(k) for k in fields)
        ]
        w.writerow([f.fid, *vals, wkt])
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

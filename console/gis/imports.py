"""Layer imports: dry run (preview), commit as a batch, list batches and revert one whole."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from console.audit import Actor
from console.auth.policy import Principal, Resource, authorize
from console.deps import DbDep, ServicesDep, check, deny, require
from console.errors import ProblemError
from console.events import Audience
from console.gis import batches, store
from console.gis import mapping_models as mappings
from console.gis.router import SOURCE, LayerName, bad, read_body
from console.gis.site import site_extent
from console.services import Services
from gis import crs as crsmod
from gis import encoding as enc
from gis.attributes import AttributeMap
from gis.importer import Imported, ImportRefused, ImportResult, Options, build
from gis.readers import AUTO, ReadError, Source, read_csv, read_geojson, read_ogr

router = APIRouter(prefix="/api/gis", tags=["gis"])
Reader = Annotated[Principal, Depends(require("gis.read"))]
Writer = Annotated[Principal, Depends(require("gis.write"))]


class ImportParams(BaseModel):
    """Query parameters of an import."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["geojson", "csv", "fgb", "gpkg", "zip"] = "geojson"
    crs: str | None = Field(
        default=None,
        max_length=200,
        description="CRS of the coordinates when the file does not say (or says wrongly): "
        "EPSG:n, GCJ-02 (Amap, Tencent, DataV), BD-09 (Baidu), WGS84, CGCS2000.",
    )
    mapping: str | None = Field(
        default=None, max_length=10000, description="JSON object: column -> layer field."
    )
    defaults: str | None = Field(
        default=None,
        max_length=10000,
        description="JSON object: layer field -> value for features that leave it empty.",
    )
    source: str | None = Field(
        default=None,
        pattern=SOURCE,
        description="Source name: its mapping is saved, and reused when none is given.",
    )
    fid_field: str | None = Field(
        default=None, max_length=100, description="Column holding each feature's id."
    )
    encoding: str = Field(
        default=AUTO,
        max_length=20,
        description="Attribute encoding of a CSV or a .dbf without .cpg: auto, utf-8, gbk, "
        "gb18030, cp932 (Shift_JIS), big5.",
    )
    partial: bool = Field(default=False, description="Skip bad features instead of refusing.")
    dry_run: bool = Field(default=False, description="Preview: report and features, no write.")
    allow_outside_site: bool = Field(
        default=False, description="Import even when the features land outside the site."
    )
    file_name: str | None = Field(default=None, max_length=255, description="Shown in history.")
    owner_unit_id: int | None = Field(
        default=None,
        ge=1,
        le=2**31 - 1,
        description="Unit that owns the new features (default: the caller's unit); features "
        "already stored keep their owner and are updated only where the caller may edit them.",
    )


def _json_object(text: str, loc: str) -> dict[str, Any]:
    """A JSON object from a query parameter; 422 naming it otherwise."""
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise bad(loc, f"{loc.split('.')[-1]} must be a JSON object", "json") from exc
    if not isinstance(value, dict):
        raise bad(loc, f"{loc.split('.')[-1]} must be a JSON object", "json")
    return value


def _read(data: bytes, p: ImportParams) -> Source:
    if p.format == "geojson":
        return read_geojson(data)
    if p.format == "csv":
        return read_csv(data, p.encoding)
    return read_ogr(data, f".{p.format}", p.encoding)


def _parse(data: bytes, p: ImportParams, layer: str, opts: Options) -> ImportResult:
    """Read and validate in a worker thread."""
    try:
        return build(_read(data, p), layer, opts)
    except ReadError as exc:
        loc = "query.encoding" if exc.code == "bad_encoding" else "body"
        err = {"loc": loc, "msg": str(exc), "type": exc.code, "params": exc.params}
        raise ProblemError(422, f"{loc}: {exc}", code="validation", errors=[err]) from exc
    except ImportRefused as exc:
        raise ProblemError(
            422, str(exc), code="validation", errors=exc.errors, extra={"reason": exc.code}
        ) from exc


def _new_fid(layer: str) -> str:
    return f"{layer[:2]}-{uuid.uuid4().hex[:10]}"


def _preview(feats: list[Imported], actions: list[str], limit: int) -> dict[str, Any]:
    """The features to draw before committing (GeoJSON, capped), each with its action."""
    import shapely

    shown = feats[:limit]
    geoms = shapely.to_geojson([f.geom for f in shown]) if shown else []
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": f.fid,
                "geometry": json.loads(g),
                "properties": f.props,
                "import_action": a,
                "import_index": f.index,
            }
            for f, g, a in zip(shown, geoms, actions, strict=False)
        ],
    }


async def _options(
    db: DbDep, services: Services, layer: str, params: ImportParams
) -> tuple[Options, dict[str, Any]]:
    """Import options from the query and the saved mapping of the source."""
    if params.encoding != AUTO:
        try:
            enc.codec(params.encoding)
        except ValueError as exc:
            raise bad("query.encoding", str(exc), "bad_encoding") from exc
    mapping: dict[str, str] | None = None
    defaults: dict[str, Any] = {}
    mapping_from: str | None = None
    if params.mapping:
        raw = _json_object(params.mapping, "query.mapping")
        mapping, mapping_from = {str(k): str(v) for k, v in raw.items()}, "given"
    if params.defaults:
        defaults = _json_object(params.defaults, "query.defaults")
    if mapping is None and params.source:
        saved = await mappings.get(db, layer, params.source)
        if saved is not None:
            mapping, mapping_from = dict(saved.mapping), "saved"
            defaults = {**(saved.defaults or {}), **defaults}
    extent = await site_extent(db, services.settings.gis)
    opts = Options(
        crs=params.crs or None,
        attributes=AttributeMap(mapping, defaults),
        fid_field=params.fid_field or None,
        partial=params.partial,
        extent=extent,
        allow_outside=params.allow_outside_site,
        context={"area_per_person": services.settings.readiness.area_per_person},
    )
    info = {
        "mapping": mapping or {},
        "defaults": defaults,
        "mapping_from": mapping_from,
        "site": None if extent is None else {"bbox": extent.as_list(), "source": extent.source},
    }
    return opts, info


def report(layer: str, params: ImportParams, result: ImportResult) -> dict[str, Any]:
    """What the import assumed, repaired, skipped and noted (codes with parameters)."""
    return {
        "layer": layer,
        "crs": result.crs,
        "crs_label": crsmod.label(result.crs),
        "crs_reason": result.crs_reason,
        "crs_declared": result.crs_declared,
        "crs_choices": result.crs_choices,
        "repairs": result.repairs,
        "skipped": result.skipped,
        "notes": [n.as_dict() for n in result.notes],
        "bbox": result.bbox,
        "id_source": result.id_source,
        "source": params.source,
        "file_name": params.file_name,
    }


@router.post("/layers/{layer}/import")
async def import_layer(
    layer: LayerName,
    request: Request,
    params: Annotated[ImportParams, Query()],
    principal: Writer,
    services: ServicesDep,
    db: DbDep,
) -> dict[str, Any]:
    """Import a file into a layer (all or nothing unless partial); dry_run previews it."""
    owner = params.owner_unit_id or principal.unit_id
    await check(services, principal, "gis.write", Resource.unit(owner))
    data = await read_body(request)
    opts, info = await _options(db, services, layer, params)
    result = await asyncio.to_thread(_parse, data, params, layer, opts)
    await _refuse_foreign(services, db, principal, layer, result, params.partial)
    known = await store.existing_fids(db, layer, [f.fid for f in result.features if f.fid])
    actions = [
        "create" if f.fid is None or f.fid not in known else "restore" if known[f.fid] else "update"
        for f in result.features
    ]
    out = report(layer, params, result) | info | {"restored": actions.count("restore")}
    if params.dry_run:
        limit = services.settings.gis.preview_features
        out |= {
            "dry_run": True,
            "created": actions.count("create"),
            "updated": len(actions) - actions.count("create"),
            "preview": _preview(result.features, actions, limit),
            "preview_truncated": len(result.features) > limit,
        }
        return out
    items = [(f.fid or _new_fid(layer), f.geom, f.props) for f in result.features]
    written = await store.write_many(db, layer, items, principal.username, owner)
    summary = {k: out[k] for k in ("crs_reason", "id_source", "bbox")} | {
        "notes": [n["code"] for n in out["notes"]],
        "repairs": len(result.repairs),
        "skipped": len(result.skipped),
    }
    batch = batches.ImportBatch(
        layer=layer,
        created_by=principal.username,
        source=params.source,
        file_name=params.file_name,
        crs=result.crs,
        summary=summary,
    )
    await batches.record(db, batch, written)
    if params.source and info["mapping_from"] == "given":
        await mappings.save(
            db, layer, params.source, info["mapping"], principal.username, info["defaults"]
        )
    out |= {"dry_run": False, "created": batch.created, "updated": batch.updated, "batch": batch.id}
    detail = {k: out[k] for k in ("crs", "created", "updated", "source", "mapping_from", "batch")}
    entry = services.audit.add(
        db,
        Actor.of(principal),
        "gis.import",
        target_type="gis_layer",
        target_id=layer,
        detail=detail | {"repairs": len(result.repairs), "skipped": len(result.skipped)},
    )
    await db.commit()
    await services.audit.announce(entry)
    await services.bus.publish(
        "gis.feature.imported",
        {"layer": layer, "created": batch.created, "updated": batch.updated, "batch": batch.id},
        audience=Audience(permission="gis.read"),
    )
    return out


async def _refuse_foreign(
    services: Services,
    db: DbDep,
    principal: Principal,
    layer: str,
    result: ImportResult,
    partial: bool,
) -> None:
    """Features of other units the caller may not edit: refused (all-or-nothing), or skipped
    and reported with `partial`; one audited refusal names them."""
    stored = await store.existing(db, layer, [f.fid for f in result.features if f.fid])
    foreign = {
        fid
        for fid, f in stored.items()
        if not authorize(principal, "gis.write", store.resource(f, services.units)).allowed
    }
    if not foreign:
        return
    errors = [
        {
            "index": f.index,
            "loc": f"features.{f.index}",
            "msg": f"{layer} feature {f.fid} belongs to a unit whose data you may not change",
            "type": "forbidden",
        }
        for f in result.features
        if f.fid in foreign
    ]
    await deny(
        services,
        principal,
        "gis.write",
        f"/api/gis/layers/{layer}/import",
        f"{len(foreign)} feature(s) of other units: " + ", ".join(sorted(foreign)[:50]),
    )
    if not partial:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ProblemError(
            403, f"{errors[0]['msg']}{more}; nothing imported", code="forbidden", errors=errors
        )
    result.features = [f for f in result.features if f.fid not in foreign]
    result.skipped = [*result.skipped, *errors]


BatchId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Import batch id.")]


async def _batch(db: DbDep, batch_id: int) -> batches.ImportBatch:
    row = await db.get(batches.ImportBatch, batch_id)
    if row is None:
        raise ProblemError(404, f"import {batch_id} not found", code="not-found")
    return row


@router.get("/imports")
async def list_imports(
    principal: Reader,
    db: DbDep,
    layer: LayerName | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """Import batches, newest first."""
    return {"items": [b.as_dict() for b in await batches.listing(db, layer, limit)]}


@router.get("/imports/{batch_id}")
async def get_import(batch_id: BatchId, principal: Reader, db: DbDep) -> dict[str, Any]:
    """One batch with every feature it wrote and the version it replaced."""
    row = await _batch(db, batch_id)
    return row.as_dict() | {"items": [i.as_dict() for i in await batches.items(db, row.id)]}


class RevertOut(BaseModel):
    """What a revert did."""

    batch: dict[str, Any]
    deleted: int
    restored: int


async def _may_revert(
    services: Services, db: DbDep, principal: Principal, row: batches.ImportBatch
) -> None:
    """A revert changes every feature the batch wrote: the caller must be allowed to edit
    each of them (403, audited, naming the first few otherwise)."""
    written = await batches.items(db, row.id)
    feats = await store.existing(db, row.layer, [i.fid for i in written])
    foreign = sorted(
        fid
        for fid, f in feats.items()
        if not authorize(principal, "gis.write", store.resource(f, services.units)).allowed
    )
    if foreign:
        raise await deny(
            services,
            principal,
            "gis.write",
            f"gis_import:{row.id}",
            f"import {row.id} wrote {len(foreign)} feature(s) of units whose data you may not "
            "change: " + ", ".join(foreign[:20]),
        )


@router.post("/imports/{batch_id}/revert")
async def revert_import(
    batch_id: BatchId, principal: Writer, services: ServicesDep, db: DbDep
) -> RevertOut:
    """Undo a whole import: features back to their previous versions, created ones deleted."""
    row = await _batch(db, batch_id)
    await _may_revert(services, db, principal, row)
    if row.reverted_at is not None:
        raise ProblemError(
            409,
            f"import {batch_id} was already reverted by {row.reverted_by}",
            code="already-reverted",
        )
    try:
        deleted, restored = await batches.revert(db, row, principal.username)
    except batches.RevertConflict as exc:
        errors = [
            {
                "loc": f"features.{fid}",
                "msg": f"changed after the import (now v{now}, the import wrote v{wrote})",
                "type": "changed_since",
                "params": {"fid": fid, "wrote": wrote, "now": now},
            }
            for fid, wrote, now in exc.changed[:100]
        ]
        raise ProblemError(
            409,
            f"{len(exc.changed)} feature(s) changed after import {batch_id}: "
            "revert them by hand or edit them back first",
            code="changed-since",
            errors=errors,
        ) from exc
    entry = services.audit.add(
        db,
        Actor.of(principal),
        "gis.import.revert",
        target_type="gis_import",
        target_id=str(row.id),
        detail={"layer": row.layer, "deleted": deleted, "restored": restored},
    )
    await db.commit()
    await services.audit.announce(entry)
    await services.bus.publish(
        "gis.feature.imported",
        {"layer": row.layer, "reverted": row.id, "deleted": deleted, "restored": restored},
        audience=Audience(permission="gis.read"),
    )
    return RevertOut(batch=row.as_dict(), deleted=deleted, restored=restored)

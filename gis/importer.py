"""Turn read records into validated WGS84 layer features, reporting repairs and refusals."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from pydantic import ValidationError
from shapely.geometry.base import BaseGeometry

from gis import crs as crsmod
from gis.geometry import GeometryError, all_coords, check, diagnose_lonlat
from gis.layers import GEOMETRY_TYPES, LAYERS, parse_capacity_text
from gis.readers import Source


class ImportRefused(ValueError):
    """The whole import is refused (wrong CRS, or errors without partial=true)."""

    def __init__(self, code: str, msg: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(msg)
        self.code = code
        self.errors = errors or []


@dataclass
class ImportResult:
    """Features ready to store and the report of what was assumed, repaired and skipped."""

    layer: str
    crs: str
    crs_reason: str
    features: list[tuple[str, BaseGeometry, dict[str, Any]]] = field(default_factory=list)
    repairs: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _reproject(geoms: list[BaseGeometry], src: str) -> list[BaseGeometry]:
    """Reproject geometries from src into WGS84 lon/lat (vectorized)."""

    def fn(xy: np.ndarray[Any, np.dtype[np.float64]]) -> np.ndarray[Any, np.dtype[np.float64]]:
        lon, lat = crsmod.to_wgs84(src, xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    arr = shapely.transform(np.asarray(geoms, dtype=object), fn)
    return list(arr)


def _map_props(props: dict[str, Any], mapping: dict[str, str]) -> dict[str, Any]:
    """Apply source column -> field mapping; unmapped columns are dropped when mapped."""
    if not mapping:
        return props
    out: dict[str, Any] = {}
    for src, dst in mapping.items():
        if src in props and props[src] not in (None, ""):
            out[dst] = props[src]
    return out


def _prepare(layer: str, props: dict[str, Any]) -> dict[str, Any]:
    """Layer-specific attribute clean-up (free-text capacities)."""
    cap = props.get("capacity")
    if layer == "shelters" and isinstance(cap, str) and not cap.strip().isdigit():
        indoor, outdoor = parse_capacity_text(cap)
        props = {k: v for k, v in props.items() if k != "capacity"}
        if indoor is not None:
            props.setdefault("indoor_capacity", indoor)
        if outdoor is not None:
            props.setdefault("outdoor_capacity", outdoor)
    return props


def build(
    source: Source,
    layer: str,
    *,
    crs: str | None = None,
    mapping: dict[str, str] | None = None,
    fid_field: str | None = None,
    partial: bool = False,
) -> ImportResult:
    """Validate, repair and reproject every record; refuse all on error unless partial."""
    if layer not in LAYERS:
        raise ImportRefused("unknown_layer", f"unknown layer {layer}")
    model, allowed = LAYERS[layer], GEOMETRY_TYPES[layer]
    if crs:
        src, reason = crs, "given in the request"
    elif source.crs:
        src, reason = source.crs, source.crs_reason
    else:
        src, reason = crsmod.WGS84, source.crs_reason
    good = [(i, g) for i, (g, _p, _c) in enumerate(source.records) if isinstance(g, BaseGeometry)]
    raw = [g for _i, g in good]
    if crsmod.is_geographic(src):
        why = diagnose_lonlat(all_coords(raw))
        if why:
            raise ImportRefused("wrong_crs", f"{why} (assumed {src}: {reason})")
    try:
        wgs = dict(zip([i for i, _g in good], _reproject(raw, src), strict=True))
    except Exception as exc:  # pyproj raises CRSError and ProjError
        raise ImportRefused("bad_crs", f"cannot transform from {src}: {exc}") from exc
    result = ImportResult(layer, src, reason, notes=list(source.notes))
    errors: list[dict[str, Any]] = []
    for i, (g, props, closed) in enumerate(source.records):
        try:
            if isinstance(g, GeometryError):
                raise g
            checked = check(wgs[i], allowed, closed)
            attrs = _prepare(layer, _map_props(props, mapping or {}))
            valid = model.model_validate(attrs).model_dump()
        except GeometryError as exc:
            errors.append(
                {"index": i, "loc": f"features.{i}.geometry", "msg": str(exc), "type": exc.code}
            )
            continue
        except ValidationError as exc:
            for e in exc.errors():
                loc = ".".join(str(p) for p in e["loc"])
                errors.append(
                    {
                        "index": i,
                        "loc": f"features.{i}.properties.{loc}",
                        "msg": e["msg"],
                        "type": e["type"],
                    }
                )
            continue
        if checked.repaired:
            result.repairs.append({"index": i, "repair": checked.repaired})
        fid = str(props.get(fid_field or "id") or props.get("ID") or valid.get("code") or i)
        result.features.append((fid, checked.geom, valid))
    if errors and not partial:
        raise ImportRefused(
            "invalid_features", f"{len(errors)} problem(s); nothing imported", errors
        )
    result.skipped = errors
    return result

"""Turn read records into validated WGS84 layer features, reporting repairs and refusals.

The pipeline: resolve the CRS (the request's, else the file's, else WGS84 undeclared), drop Z,
transform, judge the result against the site extent (axis order too), then map, coerce and
validate attributes and give each feature its id. Nothing here writes: the caller stores the
features (or shows them as a preview). Every note and refusal carries a code and parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from pydantic import BaseModel, ValidationError
from shapely.geometry.base import BaseGeometry

from gis import crs as crsmod
from gis import placement
from gis.attributes import AttributeMap, MappingError, MapResult
from gis.geometry import GeometryError, all_coords, check
from gis.layers import GEOMETRY_TYPES, LAYERS
from gis.notices import Notice
from gis.placement import Extent
from gis.readers import Source

INSIDE_SHARE = 0.5  # features whose centre is in the site extent, for an import to be placed
CRS_CHOICES = (crsmod.WGS84, crsmod.GCJ02, crsmod.BD09)


class ImportRefused(ValueError):
    """The whole import is refused (wrong CRS, or errors without partial=true)."""

    def __init__(
        self,
        code: str,
        msg: str,
        errors: list[dict[str, Any]] | None = None,
        *,
        params: dict[str, Any] | None = None,
        loc: str = "body",
    ) -> None:
        super().__init__(msg)
        self.code = code
        self.params = params or {}
        self.errors = errors or [{"loc": loc, "msg": msg, "type": code, "params": self.params}]


@dataclass
class Options:
    """How to read a source: CRS, attribute mapping, ids, site extent, what may be refused."""

    crs: str | None = None
    attributes: AttributeMap = field(default_factory=AttributeMap)
    fid_field: str | None = None
    partial: bool = False
    extent: Extent | None = None
    allow_outside: bool = False
    context: dict[str, Any] = field(default_factory=dict)


@dataclass
class Imported:
    """One feature ready to store: its id (None: a new feature), geometry, attributes, row."""

    fid: str | None
    geom: BaseGeometry
    props: dict[str, Any]
    index: int


@dataclass
class ImportResult:
    """Features ready to store and the report of what was assumed, repaired and skipped."""

    layer: str
    crs: str
    crs_reason: str
    crs_declared: bool = True
    features: list[Imported] = field(default_factory=list)
    repairs: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    notes: list[Notice] = field(default_factory=list)
    bbox: list[float] | None = None
    crs_choices: list[dict[str, Any]] = field(default_factory=list)
    id_source: dict[str, int] = field(default_factory=dict)


def _reproject(geoms: list[BaseGeometry], src: str, swap: bool = False) -> list[BaseGeometry]:
    """Reproject geometries from src into WGS84 lon/lat (vectorised); swap reads y/x."""

    def fn(xy: np.ndarray[Any, np.dtype[np.float64]]) -> np.ndarray[Any, np.dtype[np.float64]]:
        x, y = (xy[:, 1], xy[:, 0]) if swap else (xy[:, 0], xy[:, 1])
        lon, lat = crsmod.to_wgs84(src, x, y)
        return np.column_stack([lon, lat])

    if not geoms:
        return []
    with np.errstate(all="ignore"):
        arr = shapely.transform(np.asarray(geoms, dtype=object), fn)
    return list(arr)


def resolve_crs(source: Source, crs: str | None) -> tuple[str, str, bool]:
    """(CRS, why, declared): the request's, else the file's, else WGS84 by assumption."""
    if crs:
        try:
            return crsmod.resolve(crs), "given in the request", True
        except crsmod.UnknownCrs as exc:
            raise ImportRefused(
                "unknown_crs", f"query.crs: {exc}", params={"crs": crs}, loc="query.crs"
            ) from exc
    if source.crs:
        try:
            return crsmod.resolve(source.crs), source.crs_reason, True
        except crsmod.UnknownCrs as exc:
            raise ImportRefused(
                "unknown_crs",
                f"{source.crs_field}: {exc}",
                params={"crs": source.crs},
                loc=source.crs_field,
            ) from exc
    return crsmod.WGS84, source.crs_reason, False


def _metres_in_degrees(raw: list[BaseGeometry]) -> None:
    """Refuse projected metres read as degrees (no swap or extent can place them)."""
    xy = all_coords(raw)
    if xy.size == 0:
        return
    x, y = np.abs(xy[:, 0]), np.abs(xy[:, 1])
    if (np.any(x > 180) or np.any(y > 90)) and (np.all(x > 1000) or np.all(y > 1000)):
        raise ImportRefused(
            "projected_metres",
            "coordinates look like projected metres, not lon/lat degrees: give the EPSG code",
        )


def place(
    raw: list[BaseGeometry], src: str, opts: Options, notes: list[Notice], loc: str = "body"
) -> list[BaseGeometry]:
    """Transform to WGS84 and judge axis order and position against the site extent.

    `loc` names where the CRS came from (query.crs, the file's crs member, or body when the
    file says nothing), so a refusal points at what to change.
    """
    if crsmod.is_geographic(src):
        _metres_in_degrees(raw)
    straight = _reproject(raw, src)
    ext = opts.extent
    ok_straight = placement.valid_lonlat(straight)
    if ext is not None:
        inside = placement.share_inside(straight, ext) if ok_straight else 0.0
        if inside >= INSIDE_SHARE:
            return _outliers(straight, ext, inside, notes)
        swapped = _reproject(raw, src, swap=True)
        ok_swapped = placement.valid_lonlat(swapped)
        if ok_swapped and placement.share_inside(swapped, ext) >= INSIDE_SHARE:
            notes.append(
                Notice(
                    "axis_swapped",
                    "coordinates were latitude first: read as lat/lon (they land in the site)",
                    {"reason": "extent"},
                )
            )
            return _outliers(swapped, ext, placement.share_inside(swapped, ext), notes)
        chosen = straight if ok_straight or not ok_swapped else swapped
        where = placement.landing(chosen, ext)
        if not opts.allow_outside:
            raise ImportRefused(
                "outside_site",
                f"the features would land at {where['where']}, {where['km']:,} km from the "
                f"site (assumed {src}): check the CRS",
                params={**where, "crs": src, "site": ext.as_list(), "site_source": ext.source},
                loc=loc,
            )
        notes.append(
            Notice(
                "outside_site_accepted",
                f"imported outside the site as asked: {where['where']}, {where['km']:,} km away",
                where,
            )
        )
        return chosen
    notes.append(
        Notice(
            "site_unknown",
            "no site extent yet (no communities): where the features land was not checked",
        )
    )
    if ok_straight:
        return straight
    swapped = _reproject(raw, src, swap=True)
    if placement.valid_lonlat(swapped):
        notes.append(
            Notice(
                "axis_swapped",
                "latitudes above 90: the coordinates were read as lat/lon",
                {"reason": "range"},
            )
        )
        return swapped
    raise ImportRefused(
        "out_of_range", f"coordinates fall outside the lon/lat range after transforming from {src}"
    )


def _outliers(
    geoms: list[BaseGeometry], ext: Extent, inside: float, notes: list[Notice]
) -> list[BaseGeometry]:
    """Note features that fall outside the site although most of the import is in it."""
    outside = round((1.0 - inside) * len(geoms))
    if outside:
        notes.append(
            Notice(
                "features_outside_site",
                f"{outside} feature(s) lie outside the site extent",
                {"count": outside},
            )
        )
    return geoms


def _china_choices(
    geoms: list[BaseGeometry], raw: list[BaseGeometry], notes: list[Notice]
) -> list[dict[str, Any]]:
    """For undeclared data inside China: say which web maps use GCJ-02 / BD-09 and what moves."""
    if not placement.in_china(geoms):
        return []
    notes.append(
        Notice(
            "crs_undeclared_china",
            "the file does not say its CRS and lies in China: taken as WGS84. Data from Amap "
            "(Gaode), Tencent or DataV is GCJ-02 and Baidu data BD-09; choose before importing",
        )
    )
    return [
        {"crs": c, "shift_m": 0.0 if c == crsmod.WGS84 else placement.offset_m(raw, c)}
        for c in CRS_CHOICES
    ]


def _drop_z(source: Source, notes: list[Notice]) -> list[tuple[int, BaseGeometry]]:
    """Geometries (by record index) in 2D, with a note when Z values were dropped."""
    good = [(i, g) for i, (g, _p, _c) in enumerate(source.records) if isinstance(g, BaseGeometry)]
    if not good:
        return good
    arr = np.asarray([g for _i, g in good], dtype=object)
    has_z = shapely.has_z(arr)
    if has_z.any():
        arr = shapely.force_2d(arr)
        notes.append(
            Notice(
                "z_dropped",
                f"{int(has_z.sum())} feature(s) had Z values (heights): dropped",
                {"count": int(has_z.sum())},
            )
        )
    return [(i, g) for (i, _old), g in zip(good, arr, strict=True)]


def _validate(model: type[BaseModel], attrs: dict[str, Any], ctx: dict[str, Any]) -> dict[str, Any]:
    return model.model_validate(attrs, context=ctx).model_dump()


def build(source: Source, layer: str, opts: Options | None = None) -> ImportResult:
    """Validate, repair and reproject every record; refuse all on error unless partial."""
    opts = opts or Options()
    if layer not in LAYERS:
        raise ImportRefused("unknown_layer", f"unknown layer {layer}", params={"layer": layer})
    if not source.records:
        raise ImportRefused("empty", "the file has no features")
    model, allowed = LAYERS[layer], GEOMETRY_TYPES[layer]
    src, reason, declared = resolve_crs(source, opts.crs)
    result = ImportResult(layer, src, reason, declared, notes=list(source.notes))
    good = _drop_z(source, result.notes)
    raw = [g for _i, g in good]
    loc = "query.crs" if opts.crs else source.crs_field if declared else "body"
    placed = place(raw, src, opts, result.notes, loc)
    if not declared:
        result.crs_choices = _china_choices(placed, raw, result.notes)
    wgs = dict(zip([i for i, _g in good], placed, strict=True))
    try:
        mapper = opts.attributes.for_layer(layer, source, opts.fid_field)
    except MappingError as exc:
        raise ImportRefused(exc.code, f"{exc.loc}: {exc}", params=exc.params, loc=exc.loc) from exc
    result.notes.extend(mapper.notes)
    errors: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for i, (g, props, closed) in enumerate(source.records):
        try:
            if isinstance(g, GeometryError):
                raise g
            checked = check(wgs[i], allowed, closed)
            mapped: MapResult = mapper.apply(props)
            valid = _validate(model, mapped.attrs, opts.context)
            fid, how = mapper.fid(props, source.ids[i], valid)
        except GeometryError as exc:
            loc = f"features.{i}.geometry"
            errors.append({"index": i, "loc": loc, "msg": str(exc), "type": exc.code})
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
        except ValueError as exc:  # an id problem named by the mapper
            loc = f"features.{i}.id"
            errors.append({"index": i, "loc": loc, "msg": str(exc), "type": "id_invalid"})
            continue
        if fid is not None and fid in seen:
            errors.append(
                {
                    "index": i,
                    "loc": f"features.{i}.id",
                    "msg": f"id {fid} also on feature {seen[fid]}",
                    "type": "id_duplicate",
                    "params": {"id": fid, "first": seen[fid]},
                }
            )
            continue
        if fid is not None:
            seen[fid] = i
        if checked.repaired:
            result.repairs.append({"index": i, "repair": checked.repaired})
        result.id_source[how] = result.id_source.get(how, 0) + 1
        result.features.append(Imported(fid, checked.geom, valid, i))
    if errors and not partial_ok(opts, result):
        raise ImportRefused(
            "invalid_features",
            f"{len(errors)} problem(s); nothing imported",
            errors,
            params={"count": len(errors)},
        )
    if not result.features:
        raise ImportRefused(
            "invalid_features",
            "no feature could be imported",
            errors,
            params={"count": len(errors)},
        )
    new = result.id_source.get("new", 0)
    if new:
        result.notes.append(
            Notice(
                "ids_new",
                f"{new} feature(s) have no id: created as new features (choose an ID column to "
                "update existing ones on a later import)",
                {"count": new},
            )
        )
    result.skipped = errors
    result.bbox = placement.bounds([f.geom for f in result.features])
    return result


def partial_ok(opts: Options, result: ImportResult) -> bool:
    """Whether errors may skip features rather than refuse the import."""
    return opts.partial and bool(result.features)

"""Attribute mapping for imports: columns to layer fields, type coercion, defaults and ids.

Files carry more columns than a layer has fields and write numbers as text (or codes as
numbers: DataV's integer `adcode`); a mapping names which column feeds which field, values are
coerced to the field's type before validation, defaults fill fields the file lacks, and
columns that feed nothing are reported rather than refused.
"""

from __future__ import annotations

import math
import re
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal, Union

from gis.layers import LAYERS, parse_capacity_text
from gis.notices import Notice

FID = re.compile(r"^[A-Za-z0-9\u4e00-\u9fff][A-Za-z0-9\u4e00-\u9fff._:-]{0,127}$")
_TRUE = {"true", "1", "yes", "y", "t", "是", "有", "开", "開"}
_FALSE = {"false", "0", "no", "n", "f", "否", "无", "無", "关", "閉"}
_LIST_SEP = re.compile(r"[;,，、|；]")
SHOWN = 20


class MappingError(ValueError):
    """A mapping, default or ID column that cannot apply to this layer or file."""

    def __init__(self, loc: str, msg: str, code: str, params: dict[str, Any]) -> None:
        super().__init__(msg)
        self.loc, self.code, self.params = loc, code, params


def _clean(v: Any) -> Any:
    """None for empty cells: "", whitespace, NaN."""
    if v is None:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, str) and not v.strip():
        return None
    return v


def _kinds(annotation: Any) -> tuple[set[type], tuple[Any, ...]]:
    """The plain types an annotation accepts, and its Literal choices (if any)."""
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType):
        out: set[type] = set()
        lits: tuple[Any, ...] = ()
        for a in typing.get_args(annotation):
            k, lit = _kinds(a)
            out |= k
            lits += lit
        return out, lits
    if origin is Literal:
        args = typing.get_args(annotation)
        return {type(a) for a in args}, args
    if origin is list:
        return {list}, ()
    return ({annotation} if isinstance(annotation, type) else set()), ()


def coerce(value: Any, annotation: Any) -> Any:
    """The value converted to the field's type where that is unambiguous; else unchanged."""
    kinds, choices = _kinds(annotation)
    kinds.discard(type(None))
    if choices and isinstance(value, str):
        for c in choices:
            if isinstance(c, str) and c.lower() == value.strip().lower():
                return c
    if type(value) in kinds:
        return value
    if bool in kinds and isinstance(value, (str, int)):
        key = str(value).strip().lower()
        if key in _TRUE:
            return True
        if key in _FALSE:
            return False
    if int in kinds and not isinstance(value, bool):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and re.fullmatch(r"\s*[+-]?[\d,]+(\.0*)?\s*", value):
            return int(value.replace(",", "").split(".")[0])
    if float in kinds and not isinstance(value, bool):
        if isinstance(value, int):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value.replace(",", ""))
            except ValueError:
                return value
    if str in kinds and isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(int(value)) if float(value).is_integer() else str(value)
    if list in kinds and isinstance(value, str):
        return [p.strip() for p in _LIST_SEP.split(value) if p.strip()]
    return value


def id_text(value: Any) -> str | None:
    """An id as text (integral numbers without ".0"), or None when empty."""
    value = _clean(value)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


@dataclass
class MapResult:
    """Attributes for validation."""

    attrs: dict[str, Any]


@dataclass
class AttributeMap:
    """What the caller asked: column -> field mapping (None: by name) and field defaults."""

    mapping: dict[str, str] | None = None
    defaults: dict[str, Any] = field(default_factory=dict)

    def for_layer(self, layer: str, source: Any, fid_field: str | None) -> LayerMapper:
        """A mapper for this layer and file; MappingError when the request cannot apply."""
        model = LAYERS[layer]
        fields = {k: v.annotation for k, v in model.model_fields.items() if k != "capacity_basis"}
        for key, dst in (self.mapping or {}).items():
            if dst not in fields:
                raise MappingError(
                    f"query.mapping.{key}",
                    f"{dst!r} is not a {layer} field",
                    "mapping_field",
                    {"field": dst, "layer": layer},
                )
        for key in self.defaults:
            if key not in fields:
                raise MappingError(
                    f"query.defaults.{key}",
                    f"{key!r} is not a {layer} field",
                    "mapping_field",
                    {"field": key, "layer": layer},
                )
        columns: list[str] = []
        for _g, props, _c in source.records[:1000]:
            columns.extend(c for c in props if c not in columns)
        if fid_field and fid_field not in columns:
            raise MappingError(
                "query.fid_field",
                f"the ID column {fid_field!r} is not in the file",
                "fid_field_missing",
                {"column": fid_field},
            )
        lower = {f.lower(): f for f in fields}
        if self.mapping is not None:
            selected = dict(self.mapping)
        else:
            selected = {c: lower[c.lower()] for c in columns if c.lower() in lower}
        notes: list[Notice] = []
        ignored = [c for c in columns if c not in selected and c != fid_field]
        if ignored:
            notes.append(
                Notice(
                    "columns_ignored",
                    f"{len(ignored)} column(s) feed no {layer} field and were left out: "
                    + ", ".join(ignored[:SHOWN]),
                    {"count": len(ignored), "columns": ignored[:SHOWN]},
                )
            )
        absent = [c for c in selected if c not in columns]
        if absent and columns:
            notes.append(
                Notice(
                    "mapping_columns_absent",
                    "mapped column(s) not in the file: " + ", ".join(absent[:SHOWN]),
                    {"columns": absent[:SHOWN]},
                )
            )
        if self.defaults:
            notes.append(
                Notice(
                    "defaults_applied",
                    "defaults fill fields the file leaves empty: "
                    + ", ".join(f"{k}={v}" for k, v in self.defaults.items()),
                    {"defaults": dict(self.defaults)},
                )
            )
        defaults = {k: coerce(v, fields[k]) for k, v in self.defaults.items()}
        return LayerMapper(layer, fields, selected, defaults, fid_field, notes)


@dataclass
class LayerMapper:
    """Applies a mapping to one record's properties and picks its id."""

    layer: str
    fields: dict[str, Any]
    selected: dict[str, str]
    defaults: dict[str, Any]
    fid_field: str | None
    notes: list[Notice]

    def apply(self, props: dict[str, Any]) -> MapResult:
        """Mapped, coerced attributes with defaults for what the record leaves empty."""
        out: dict[str, Any] = {}
        for src, dst in self.selected.items():
            v = _clean(props.get(src))
            if v is None:
                continue
            if self.layer == "shelters" and dst == "capacity" and _free_text(v):
                indoor, outdoor = parse_capacity_text(v)
                if indoor is not None:
                    out.setdefault("indoor_capacity", indoor)
                if outdoor is not None:
                    out.setdefault("outdoor_capacity", outdoor)
                continue
            out[dst] = coerce(v, self.fields[dst])
        for k, v in self.defaults.items():
            if out.get(k) is None:
                out[k] = v
        return MapResult(out)

    def fid(
        self, props: dict[str, Any], feature_id: str | None, valid: dict[str, Any]
    ) -> tuple[str | None, str]:
        """(id, where it came from): the ID column, the Feature.id, a community code, or new."""
        if self.fid_field:
            value = id_text(props.get(self.fid_field))
            if value is None:
                raise ValueError(f"no value in the ID column {self.fid_field}")
            return _checked(value), "fid_field"
        if feature_id is not None:
            return _checked(feature_id), "feature_id"
        if self.layer == "communities" and valid.get("code"):
            return _checked(str(valid["code"])), "code"
        return None, "new"


def _free_text(v: Any) -> bool:
    """A capacity written as words ("屋内1,371人／屋外5,470人"), not a number."""
    return isinstance(v, str) and not v.replace(",", "").strip().isdigit()


def _checked(fid: str) -> str:
    """The id when it can name a feature in a URL; ValueError otherwise."""
    if not FID.match(fid):
        raise ValueError(
            f"id {fid[:40]!r} cannot name a feature (letters, digits, CJK, . _ : - up to 128)"
        )
    return fid

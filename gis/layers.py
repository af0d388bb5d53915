"""Typed layer schemas: validated feature attributes per layer."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

ShelterKind = Literal["emergency", "fixed_short", "fixed_medium", "fixed_long", "central"]
SHELTER_KINDS: tuple[ShelterKind, ...] = (
    "emergency",
    "fixed_short",
    "fixed_medium",
    "fixed_long",
    "central",
)


class AreaPerPerson(BaseModel):
    """Effective shelter area per evacuee by shelter kind, in m².

    Defaults from GB 50413-2007 (城市抗震防灾规划标准) 8.2.8: at least 1 m² per person in an
    emergency shelter and 2 m² in a fixed one (central shelters are fixed shelters). GB
    21734-2008 (地震应急避难场所 场址及配套设施) asks 1.5 m² of living area per person: a site
    that plans to it sets 1.5 here.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    emergency: float = Field(1.0, gt=0, description="Emergency shelters (GB 50413-2007 8.2.8).")
    fixed_short: float = Field(2.0, gt=0, description="Short-stay fixed shelters.")
    fixed_medium: float = Field(2.0, gt=0, description="Medium-stay fixed shelters.")
    fixed_long: float = Field(2.0, gt=0, description="Long-stay fixed shelters.")
    central: float = Field(2.0, gt=0, description="Central shelters.")

    def of(self, kind: str) -> float:
        """The area per person of a kind (the emergency figure for an unknown kind)."""
        return float(getattr(self, kind, self.emergency))


class _Props(BaseModel):
    """Common base: unknown attributes are refused."""

    model_config = ConfigDict(extra="forbid")


class Community(_Props):
    """A community (residents' committee) polygon."""

    name: str = Field(min_length=1, max_length=200)
    code: str = Field(min_length=1, max_length=64)
    # None: not recorded yet ("to fill in"); the community gets no readiness score until it is.
    population: int | None = Field(default=None, ge=0)
    households: int | None = Field(default=None, ge=0)
    elderly: int = Field(default=0, ge=0)
    disabled: int = Field(default=0, ge=0)
    children: int = Field(default=0, ge=0)
    street_office: str | None = Field(default=None, max_length=200)


class Shelter(_Props):
    """An emergency shelter (GB 51143-2015 kinds, GB 21734-2008 classes)."""

    name: str = Field(min_length=1, max_length=200)
    address: str | None = Field(default=None, max_length=300)
    kind: ShelterKind = "emergency"
    shelter_class: Literal["I", "II", "III"] | None = None
    effective_area_m2: float | None = Field(default=None, ge=0)
    capacity: int | None = Field(default=None, ge=0)
    indoor_capacity: int | None = Field(default=None, ge=0)
    outdoor_capacity: int | None = Field(default=None, ge=0)
    facilities: list[str] = Field(default_factory=list)
    open: bool = False
    occupancy: int | None = Field(default=None, ge=0)
    capacity_basis: Literal["stated", "indoor_outdoor", "area"] | None = Field(
        default=None, description="Where capacity came from (area: derived, recomputed)."
    )

    @model_validator(mode="after")
    def _derive_capacity(self, info: ValidationInfo) -> Shelter:
        """A stated capacity wins; else indoor+outdoor; else effective area / area per person.

        The area per person of the shelter's kind comes from the validation context
        ({"area_per_person": AreaPerPerson}), else the GB 50413-2007 defaults.
        """
        if self.capacity is not None:
            self.capacity_basis = self.capacity_basis or "stated"
        elif self.indoor_capacity is not None or self.outdoor_capacity is not None:
            self.capacity = (self.indoor_capacity or 0) + (self.outdoor_capacity or 0)
            self.capacity_basis = "indoor_outdoor"
        elif self.effective_area_m2 is not None:
            ctx = info.context if isinstance(info.context, dict) else {}
            table = ctx.get("area_per_person") or AreaPerPerson()
            self.capacity = int(self.effective_area_m2 / table.of(self.kind))
            self.capacity_basis = "area"
        else:
            self.capacity_basis = None
        return self


class Team(_Props):
    """A volunteer rescue team or group of earthquake assistants."""

    community_code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["rescue", "assistant", "medical", "other"] = "rescue"
    head_count: int = Field(ge=0)


class Building(_Props):
    """A surveyed building (footprint or point)."""

    name: str | None = Field(default=None, max_length=200)
    structure: str | None = Field(default=None, max_length=64)
    rating: Literal["safe", "moderate", "unsafe", "unknown"] = "unknown"
    residents: int | None = Field(default=None, ge=0, description="People living there.")
    floors: int | None = Field(default=None, ge=0, le=300)


class Fault(_Props):
    """A mapped active fault (trace); its strike orients the intensity ellipses."""

    name: str = Field(min_length=1, max_length=200)
    code: str | None = Field(default=None, max_length=64)
    strike_deg: float | None = Field(
        default=None, ge=0, le=360, description="Strike (clockwise from north); else the trace's."
    )
    dip_deg: float | None = Field(default=None, ge=0, le=90)
    kind: Literal["strike_slip", "normal", "reverse", "thrust", "oblique", "unknown"] = "unknown"
    active_age: str | None = Field(default=None, max_length=64, description="e.g. Holocene")


class Poi(_Props):
    """A point of interest: publicity board, education base, warehouse."""

    name: str = Field(min_length=1, max_length=200)
    kind: Literal["board", "education", "warehouse", "other"] = "other"


class Route(_Props):
    """An evacuation route line."""

    name: str = Field(min_length=1, max_length=200)
    community_code: str | None = Field(default=None, max_length=64)


LAYERS: dict[str, type[_Props]] = {
    "communities": Community,
    "shelters": Shelter,
    "teams": Team,
    "buildings": Building,
    "pois": Poi,
    "routes": Route,
    "faults": Fault,
}

GEOMETRY_TYPES: dict[str, frozenset[str]] = {
    "communities": frozenset({"Polygon", "MultiPolygon"}),
    "shelters": frozenset({"Point", "Polygon", "MultiPolygon"}),
    "teams": frozenset({"Point"}),
    "buildings": frozenset({"Point", "Polygon", "MultiPolygon"}),
    "pois": frozenset({"Point"}),
    "routes": frozenset({"LineString", "MultiLineString"}),
    "faults": frozenset({"LineString", "MultiLineString"}),
}

_PERSONS = re.compile(r"(屋内|屋外|indoor|outdoor)\s*([\d,]+)\s*人?", re.IGNORECASE)


def parse_capacity_text(text: str) -> tuple[int | None, int | None]:
    """Parse free text like "屋内1,371人／屋外5,470人" into (indoor, outdoor) persons."""
    indoor: int | None = None
    outdoor: int | None = None
    for label, number in _PERSONS.findall(text or ""):
        value = int(number.replace(",", ""))
        if label.lower() in ("屋内", "indoor"):
            indoor = value
        else:
            outdoor = value
    return indoor, outdoor

"""Impact model configuration: defaults and citations from data/impact.json, all overridable."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from gis.quake.intensity import DATA, FloatArray

DEFAULT_RELATIONS = ["gb18306_moderate", "gb18306_east", "wang2000_east", "aww2012"]
RATINGS = ("safe", "moderate", "unsafe", "unknown")


@cache
def defaults() -> dict[str, Any]:
    """The shipped impact data (matrix, PAGER, Sphere needs) with their citations."""
    data: dict[str, Any] = json.loads((DATA / "impact.json").read_text(encoding="utf-8"))
    return data


class Vulnerability(BaseModel):
    """Damage-grade shares (percent) per structure type at intensities VI..X."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    structures: dict[str, list[list[float]]]
    aliases: dict[str, str] = Field(default_factory=dict)
    default_structure: str
    rating_shift: dict[str, float]
    citation: str = ""

    @model_validator(mode="after")
    def _shape(self) -> Vulnerability:
        for name, rows in self.structures.items():
            if len(rows) != 5 or any(len(r) != 5 for r in rows):
                raise ValueError(f"structures.{name}: needs 5 rows (VI..X) of 5 damage grades")
            for i, r in enumerate(rows):
                if any(v < 0 for v in r) or abs(sum(r) - 100.0) > 0.5:
                    raise ValueError(f"structures.{name}[{i}]: shares must be >= 0 and sum to 100")
        if self.default_structure not in self.structures:
            raise ValueError(f"default_structure {self.default_structure!r} is not a structure")
        return self

    def names(self) -> list[str]:
        """Structure names in matrix order."""
        return list(self.structures)

    def matrix(self) -> FloatArray:
        """(structures, 5 intensities, 5 grades) as fractions."""
        return np.array([self.structures[n] for n in self.names()], dtype=float) / 100.0

    def index(self, structure: str | None) -> int:
        """Matrix row of a building's structure (aliases, else the default)."""
        names = self.names()
        s = (structure or "").strip()
        s = self.aliases.get(s, self.aliases.get(s.lower(), s.lower()))
        return names.index(s) if s in names else names.index(self.default_structure)


def default_vulnerability() -> Vulnerability:
    """The shipped default matrix."""
    v = defaults()["vulnerability"]
    return Vulnerability(
        structures=v["structures"],
        aliases=v["aliases"],
        default_structure=v["default_structure"],
        rating_shift=v["rating_shift"],
        citation=v["citation"],
    )


def load_vulnerability(path: Path) -> Vulnerability:
    """A matrix from a JSON file shaped like data/impact.json's "vulnerability"."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    return Vulnerability.model_validate(doc.get("vulnerability", doc))


class Needs(BaseModel):
    """Per-person daily needs (Sphere Handbook minimums) and days to plan for."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    water_l_per_person_day: float = Field(15.0, gt=0, description="Sphere: 15 L/person/day.")
    food_kcal_per_person_day: float = Field(2100.0, gt=0, description="Sphere: 2,100 kcal.")
    covered_space_m2_per_person: float = Field(3.5, gt=0, description="Sphere: 3.5 m2.")
    days: int = Field(3, ge=1, le=90, description="Days of supplies to plan for.")


class ImpactConfig(BaseModel):
    """Everything the assessment uses besides the layers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    relations: list[str] = Field(
        default_factory=lambda: list(DEFAULT_RELATIONS),
        min_length=1,
        description="Attenuation relations in the ensemble (ids in gis/quake/data).",
    )
    displaced_weights: dict[str, float] = Field(
        default_factory=lambda: {"moderate": 0.0, "severe": 1.0, "destroyed": 1.0},
        description="Share of residents displaced per damage grade.",
    )
    needs: Needs = Field(default_factory=Needs)
    buildings_per_team: float = Field(5.0, gt=0, description="Damaged buildings per team.")
    casualties: bool = Field(True, description="Estimate fatalities (USGS PAGER, China).")
    autowall_communities: int = Field(20, ge=1, le=500, description="Hardest-hit communities.")
    autowall_cameras: int = Field(32, ge=1, le=500, description="Cameras suggested.")
    fault_search_km: float = Field(50.0, gt=0, le=500, description="Nearest fault within km.")

    def weight_vector(self) -> FloatArray:
        """Displaced weight per damage grade (intact, slight, moderate, severe, destroyed)."""
        w = self.displaced_weights
        return np.array(
            [
                0.0,
                w.get("slight", 0.0),
                w.get("moderate", 0.0),
                w.get("severe", 1.0),
                w.get("destroyed", 1.0),
            ]
        )

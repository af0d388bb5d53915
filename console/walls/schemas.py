"""Wall and tour models."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from console.bounds import INT64_MAX

LAYOUTS: dict[str, int] = {
    "1": 1,
    "4": 4,
    "9": 9,
    "16": 16,
    "25": 25,
    "36": 36,
    "64": 64,
    "1+5": 6,
    "1+7": 8,
    "2+8": 10,
}
Layout = Literal["1", "4", "9", "16", "25", "36", "64", "1+5", "1+7", "2+8"]


class WallIn(BaseModel):
    """A wall to save."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, description="Wall name.")
    layout: Layout = Field(description="Grid (1..64) or uneven (1+5, 1+7, 2+8).")
    tiles: list[str | None] = Field(max_length=64, description="Camera id per tile, or null.")
    shared: bool = Field(False, description="Shared with everyone in the owner's unit.")

    @model_validator(mode="after")
    def _tile_count(self) -> WallIn:
        want = LAYOUTS[self.layout]
        if len(self.tiles) != want:
            raise ValueError(f"layout {self.layout} has {want} tiles, got {len(self.tiles)}")
        return self


class WallOut(WallIn):
    """A saved wall."""

    id: int
    owner_id: int
    unit_id: int
    version: int
    updated_at: datetime


class TourStep(BaseModel):
    """One step of a tour."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["camera", "wall"] = Field(description="Show a camera or a saved wall.")
    ref: str = Field(min_length=1, max_length=64, description="Camera id or wall id.")
    dwell_s: int = Field(ge=3, le=3600, description="Seconds to show it.")


class TourIn(BaseModel):
    """A tour to save."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, description="Tour name.")
    steps: list[TourStep] = Field(min_length=1, max_length=200, description="The sequence.")
    shared: bool = Field(False, description="Shared with the owner's unit.")


class TourOut(TourIn):
    """A saved tour."""

    id: int
    owner_id: int
    unit_id: int
    version: int
    updated_at: datetime


class PushIn(BaseModel):
    """Send a camera or wall to another operator's screen."""

    model_config = ConfigDict(extra="forbid")

    user_id: int = Field(ge=1, le=INT64_MAX, description="Whose screen.")
    camera_id: str | None = Field(None, max_length=64, description="A camera to open.")
    wall_id: int | None = Field(None, ge=1, le=INT64_MAX, description="A saved wall to open.")

    @model_validator(mode="after")
    def _one_target(self) -> PushIn:
        if (self.camera_id is None) == (self.wall_id is None):
            raise ValueError("give exactly one of camera_id or wall_id")
        return self

"""Camera request/response models (credentials go in, never out)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from console.bounds import INT64_MAX, Id

CAMERA_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
WatchMode = Literal["continuous", "patrol"]


class FieldOfView(BaseModel):
    """Where a camera looks: bearing clockwise from north, opening angle, range."""

    model_config = ConfigDict(extra="forbid")

    bearing: float = Field(ge=0, lt=360, description="Degrees clockwise from north.")
    angle: float = Field(gt=0, le=360, description="Horizontal opening angle in degrees.")
    range_m: float = Field(gt=0, le=5000, description="How far it sees usefully, in metres.")


class CameraFields(BaseModel):
    """Fields shared by create and import."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, description="Display name.")
    owner_unit_id: int = Field(ge=1, le=INT64_MAX, description="Unit that owns the camera.")
    shared_unit_ids: list[Id] = Field(
        default_factory=list, max_length=200, description="Other units that may view it."
    )
    lon: float | None = Field(None, ge=-180, le=180, description="Longitude (WGS84).")
    lat: float | None = Field(None, ge=-90, le=90, description="Latitude (WGS84).")
    fov: FieldOfView | None = Field(None, description="Field of view.")
    main_url: str = Field(
        min_length=1,
        max_length=1000,
        description="Main-stream URL. Credentials in it (user:pass@, ?user=, ?pwd=...) are "
        "moved to username/password; the stored URL keeps *** in their place.",
    )
    sub_url: str | None = Field(None, max_length=1000, description="Sub-stream URL.")
    username: SecretStr | None = Field(
        None, max_length=128, description="Camera user name (write-only, stored encrypted)."
    )
    password: SecretStr | None = Field(
        None, max_length=128, description="Camera password (write-only, stored encrypted)."
    )
    tags: list[str] = Field(default_factory=list, max_length=50, description="Free tags.")
    key_camera: bool = Field(False, description="A key camera (重点监控).")
    watch_mode: WatchMode = Field("patrol", description="continuous or patrol health watch.")
    enabled: bool = Field(True, description="Disabled cameras are not watched.")

    @model_validator(mode="after")
    def _lon_lat_together(self) -> CameraFields:
        if (self.lon is None) != (self.lat is None):
            raise ValueError("lon and lat must be given together")
        return self


class CameraCreate(CameraFields):
    """A new camera."""

    id: str = Field(pattern=CAMERA_ID, description="Camera id (e.g. a GB/T 28181 code).")


class CameraPatch(BaseModel):
    """Changes to a camera; absent fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=200, description="Display name.")
    owner_unit_id: int | None = Field(None, ge=1, le=INT64_MAX, description="New owning unit.")
    shared_unit_ids: list[Id] | None = Field(None, max_length=200, description="Sharing units.")
    lon: float | None = Field(None, ge=-180, le=180, description="Longitude (WGS84).")
    lat: float | None = Field(None, ge=-90, le=90, description="Latitude (WGS84).")
    fov: FieldOfView | None = Field(None, description="Field of view.")
    main_url: str | None = Field(None, min_length=1, max_length=1000, description="Main stream.")
    sub_url: str | None = Field(None, max_length=1000, description="Sub stream ('' to clear).")
    username: SecretStr | None = Field(
        None, max_length=128, description="New user name ('' to clear; absent: unchanged)."
    )
    password: SecretStr | None = Field(
        None, max_length=128, description="New password ('' to clear; absent: unchanged)."
    )
    tags: list[str] | None = Field(None, max_length=50, description="Free tags.")
    key_camera: bool | None = Field(None, description="Key camera flag.")
    watch_mode: WatchMode | None = Field(None, description="continuous or patrol.")
    enabled: bool | None = Field(None, description="Watched or not.")


class CameraOut(BaseModel):
    """A camera as the API shows it."""

    id: str
    name: str
    owner_unit_id: int
    shared_unit_ids: list[int]
    lon: float | None
    lat: float | None
    fov: FieldOfView | None
    main_url: str = Field(description="Without credentials (*** where they go).")
    sub_url: str | None = Field(description="Without credentials.")
    has_credentials: bool = Field(description="Whether a user name or password is stored.")
    tags: list[str]
    key_camera: bool
    watch_mode: str
    enabled: bool
    version: int
    created_at: datetime
    updated_at: datetime


class ImportReport(BaseModel):
    """What an import did (or would do)."""

    created: int
    updated: int
    skipped: int
    errors: list[dict[str, object]]
    dry_run: bool

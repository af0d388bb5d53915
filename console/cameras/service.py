"""Camera registry operations shared by the API, import and the CLI."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import Select, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from console.auth.policy import Resource
from console.cameras.models import Camera, CameraShare
from console.cameras.schemas import CameraFields, CameraOut, CameraPatch, FieldOfView
from console.cameras.secrets import UrlVault
from console.store.models import Unit
from streams.credentials import (
    CredentialError,
    SplitUrl,
    assemble,
    display,
    retype,
    secret_forms,
    split_credentials,
)
from streams.urls import SourceUrl, SourceUrlError, mask_url, parse_source_url


class CameraError(ValueError):
    """A problem with a camera's fields: `loc` names the field."""

    def __init__(self, loc: str, msg: str, kind: str = "value_error") -> None:
        super().__init__(f"{loc}: {msg}")
        self.loc = loc
        self.msg = msg
        self.kind = kind


def resource(camera: Camera) -> Resource:
    """The camera as an authorization resource (owner + sharing units)."""
    return Resource("camera", camera.id, camera.owner_unit_id, frozenset(camera.shared_unit_ids))


def units_of(camera: Camera) -> frozenset[int]:
    """Every unit that sees the camera: its owner and the units it is shared with."""
    return frozenset({camera.owner_unit_id, *camera.shared_unit_ids})


def visible(scope: frozenset[int]) -> Select[Camera]:
    """Cameras owned by or shared with any unit in `scope`."""
    shared = exists().where(CameraShare.camera_id == Camera.id, CameraShare.unit_id.in_(scope))
    return select(Camera).where(or_(Camera.owner_unit_id.in_(scope), shared))


def to_out(camera: Camera) -> CameraOut:
    """API form; URLs masked."""
    fov = None
    if camera.bearing is not None and camera.fov_angle is not None and camera.fov_range_m:
        fov = FieldOfView(
            bearing=camera.bearing, angle=camera.fov_angle, range_m=camera.fov_range_m
        )
    return CameraOut(
        id=camera.id,
        name=camera.name,
        owner_unit_id=camera.owner_unit_id,
        shared_unit_ids=camera.shared_unit_ids,
        lon=camera.lon,
        lat=camera.lat,
        fov=fov,
        main_url=camera.main_url_masked,
        sub_url=camera.sub_url_masked,
        has_credentials=bool(camera.username_enc or camera.password_enc),
        tags=camera.tags,
        key_camera=camera.key_camera,
        watch_mode=camera.watch_mode,
        enabled=camera.enabled,
        version=camera.version,
        created_at=camera.created_at,
        updated_at=camera.updated_at,
    )


def check_url(loc: str, url: str, media_root: Path) -> SplitUrl:
    """Split a stream URL from its credentials and validate it (messages never repeat it)."""
    try:
        split = split_credentials(url.strip())
        normal = parse_source_url(split.template, media_root=media_root).url
    except CredentialError as exc:
        raise CameraError(loc, str(exc), "credentials") from exc
    except SourceUrlError as exc:
        raise CameraError(loc, str(exc), exc.code) from exc
    return SplitUrl(normal, split.username, split.password)


def _secret(fields: dict[str, Any], key: str) -> str | None:
    value = fields.get(key)
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    return value if isinstance(value, str) else None


def _credentials(
    camera: Camera, fields: dict[str, Any], urls: dict[str, SplitUrl], vault: UrlVault
) -> tuple[str | None, str | None] | None:
    """The credentials after this change, or None when they stay as they are."""
    found: dict[str, str | None] = {"username": None, "password": None}
    for key in ("main_url", "sub_url"):
        if key not in urls:
            continue
        for name, value in (("username", urls[key].username), ("password", urls[key].password)):
            if value is not None and found[name] is not None and found[name] != value:
                raise CameraError(key, f"the stream URLs give two different {name}s")
            found[name] = found[name] if value is None else value
    changed = False
    result: dict[str, str | None] = {}
    for name in ("username", "password"):
        given = _secret(fields, name) if name in fields else None
        if given is not None and found[name] is not None and given != found[name]:
            raise CameraError(name, f"the URL gives another {name} than the {name} field")
        value = given if given is not None else found[name]
        if value is None:
            sealed = getattr(camera, f"{name}_enc")
            result[name] = vault.open(sealed) if sealed else None
        else:
            changed = True
            result[name] = value or None  # "" clears
    return (result["username"], result["password"]) if changed else None


async def check_units(db: AsyncSession, loc: str, unit_ids: Sequence[int]) -> None:
    """Every unit id must exist."""
    if not unit_ids:
        return
    found = set((await db.scalars(select(Unit.id).where(Unit.id.in_(set(unit_ids))))).all())
    for i, uid in enumerate(unit_ids):
        if uid not in found:
            raise CameraError(
                loc if len(unit_ids) == 1 else f"{loc}[{i}]",
                f"unit {uid} does not exist",
                "unknown_reference",
            )


def apply(camera: Camera, fields: dict[str, Any], vault: UrlVault, media_root: Path) -> None:
    """Copy validated fields onto a row, sealing URLs and credentials; validates first."""
    urls = {
        key: check_url(key, fields[key], media_root)
        for key in ("main_url", "sub_url")
        if fields.get(key)
    }
    creds = _credentials(camera, fields, urls, vault)
    for key, value in fields.items():
        if key == "fov":
            fov = value if value is None or isinstance(value, FieldOfView) else FieldOfView(**value)
            camera.bearing = fov.bearing if fov else None
            camera.fov_angle = fov.angle if fov else None
            camera.fov_range_m = fov.range_m if fov else None
        elif key == "main_url":
            camera.main_url_enc = vault.seal(urls[key].template)
            camera.main_url_masked = mask_url(display(urls[key].template))
        elif key == "sub_url":
            if key in urls:
                camera.sub_url_enc = vault.seal(urls[key].template)
                camera.sub_url_masked = mask_url(display(urls[key].template))
            else:
                camera.sub_url_enc = camera.sub_url_masked = None
        elif key in ("username", "password"):
            continue
        elif key == "shared_unit_ids":
            wanted = sorted(set(value) - {fields.get("owner_unit_id", camera.owner_unit_id)})
            camera.shares = [CameraShare(unit_id=u) for u in wanted]
        elif key == "tags":
            camera.tags = sorted({t.strip() for t in value if t.strip()})
        else:
            setattr(camera, key, value)
    if creds is not None:
        user, password = creds
        camera.username_enc = vault.seal(user) if user else None
        camera.password_enc = vault.seal(password) if password else None
    typed = [n for n in ("username", "password") if _secret(fields, n) is not None]
    if typed:
        # A value typed into a field is plain text: its markers now encode what they insert.
        for enc, masked in (("main_url_enc", "main_url_masked"), ("sub_url_enc", "sub_url_masked")):
            sealed = getattr(camera, enc)
            if sealed:
                template = vault.open(sealed)
                for name in typed:
                    template = retype(template, name)
                setattr(camera, enc, vault.seal(template))
                setattr(camera, masked, mask_url(display(template)))
    camera.credentials_split = True


def source(
    camera: Camera, vault: UrlVault, media_root: Path | None, stream: str = "main"
) -> SourceUrl:
    """The camera's stream with its credentials put back: only to connect, never to show."""
    sealed = camera.sub_url_enc if stream == "sub" and camera.sub_url_enc else camera.main_url_enc
    user = vault.open(camera.username_enc) if camera.username_enc else None
    password = vault.open(camera.password_enc) if camera.password_enc else None
    url = assemble(vault.open(sealed), user, password)
    return parse_source_url(url, media_root=media_root, secrets=secret_forms(user, password))


async def create(
    db: AsyncSession, cam_id: str, data: CameraFields, vault: UrlVault, media_root: Path
) -> Camera:
    """Validate and add a new camera to the session (not committed)."""
    await check_units(db, "owner_unit_id", [data.owner_unit_id])
    await check_units(db, "shared_unit_ids", data.shared_unit_ids)
    camera = Camera(id=cam_id, owner_unit_id=data.owner_unit_id, shares=[])
    apply(camera, data.model_dump(), vault, media_root)
    db.add(camera)
    return camera


async def update(
    db: AsyncSession, camera: Camera, patch: CameraPatch, vault: UrlVault, media_root: Path
) -> dict[str, Any]:
    """Apply a patch; return the changed fields (URLs masked) for the audit row."""
    fields = patch.model_dump(exclude_unset=True)
    if "owner_unit_id" in fields and fields["owner_unit_id"] is not None:
        await check_units(db, "owner_unit_id", [fields["owner_unit_id"]])
    if fields.get("shared_unit_ids"):
        await check_units(db, "shared_unit_ids", fields["shared_unit_ids"])
    lon = fields.get("lon", camera.lon)
    lat = fields.get("lat", camera.lat)
    if (lon is None) != (lat is None):
        raise CameraError("lon" if lon is None else "lat", "lon and lat must be given together")
    fields = {
        k: v for k, v in fields.items() if v is not None or k in {"sub_url", "fov", "lon", "lat"}
    }
    apply(camera, fields, vault, media_root)
    camera.version += 1
    return {k: _audited(camera, k, v) for k, v in fields.items()}


def _audited(camera: Camera, key: str, value: Any) -> Any:
    """A change as the audit log shows it: URLs without credentials, credentials never."""
    if key in ("username", "password"):
        return "cleared" if not _secret({key: value}, key) else "changed"
    if key == "main_url":
        return camera.main_url_masked
    if key == "sub_url":
        return camera.sub_url_masked
    return value

"""Optimistic concurrency over HTTP: ETags carry a version, If-Match names the one edited."""

from __future__ import annotations

from typing import Any

from console.errors import ProblemError

LOC = "header.If-Match"


def etag(version: int) -> str:
    """The ETag for a version."""
    return f'"{version}"'


def if_match_version(value: str | None, required: bool = True) -> int | None:
    """The version an If-Match header names ("3", "\\"3\\"" or W/"3"); 428 when required."""
    if value is None:
        if required:
            raise ProblemError(
                428,
                "send If-Match with the version you edited (its ETag)",
                code="precondition-required",
                errors=[{"loc": LOC, "msg": "missing", "type": "missing"}],
            )
        return None
    text = value.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise ProblemError(
            400,
            "If-Match must be a version number (the ETag you were given)",
            errors=[{"loc": LOC, "msg": "not a version", "type": "int_parsing"}],
        )
    return int(text)


def check_fresh(wanted: int | None, version: int, what: str, current: Any = None) -> None:
    """412 with the current version (and object, when given) if `wanted` is stale."""
    if wanted is None or wanted == version:
        return
    extra: dict[str, Any] = {"current_version": version}
    if current is not None:
        extra["current"] = current
    raise ProblemError(
        412,
        f"{what} changed since you loaded it (you edited version {wanted}); "
        f"current version is {version}",
        code="stale",
        errors=[{"loc": LOC, "msg": f"current version {version}", "type": "stale"}],
        headers={"ETag": etag(version)},
        extra=extra,
    )


def check_if_match(value: str | None, version: int, what: str, current: Any = None) -> None:
    """Require If-Match and refuse a stale one (428, 400 or 412)."""
    check_fresh(if_match_version(value), version, what, current)

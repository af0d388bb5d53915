"""The OpenAPI document tells the truth: problem+json errors, every status a route can answer
with, the media types it really sends and the raw bodies the import routes read.

FastAPI documents only the success response and a 422 in its own error format. Here each
operation is completed from what the app does: the auth dependency (401, 403), path parameters
(404), request bodies (413, 422), the SQLite busy handler (503), and a table of the statuses a
route raises by hand. The schemathesis test fails when a route answers with a status or media
type this document does not list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from console.deps import current_principal

PROBLEM = "application/problem+json"
_REASONS = {
    400: "Bad request",
    401: "Not signed in, or the token or session is not valid",
    403: "Forbidden: the role or the unit does not allow it (or a CSRF token is missing)",
    404: "Not found (or not visible to the caller)",
    409: "Conflict with the current state",
    412: "Precondition failed: the object changed since it was read",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Validation failed; `errors` names each bad field",
    429: "Too many requests; see Retry-After",
    503: "Busy or not running; try again",
}

# Statuses a route raises beyond the ones derived from its shape (key: METHOD path).
EXTRA: dict[str, tuple[int, ...]] = {
    "POST /api/auth/login": (429,),
    "POST /api/users": (409,),
    "PATCH /api/users/{user_id}": (409,),
    "POST /api/units": (409,),
    "PATCH /api/units/{unit_id}": (409,),
    "POST /api/cameras": (409,),
    "PATCH /api/cameras/{camera_id}": (412,),
    "POST /api/live/{camera_id}/offer": (400, 409, 429),
    "POST /api/live/offer-group": (400, 409, 429),
    "GET /api/live/{camera_id}/mjpeg": (409, 429),
    "PUT /api/walls/{wall_id}": (409, 412),
    "POST /api/walls": (409,),
    "POST /api/tours": (409,),
    "PUT /api/tours/{tour_id}": (409,),
    "POST /api/walls-push": (409,),
    "PUT /api/gis/layers/{layer}/features/{fid}": (409, 412),
    "DELETE /api/gis/layers/{layer}/features/{fid}": (409, 412),
    "POST /api/gis/layers/{layer}/features": (409,),
    "POST /api/gis/layers/{layer}/import": (415,),
    "POST /api/gis/shelters/{fid}/occupancy": (409,),
    "POST /api/drills": (409,),
    "PUT /api/drills/{drill_id}": (409, 412),
    "POST /api/drills/{drill_id}/transition": (409, 412),
    "POST /api/drills/{drill_id}/start": (409,),
    "POST /api/drills/{drill_id}/timeline": (409,),
    "PUT /api/drills/{drill_id}/report": (409, 412),
    "POST /api/drills/{drill_id}/report/actions/{action_id}/close": (409,),
    "POST /api/health/alerts/{alert_id}/ack": (409,),
    "POST /api/health/alerts/{alert_id}/close": (409,),
}

# Routes that read their body raw (files), and the media types they accept.
_TEXT = {"type": "string"}
_BINARY = {"type": "string", "format": "binary"}
RAW_BODIES: dict[str, dict[str, dict[str, Any]]] = {
    "POST /api/cameras/import": {
        "text/csv": _TEXT,
        "application/geo+json": _TEXT,
        "application/json": {"type": "object"},
    },
    "POST /api/gis/layers/{layer}/import": {
        "application/geo+json": _TEXT,
        "application/json": {"type": "object"},
        "text/csv": _TEXT,
        "application/octet-stream": _BINARY,
        "application/zip": _BINARY,
    },
    "POST /api/gis/kits/import": {"text/csv": _TEXT},
    "POST /api/gis/shelters/occupancy/import": {
        "text/csv": _TEXT,
        "application/zip": _BINARY,
        "multipart/form-data": {
            "type": "object",
            "properties": {"file": _BINARY},
            "required": ["file"],
        },
    },
}

# Success media types of routes that build their own response.
SUCCESS_TYPES: dict[str, tuple[str, ...]] = {
    "GET /api/cameras/export.csv": ("text/csv",),
    "GET /api/cameras/export.geojson": ("application/geo+json",),
    "GET /api/cameras/{camera_id}/snapshot.jpg": ("image/jpeg",),
    "GET /api/live/{camera_id}/mjpeg": ("multipart/x-mixed-replace",),
    "GET /api/audit.csv": ("text/csv",),
    "GET /api/gis/layers/{layer}.geojson": ("application/geo+json",),
    "GET /api/gis/layers/{layer}.csv": ("text/csv",),
    "GET /api/gis/cameras.geojson": ("application/geo+json",),
    "GET /api/readiness.csv": ("text/csv",),
    "GET /api/drills/feeds/{token}.ics": ("text/calendar",),
    "GET /api/drills/{drill_id}/report.html": ("text/html",),
    "GET /api/drills/{drill_id}/report.pdf": ("application/pdf",),
    "GET /metrics": ("text/plain",),
}

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An RFC 9457 problem document.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "URI naming the kind of problem."},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string", "description": "What is wrong, for a person."},
        "errors": {
            "type": "array",
            "description": "One entry per bad field or row.",
            "items": {
                "type": "object",
                "properties": {
                    "loc": {"type": "string", "description": "Field path, e.g. body.roles[0]."},
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
    "additionalProperties": True,
}


def _calls(dep: Dependant) -> Iterable[Callable[..., Any]]:
    if dep.call is not None:
        yield dep.call
    for sub in dep.dependencies:
        yield from _calls(sub)


def _statuses(route: APIRoute, method: str) -> set[int]:
    found: set[int] = set()
    calls = set(_calls(route.dependant))
    if current_principal in calls:
        found |= {401, 403}
    if route.dependant.path_params:
        found.add(404)
    if route.dependant.path_params or route.dependant.query_params or route.body_field:
        found.add(422)
    if method in ("POST", "PUT", "PATCH"):
        found |= {413, 422}
    if route.path.startswith("/api/"):
        found.add(503)  # the database is busy (SQLite write lock) or the module is off
    key = f"{method} {route.path}"
    found |= set(EXTRA.get(key, ()))
    if key in RAW_BODIES:
        found |= {415, 422}
    return found


def _problem_response(status: int) -> dict[str, Any]:
    return {
        "description": _REASONS.get(status, "Error"),
        "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def build_openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, completed with every status and media type the routes use."""
    doc = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    paths = doc.get("paths", {})
    for route in app.routes:
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        for method in route.methods:
            op = paths.get(route.path, {}).get(method.lower())
            if op is None:
                continue
            key = f"{method} {route.path}"
            responses = op.setdefault("responses", {})
            for status in sorted(_statuses(route, method)):
                responses[str(status)] = _problem_response(status)
            if key in SUCCESS_TYPES:
                for status, resp in responses.items():
                    if status.startswith("2") and status != "204":
                        resp["content"] = {t: {"schema": {}} for t in SUCCESS_TYPES[key]}
            if key in RAW_BODIES:
                op["requestBody"] = {
                    "required": True,
                    "description": "The file itself as the request body.",
                    "content": {t: {"schema": s} for t, s in RAW_BODIES[key].items()},
                }
    return doc


def install_openapi(app: FastAPI) -> None:
    """Serve the completed document at the app's openapi_url (built once, on first use)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

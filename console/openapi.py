"""The OpenAPI document tells the truth: problem+json errors, every status a route can answer
with, the media types it really sends and the raw bodies the import routes read.

FastAPI documents only the success response and a 422 in its own error format. Here each
operation is completed from what the app does: the auth dependency (401, 403), path parameters
(404), request bodies (400, 413, 422), the SQLite busy handler (503), and the statuses its
handler and the console functions it calls raise (read from their source, so a new
`raise ProblemError(409, ...)` is documented without anyone remembering to). The schemathesis
test fails when a route answers with a status or media type this document does not list.
"""

from __future__ import annotations

import ast
import functools
import inspect
import textwrap
from collections.abc import Callable, Iterable
from typing import Any

from fastapi import FastAPI, routing
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

# Statuses a route answers with that the source does not spell as a literal (key: METHOD
# path). Offer refusals carry their status in the exception (see streams/webrtc/offers.py).
EXTRA: dict[str, tuple[int, ...]] = {
    "POST /api/live/{camera_id}/offer": (413, 422, 429, 503),
    "POST /api/live/offer-group": (413, 422, 429, 503),
}
# Exceptions whose status is given as the n-th positional argument or `status=`.
_RAISERS = {"ProblemError": 0, "problem_response": 0, "OfferError": 2}

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
    "GET /api/incidents/{inc_id}/report.pdf": ("application/pdf",),
    "GET /api/health/cameras/{camera_id}/reference.jpg": ("image/jpeg",),
    "GET /api/live/{camera_id}/poster.jpg": ("image/jpeg",),
    "GET /api/ops/communities.geojson": ("application/geo+json",),
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


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _resolve(name: str, scope: dict[str, Any]) -> Any:
    head, *rest = name.split(".")
    obj = scope.get(head)
    for part in rest:
        obj = getattr(obj, part, None)
    return obj


def _int(node: ast.expr | None) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int and 100 <= node.value < 600:
        return node.value
    return None


def _status_arg(call: ast.Call, position: int, default: int | None) -> int | None:
    for kw in call.keywords:
        if kw.arg in ("status", "status_code"):
            return _int(kw.value)
    if len(call.args) > position:
        return _int(call.args[position])
    return default


def _helper_status(fn: Any, call: ast.Call) -> int | None:
    """A call to a helper such as bad(loc, msg, type, status=422) that builds the error."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return None
    for i, param in enumerate(params):
        if param.name == "status":
            default = param.default if type(param.default) is int else None
            return _status_arg(call, i, default)
    return None


@functools.cache
def raised_statuses(fn: Callable[..., Any]) -> frozenset[int]:
    """HTTP statuses that `fn` and the console functions it calls raise as literals."""
    return frozenset(_raised(fn, set()))


def _raised(fn: Any, seen: set[Any]) -> set[int]:
    fn = inspect.unwrap(fn)
    module = getattr(fn, "__module__", "") or ""
    if fn in seen or not module.startswith("console") or not inspect.isfunction(fn):
        return set()
    seen.add(fn)
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return set()
    found: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _dotted(node.func)
        if name is None:
            continue
        short = name.rsplit(".", 1)[-1]
        if short in _RAISERS:
            status = _status_arg(node, _RAISERS[short], 422 if short == "OfferError" else None)
            if status is not None:
                found.add(status)
            continue
        target = _resolve(name, fn.__globals__)
        if target is None:
            continue
        if inspect.isfunction(target):
            status = _helper_status(target, node)
            if status is not None:
                found.add(status)
            found |= _raised(target, seen)
    return found


def _api_routes(app: FastAPI) -> Iterable[Any]:
    """Every API route with its effective path (included routers flattened)."""
    contexts = getattr(routing, "iter_route_contexts", None)
    if contexts is None:  # FastAPI before included-router contexts
        yield from (r for r in app.routes if isinstance(r, APIRoute))
        return
    for ctx in contexts(app.routes):
        if isinstance(ctx.original_route, APIRoute):
            yield ctx


def _statuses(route: Any, method: str) -> set[int]:
    found: set[int] = set()
    calls = set(_calls(route.dependant))
    if current_principal in calls:
        found |= {401, 403}
    if route.dependant.path_params:
        found.add(404)
    if route.dependant.path_params or route.dependant.query_params or route.body_field:
        found.add(422)
    if method in ("POST", "PUT", "PATCH"):
        found.add(413)  # the body limit holds for every request
    if route.path_format.startswith("/api/"):
        found.add(503)  # the database is busy (SQLite write lock) or the module is off
    key = f"{method} {route.path_format}"
    found |= set(EXTRA.get(key, ()))
    if route.body_field is not None or key in RAW_BODIES:
        found.add(400)  # a body that does not parse (JSON, form)
    if key in RAW_BODIES:
        found.add(422)
    for call in calls:
        found |= raised_statuses(call)
    found |= raised_statuses(route.endpoint)
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
    for route in _api_routes(app):
        if not route.include_in_schema:
            continue
        for method in route.methods or ():
            op = paths.get(route.path_format, {}).get(method.lower())
            if op is None:
                continue
            key = f"{method} {route.path_format}"
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

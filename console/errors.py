"""Problem documents (RFC 9457) for every error the API returns."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from console.events.bus import EventBusUnavailable

log = logging.getLogger(__name__)

PROBLEM_TYPE = "https://eoc-console.invalid/problems/"
_TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    412: "Precondition failed",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Validation failed",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


class StartupError(Exception):
    """The server cannot start; the message says why and what to do."""


class ProblemError(Exception):
    """An error the API turns into a problem document."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        code: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.code = code or _TITLES.get(status, "error").lower().replace(" ", "-")
        self.errors = errors
        self.headers = headers
        self.extra = extra or {}


def problem_response(
    status: int,
    detail: str,
    *,
    code: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    """Build an application/problem+json response."""
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + (code or _TITLES.get(status, "error").lower().replace(" ", "-")),
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    body.update(extra or {})
    return JSONResponse(
        body, status_code=status, headers=headers, media_type="application/problem+json"
    )


def format_loc(loc: tuple[Any, ...] | list[Any]) -> str:
    """Render a pydantic location as a field path such as body.roles[0]."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def validation_errors(errors: Any) -> list[dict[str, Any]]:
    """Normalise pydantic errors into {loc, msg, type} with string paths."""
    return [
        {"loc": format_loc(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in errors
    ]


def install_handlers(app: FastAPI) -> None:
    """Register the exception handlers that emit problem documents."""

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(
            exc.status,
            exc.detail,
            code=exc.code,
            errors=exc.errors,
            headers=exc.headers,
            extra=exc.extra,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = validation_errors(exc.errors())
        first = errors[0] if errors else {"loc": "", "msg": ""}
        detail = f"{first['loc']}: {first['msg']}"
        if len(errors) > 1:
            detail += f" (and {len(errors) - 1} more)"
        return problem_response(422, detail, code="validation", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else _TITLES.get(exc.status_code, "")
        return problem_response(
            exc.status_code, detail, headers=dict(exc.headers) if exc.headers else None
        )

    @app.exception_handler(EventBusUnavailable)
    async def _bus_down(request: Request, exc: EventBusUnavailable) -> JSONResponse:
        # The change itself is committed; only its announcement to other consoles failed.
        return problem_response(
            503,
            f"the change was saved, but the event bus did not take its event ({exc}); other "
            "consoles show it after a reload",
            code="event-bus-unavailable",
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(OperationalError)
    async def _db_busy(request: Request, exc: OperationalError) -> JSONResponse:
        if "locked" in str(exc.orig).lower():
            # Another process holds the SQLite write lock: nothing was written; retry shortly.
            return problem_response(
                503,
                "the database is busy; nothing was changed, try again",
                code="db-busy",
                headers={"Retry-After": "2"},
            )
        return await _unexpected(request, exc)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return problem_response(500, "unexpected server error; see the server log")

"""Integer bounds for request fields and parameters: every id and count fits a 64-bit column.

An integer the database cannot hold is refused with a 422 naming the field instead of
reaching SQLite or PostgreSQL (which would fail with a server error).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import Field

INT64_MAX = 2**63 - 1

Id = Annotated[int, Field(ge=1, le=INT64_MAX)]
"""A row id in a request body."""

IdPath = Annotated[int, Path(ge=1, le=INT64_MAX, description="Numeric id.")]
"""A row id in the URL path."""


def id_query(description: str) -> Any:
    """A row id in the query string."""
    return Query(ge=1, le=INT64_MAX, description=description)


def id_field(description: str, default: Any = ...) -> Any:
    """A row id in a request body, with its description."""
    return Field(default, ge=1, le=INT64_MAX, description=description)

"""Domain errors carrying a field path and a message code the UI can translate."""

from __future__ import annotations

from typing import Any


class DrillError(ValueError):
    """A drill-domain rule was broken; `code` is a translation key, `loc` the field path."""

    def __init__(self, code: str, loc: tuple[str | int, ...] = (), **params: Any) -> None:
        super().__init__(f"{code} at {'.'.join(map(str, loc)) or '<root>'}: {params}")
        self.code = code
        self.loc = loc
        self.params = params

"""Import notes and refusal reasons as codes with parameters (the UI words them per language)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Notice:
    """One thing the import assumed, changed or warns about: a code, its parameters, English."""

    code: str
    msg: str
    params: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """API form: {"code", "params", "msg"}."""
        return {"code": self.code, "params": dict(self.params), "msg": self.msg}

"""Which new passwords are accepted: long enough, not common, not guessable from the account.

The common-password list and the strength estimate come from zxcvbn (Dropbox's estimator,
maintained on PyPI), whose 30,000 most common passwords are drawn from leaked password sets.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

if TYPE_CHECKING:
    from console.settings import SecuritySettings

# zxcvbn's own ceiling: it judges the first 72 characters (longer ones are not weaker).
_JUDGED = 72


@cache
def _common() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a password is refused: a stable code (the UI translates it) and an explanation."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class PasswordPolicy:
    """The rules for a new password."""

    min_length: int = 8
    min_score: int = 3

    @classmethod
    def of(cls, sec: SecuritySettings) -> PasswordPolicy:
        """The policy the security settings ask for."""
        return cls(sec.password_min_length, sec.password_min_score)

    def problem(
        self, password: str, *, username: str = "", context: tuple[str, ...] = ()
    ) -> Refusal | None:
        """Why the password is refused, or None when acceptable (blocking: run in a thread)."""
        if len(password) < self.min_length:
            return Refusal("password_too_short", f"must be at least {self.min_length} characters")
        lowered = password.lower()
        if len(username) >= 4 and username.lower() in lowered:
            return Refusal("password_has_username", "must not contain the user name")
        if lowered in _common() or lowered.strip("0123456789!@#$%^&*.") in _common():
            return Refusal("password_common", "is one of the most common passwords")
        if self.min_score:
            result = zxcvbn(password[:_JUDGED], user_inputs=[username, *context])
            if int(result["score"]) < self.min_score:
                warning = str(result["feedback"].get("warning") or "").rstrip(".")
                hint = f" ({warning[:1].lower()}{warning[1:]})" if warning else ""
                return Refusal(
                    "password_guessable",
                    f"is too easy to guess{hint}; use a longer phrase of unrelated words",
                )
        return None

    async def check(
        self, password: str, *, username: str = "", context: tuple[str, ...] = ()
    ) -> Refusal | None:
        """`problem` off the event loop."""
        return await asyncio.to_thread(self.problem, password, username=username, context=context)

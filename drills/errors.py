"""Domain errors carrying a field path and a message code the UI can translate."""

from __future__ import annotations

from typing import Any

# One English sentence per code (the UI translates `drills.err.<code>` with the same params).
MESSAGES: dict[str, str] = {
    "rrule_multiline": "the recurrence must be one RRULE line (no line breaks)",
    "rrule_not_one_rule": "only the RRULE value is accepted, not a {value}: property; "
    "use the plan's start and exceptions instead",
    "rrule_part": "'{part}' is not an RRULE part (KEY=VALUE, e.g. FREQ=WEEKLY)",
    "rrule_duplicate": "{part} is given twice",
    "rrule_unsupported": "{part} is not supported for drills (at most one occurrence a day)",
    "rrule_freq_missing": "the rule needs FREQ (DAILY, WEEKLY, MONTHLY or YEARLY)",
    "rrule_subdaily": "FREQ={freq} repeats within a day; drills repeat at most daily",
    "rrule_value": "{part}={value} is not a valid value",
    "rrule_count_and_until": "give COUNT or UNTIL, not both (RFC 5545)",
    "rrule_until": "UNTIL={value} is not a date (YYYYMMDD) or UTC time (YYYYMMDDTHHMMSSZ)",
    "rrule_until_before_start": "UNTIL ({until}) is before the drill starts",
    "rrule_no_occurrence": "the rule yields no date within {years} years of the start",
    "not_working_day": "{date} is not a working day and the plan asks for working days only",
    "start_too_early": "the next occurrence starts at {next}; the drill can start from {opens_at}",
    "start_too_late": "the last occurrence ({last}) is over; change the plan's time to run it",
    "entry_before_start": "{at} is before the drill could start ({not_before})",
    "entry_in_future": "{at} is in the future (now {now})",
    "date_out_of_range": "{value} is outside the dates the console plans for (up to {max})",
}


class DrillError(ValueError):
    """A drill-domain rule was broken; `code` is a translation key, `loc` the field path."""

    def __init__(self, code: str, loc: tuple[str | int, ...] = (), **params: Any) -> None:
        self.code = code
        self.loc = loc
        self.params = params
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """An English sentence naming what is wrong (falls back to the code and params)."""
        template = MESSAGES.get(self.code)
        if template is not None:
            try:
                return template.format(**self.params)
            except (KeyError, IndexError):
                pass
        where = ".".join(map(str, self.loc)) or "<root>"
        return f"{self.code} at {where}: {self.params}"

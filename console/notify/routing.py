"""Routing: does a rule send a notification to its channel? (unit visibility first)."""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from console.notify.models import NotifyRule
from console.notify.notification import Notification, severity_rank
from console.units import UnitTree

EXERCISE_MODES = ("include", "exclude", "only")


def visible_to_unit(n: Notification, units: UnitTree, unit_id: int) -> bool:
    """Whether the unit (or a unit below it) may see the notification (None: site-wide)."""
    if n.unit_ids is None:
        return True
    return bool(units.scope(unit_id) & n.unit_ids)


@dataclass(frozen=True, slots=True)
class Route:
    """A rule as routing needs it."""

    rule_id: int
    kinds: tuple[str, ...]
    min_rank: int
    tags: frozenset[str]
    unit_ids: tuple[int, ...]
    exercise: str

    @classmethod
    def of(cls, rule: NotifyRule) -> Route:
        """From the stored rule."""
        return cls(
            rule_id=rule.id,
            kinds=tuple(rule.kinds),
            min_rank=severity_rank(rule.min_severity),
            tags=frozenset(rule.tags),
            unit_ids=tuple(rule.unit_ids),
            exercise=rule.exercise,
        )

    def matches(self, n: Notification, units: UnitTree) -> bool:
        """Kind pattern, least severity, any tag, unit filter and exercise mode all agree."""
        if self.exercise == "exclude" and n.is_exercise:
            return False
        if self.exercise == "only" and not n.is_exercise:
            return False
        if severity_rank(n.severity) < self.min_rank:
            return False
        if self.kinds and not any(fnmatchcase(n.kind, k) for k in self.kinds):
            return False
        if self.tags and not (self.tags & n.tags):
            return False
        if self.unit_ids and n.unit_ids is not None:
            wanted: set[int] = set()
            for uid in self.unit_ids:
                wanted |= units.scope(uid)
            if not wanted & n.unit_ids:
                return False
        return True


def channel_receives(
    n: Notification, channel_unit: int, routes: list[Route], units: UnitTree
) -> bool:
    """A channel receives a notification its unit may see and one of its rules matches."""
    return visible_to_unit(n, units, channel_unit) and any(r.matches(n, units) for r in routes)

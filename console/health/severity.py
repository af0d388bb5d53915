"""How bad an alert is: a fixed table by fault, one level up on a key camera.

| fault                                                 | camera   | key camera |
|-------------------------------------------------------|----------|------------|
| offline, blank (signal loss), frozen                  | major    | critical   |
| occlusion, scene_change (turned or moved)             | major    | critical   |
| too_dark, overexposed, low_contrast, blur             | minor    | major      |
| colour_cast, noise, stripes, shake, low_fps, stalls   | minor    | major      |

Operators cannot see through an offline, blank, frozen, covered or turned camera at all; the
other faults leave a picture that is worse but still usable.
"""

from __future__ import annotations

LEVELS = ("minor", "major", "critical")
BASE: dict[str, str] = {
    "offline": "major",
    "blank": "major",
    "frozen": "major",
    "occlusion": "major",
    "scene_change": "major",
}


def severity(kind: str, key_camera: bool) -> str:
    """Severity of a fault `kind` on a camera (key cameras one level up)."""
    level = LEVELS.index(BASE.get(kind, "minor"))
    if key_camera:
        level = min(level + 1, len(LEVELS) - 1)
    return LEVELS[level]

"""Where the real test data lives inside the repository (never beside it).

Video: Intel IoT Devkit sample videos, CC BY 4.0 (console/cameras/demo_media/ATTRIBUTION.md).
Shelters: Nanao City / Ishikawa Prefecture open data via
raokiey/R06-Noto-Peninsula-EQ-open-shelter-Nanao, CC BY 4.0 (gis/data/noto-nanao-shelters/).
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VIDEO = REPO / "console" / "cameras" / "demo_media"
NANAO = REPO / "gis" / "data" / "noto-nanao-shelters"
QUAKE = REPO / "tests" / "data" / "quake"
GIS_FIXTURES = REPO / "tests" / "data" / "gis"

"""Replay a real shelter-occupancy series (Noto 2024, Nanao City) onto the district's shelters.

Mapping rule: the series' shelters ranked by their stated indoor capacity (想定収容人数; the
peak count where none is stated), largest first, take the district's shelters ranked by
capacity, largest first (those in reach of the hardest-hit communities before the rest);
each count is scaled by district capacity / Nanao capacity so occupancy ratios carry over.
Time is compressed: the span from the Noto earthquake (2024-01-01 16:10 JST) to the last
snapshot is played over `hours` from the exercise start.

Data: Nanao City / Ishikawa Prefecture open data, CC BY 4.0
(gis/data/noto-nanao-shelters/ATTRIBUTION.md).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gis.layers import parse_capacity_text
from gis.occupancy import Snapshot, parse_snapshot

NANAO = Path(__file__).resolve().parent.parent / "data" / "noto-nanao-shelters"
NOTO_ORIGIN = datetime(2024, 1, 1, 7, 10, tzinfo=UTC)
ATTRIBUTION = "Nanao City / Ishikawa Prefecture open data (CC BY 4.0), Noto 2024 shelter counts"


@dataclass(frozen=True)
class Step:
    """One replayed snapshot: when, and the count per district shelter."""

    at: datetime
    index: int
    source_file: str
    counts: dict[str, int]


def load_series(folder: Path = NANAO) -> tuple[list[Snapshot], dict[str, int]]:
    """The history snapshots (time order) and each Nanao shelter's indoor capacity."""
    snaps = sorted(
        (
            parse_snapshot(p.name, p.read_bytes(), "Asia/Tokyo")
            for p in (folder / "history").glob("*.csv")
        ),
        key=lambda s: s.taken_at,
    )
    caps: dict[str, int] = {}
    text = (folder / "reference_data.csv").read_bytes().decode("utf-8-sig")
    for row in csv.DictReader(io.StringIO(text)):
        indoor, outdoor = parse_capacity_text(row.get("想定収容人数") or "")
        cap = indoor or outdoor
        if row.get("ID") and cap:
            caps[row["ID"]] = cap
    return snaps, caps


def plan(
    snaps: list[Snapshot],
    caps: dict[str, int],
    district: list[tuple[str, int]],
    start: datetime,
    hours: float,
) -> list[Step]:
    """The replay: one step per snapshot, counts mapped and scaled, times compressed."""
    peak: dict[str, int] = {}
    for s in snaps:
        for r in s.rows:
            peak[r.key] = max(peak.get(r.key, 0), r.count)
    nanao = sorted(peak, key=lambda k: (-(caps.get(k) or peak[k]), k))
    targets = [d for d in district if d[1] > 0]
    pairs = {k: targets[i] for i, k in enumerate(nanao[: len(targets)])}
    span = (snaps[-1].taken_at - NOTO_ORIGIN).total_seconds() if snaps else 1.0
    scale = hours * 3600.0 / max(span, 1.0)
    out = []
    for i, s in enumerate(snaps):
        counts: dict[str, int] = {fid: 0 for fid, _ in pairs.values()}
        for r in s.rows:
            if r.key in pairs:
                fid, cap = pairs[r.key]
                src_cap = caps.get(r.key) or peak[r.key] or 1
                counts[fid] = round(r.count * cap / src_cap)
        offset = (s.taken_at - NOTO_ORIGIN).total_seconds() * scale
        out.append(Step(start + timedelta(seconds=offset), i, s.file, counts))
    return out

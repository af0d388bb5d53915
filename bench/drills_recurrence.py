"""Recurrence cost: validating and expanding drill rules, ours against dateutil, side by side.

Rows: a rule that never occurs (30 February), an open weekday rule capped at 366, a yearly rule,
and a calendar week over 300 drills (stored bounds vs expanding every drill). The baseline is
what the console did before: dateutil's rrulestr iterated until it stopped by itself.

Usage: python -m bench.drills_recurrence [--open]   (the 30 February baseline is given an UNTIL
ten years out, which dateutil only checks once a date matches, so it still walks to the year
9999; --open drops the UNTIL, as the old check had none).
"""

from __future__ import annotations

import argparse
import itertools
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from drills import expand as ex
from drills import rrule as rr
from drills.errors import DrillError
from drills.models import Drill, DrillPlan
from drills.schedule import in_range

SH = ZoneInfo("Asia/Shanghai")
START = datetime(2027, 3, 1, 9, tzinfo=SH)


def best(fn: Callable[[], object], runs: int = 5) -> float:
    """Fastest of `runs` calls, in milliseconds."""
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return min(times)


def ours_refuse(text: str) -> None:
    try:
        rr.parse(text, START, SH)
    except DrillError:
        return
    raise AssertionError("accepted")


def plan(i: int, rule: str | None) -> DrillPlan:
    s = START + timedelta(days=i % 120, hours=i % 5)
    return DrillPlan.model_validate(
        {
            "title": f"d{i}",
            "type": "drill",
            "community_ids": [f"c{i % 40}"],
            "venue_shelter_id": f"s{i % 30}",
            "organising_unit": "1",
            "start": s,
            "end": s + timedelta(hours=2),
            "rrule": rule,
        }
    )


def main() -> None:
    """Print the table."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--open", action="store_true", help="30 February baseline without UNTIL")
    args = ap.parse_args()
    naive = START.replace(tzinfo=None)
    feb30 = "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30"
    until = "" if args.open else ";UNTIL=20370301T000000"
    rows = [
        (
            "30 February (refused)",
            best(lambda: ours_refuse(feb30)),
            best(lambda: list(rrulestr(feb30 + until, dtstart=naive)), runs=1),
        ),
        (
            "weekdays, open (366 cap)",
            best(
                lambda: ex._cached.__wrapped__(
                    "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", naive, "Asia/Shanghai", (), 366, None
                )
            ),
            best(
                lambda: list(
                    itertools.islice(
                        rrulestr("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", dtstart=naive), 366
                    )
                )
            ),
        ),
        (
            "yearly, 10 years",
            best(
                lambda: ex._cached.__wrapped__(
                    "FREQ=YEARLY;COUNT=10", naive, "Asia/Shanghai", (), 366, None
                )
            ),
            best(lambda: list(rrulestr("FREQ=YEARLY;COUNT=10", dtstart=naive))),
        ),
    ]
    rules = [None, "FREQ=WEEKLY;COUNT=20", "FREQ=MONTHLY;BYDAY=2TU;COUNT=12", "FREQ=DAILY;COUNT=30"]
    drills = []
    for i in range(300):
        p = plan(i, rules[i % len(rules)])
        first, last = ex.bounds(p)
        drills.append(
            Drill(id=f"d{i}", plan=p, status="scheduled", first_start=first, last_end=last)
        )
    unbounded = [d.model_copy(update={"first_start": None, "last_end": None}) for d in drills]
    week = (datetime(2027, 9, 6, tzinfo=SH), datetime(2027, 9, 13, tzinfo=SH))

    def cold(ds: list[Drill]) -> Callable[[], object]:
        def run() -> object:
            ex._cached.cache_clear()
            return in_range(ds, *week)

        return run

    rows.append(("week view, 300 drills (cold cache)", best(cold(drills)), best(cold(unbounded))))
    print(f"{'case':40} {'ours ms':>10} {'baseline ms':>12} {'ratio':>8}")
    for name, ours, base in rows:
        print(f"{name:40} {ours:10.2f} {base:12.2f} {base / ours:8.1f}x")
    print("baseline: dateutil (first three rows); every drill expanded (last row)")


if __name__ == "__main__":
    main()

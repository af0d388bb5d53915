"""`eoc quake ...`: check an earthquake feed file offline before pointing a feed at it."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from gis.quake.model import QuakeError
from gis.quake.parsers import parse

out = Console()
err = Console(stderr=True, soft_wrap=True)


@click.group()
def quake() -> None:
    """Earthquake feeds and reports."""


@quake.command("check")
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["auto", "usgs", "cenc", "quakeml"]),
    default="auto",
    envvar="EOC_QUAKE_FORMAT",
    show_envvar=True,
    help="Feed format; auto recognises USGS GeoJSON, CENC JSON and QuakeML.",
)
def check(file: Path, fmt: str) -> None:
    """Parse a USGS GeoJSON, CENC JSON or QuakeML file; list its earthquakes and every bad
    entry with its field (exit 1 when any entry is bad)."""
    try:
        parsed = parse(file.read_bytes(), fmt)  # type: ignore[arg-type]
    except QuakeError as exc:
        for e in exc.errors:
            err.print(f"{file}: {e['loc']}: {e['msg']}")
        raise SystemExit(2) from exc
    table = Table("source", "id", "origin (UTC)", "lat", "lon", "depth km", "M", "place")
    for r in parsed.reports:
        table.add_row(
            r.source,
            r.source_id,
            r.origin_time.isoformat(),
            f"{r.lat:.3f}",
            f"{r.lon:.3f}",
            f"{r.depth_km:g}",
            f"{r.mag_type} {r.magnitude:g}",
            r.place,
        )
    out.print(f"{file}: {parsed.format}, {len(parsed.reports)} earthquake(s)")
    out.print(table)
    for i in parsed.ignored:
        out.print(f"{file}: {i['loc']}: skipped: {i['msg']}")
    for e in parsed.errors:
        err.print(f"{file}: {e['loc']}: {e['msg']}")
    if parsed.errors:
        raise SystemExit(1)

"""`eoc quake check` on the fixtures: earthquakes listed, bad entries named, exit codes."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from console.cli import main
from tests.paths import QUAKE


def test_check_lists_and_names_bad_entries() -> None:
    r = CliRunner().invoke(main, ["quake", "check", str(QUAKE / "cenc.json")])
    assert r.exit_code == 1
    assert "2 earthquake(s)" in r.output and "cenc" in r.output
    assert "[2].EPI_LAT" in r.output and "[3].M" in r.output


def test_check_good_file_and_html(tmp_path: Path) -> None:
    ok = CliRunner().invoke(main, ["quake", "check", str(QUAKE / "quakeml.xml")])
    assert ok.exit_code == 0 and "quakeml, 1 earthquake(s)" in ok.output
    page = tmp_path / "feed.json"
    page.write_text("<!DOCTYPE html><html>login</html>")
    bad = CliRunner().invoke(main, ["quake", "check", str(page)])
    assert bad.exit_code == 2 and "HTML" in bad.output

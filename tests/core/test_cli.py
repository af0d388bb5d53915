"""The eoc CLI: users, units, site files, migrations, and clear start-up errors."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from console.store.engine import head_revision

EOC = [sys.executable, "-m", "console"]


def eoc(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200", **(env or {})}
    return subprocess.run(
        [*EOC, *args], capture_output=True, text=True, env=full_env, timeout=timeout, check=False
    )


def test_every_option_has_help_and_env() -> None:
    from click import Group

    from console.cli import main

    def walk(group: Group, prefix: str) -> list[str]:
        missing: list[str] = []
        for name, cmd in group.commands.items():
            if isinstance(cmd, Group):
                missing += walk(cmd, f"{prefix} {name}")
                continue
            assert cmd.help, f"{prefix} {name} has no help"
            for p in cmd.params:
                if p.param_type_name == "option" and p.name not in {"help", "no_serve"}:
                    if not getattr(p, "help", None):
                        missing.append(f"{prefix} {name} --{p.name}: no help")
                    if not getattr(p, "envvar", None) and p.name not in {
                        "unit_code",
                        "roles",
                        "display_name",
                        "name_en",
                        "kind",
                        "parent",
                    }:
                        missing.append(f"{prefix} {name} --{p.name}: no EOC_* env var")
        return missing

    assert walk(main, "eoc") == []


def test_units_users_and_passwords(tmp_path: Path) -> None:
    d = str(tmp_path / "data")
    assert (
        eoc("unit", "add", "district", "示范区", "--kind", "district", "--data-dir", d).returncode
        == 0
    )
    assert (
        eoc("unit", "add", "psb", "公安分局", "--parent", "district", "--data-dir", d).returncode
        == 0
    )
    r = eoc(
        "user",
        "add",
        "alice",
        "--unit",
        "psb",
        "--role",
        "operator",
        "--role",
        "viewer",
        "--data-dir",
        d,
        env={"EOC_NEW_PASSWORD": "harbour-lantern-91"},
    )
    assert r.returncode == 0, r.stderr
    r = eoc(
        "user",
        "add",
        "alice",
        "--unit",
        "psb",
        "--role",
        "operator",
        "--data-dir",
        d,
        env={"EOC_NEW_PASSWORD": "harbour-lantern-91"},
    )
    assert r.returncode == 2 and "taken" in r.stderr
    r = eoc(
        "user",
        "add",
        "bob",
        "--unit",
        "nope",
        "--role",
        "operator",
        "--data-dir",
        d,
        env={"EOC_NEW_PASSWORD": "bob-password"},
    )
    assert r.returncode == 2 and "no unit with code 'nope'" in r.stderr and "psb" in r.stderr
    r = eoc(
        "user",
        "add",
        "bob",
        "--unit",
        "psb",
        "--role",
        "boss",
        "--data-dir",
        d,
        env={"EOC_NEW_PASSWORD": "bob-password"},
    )
    assert r.returncode == 2 and "unknown role" in r.stderr
    r = eoc("user", "passwd", "alice", "--data-dir", d, env={"EOC_NEW_PASSWORD": "short"})
    assert r.returncode == 2 and "at least 8" in r.stderr
    for weak in ("12345678", "password", "Password1!"):
        r = eoc("user", "passwd", "alice", "--data-dir", d, env={"EOC_NEW_PASSWORD": weak})
        assert r.returncode == 2 and "most common passwords" in r.stderr, (weak, r.stderr)
    r = eoc("user", "passwd", "alice", "--data-dir", d, env={"EOC_NEW_PASSWORD": "alice-2026-x"})
    assert r.returncode == 2 and "user name" in r.stderr
    r = eoc("user", "list", "--data-dir", d)
    assert r.returncode == 0 and "alice" in r.stdout and "operator,viewer" in r.stdout
    r = eoc("db", "upgrade", "--data-dir", d)
    assert r.returncode == 0 and f"revision {head_revision()}" in r.stdout


def test_check_config_reports_every_bad_key(tmp_path: Path) -> None:
    good = tmp_path / "site.toml"
    good.write_text(
        '[site]\nname = "越秀区应急指挥中心"\n[server]\nport = 9000\n', encoding="utf-8"
    )
    r = eoc("check-config", str(good))
    assert r.returncode == 0 and "ok" in r.stdout
    bad = tmp_path / "site.yaml"
    bad.write_text(
        "mod: production\nserver:\n  prot: 80\n  max_body_bytes: lots\nsecurity:\n"
        "  session_idle_minutes: -5\nsite:\n  default_locale: fr\n",
        encoding="utf-8",
    )
    r = eoc("check-config", str(bad))
    assert r.returncode == 1
    for expected in (
        "mod: unknown key (did you mean 'mode'?)",
        "server.prot: unknown key (did you mean 'port'?)",
        "server.max_body_bytes:",
        "security.session_idle_minutes:",
        "site.default_locale:",
    ):
        assert expected in r.stderr, r.stderr
    broken = tmp_path / "broken.toml"
    broken.write_text("[server\nport=1", encoding="utf-8")
    r = eoc("check-config", str(broken))
    assert r.returncode == 1 and "syntax error" in r.stderr
    # serve refuses the same file before starting.
    r = eoc("serve", "--config", str(bad), "--data-dir", str(tmp_path / "d"))
    assert r.returncode == 2 and "server.prot" in r.stderr


def test_production_mode_refuses_placeholder_secret(tmp_path: Path) -> None:
    for secret in ("", "change-me"):
        r = eoc(
            "serve",
            "--data-dir",
            str(tmp_path / "d"),
            env={"EOC_MODE": "production", "EOC_SECRET_KEY": secret},
        )
        assert r.returncode == 2 and "production mode needs a real secret key" in r.stderr


def test_startup_errors_are_clear(tmp_path: Path) -> None:
    a_file = tmp_path / "not-a-dir"
    a_file.write_text("x")
    r = eoc("db", "upgrade", "--data-dir", str(a_file))
    assert r.returncode == 2 and "is not a folder" in r.stderr and "Traceback" not in r.stderr
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "eoc.db").write_bytes(b"this is not sqlite" * 100)
    r = eoc("db", "upgrade", "--data-dir", str(corrupt))
    assert r.returncode == 2 and "corrupt" in r.stderr and "Traceback" not in r.stderr
    locked = tmp_path / "locked"
    assert eoc("db", "upgrade", "--data-dir", str(locked)).returncode == 0
    conn = sqlite3.connect(locked / "eoc.db")
    conn.execute("BEGIN EXCLUSIVE")
    try:
        r = eoc("unit", "add", "x", "X", "--data-dir", str(locked), timeout=60)
    finally:
        conn.rollback()
        conn.close()
    assert r.returncode == 2 and "locked by another process" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


def test_unwritable_data_dir(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        # root ignores permission bits; /proc refuses new folders even to root.
        target = Path("/proc/eoc-test-data")
    else:
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o500)
        target = ro / "sub"
    r = eoc("db", "upgrade", "--data-dir", str(target))
    assert r.returncode == 2 and "not writable" in r.stderr and "Traceback" not in r.stderr


def test_readme_site_file_is_accepted(tmp_path: Path) -> None:
    """The site file example in the README passes check-config (every group it shows)."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")
    example = readme.split("```toml\n", 1)[1].split("```", 1)[0]
    site = tmp_path / "site.toml"
    site.write_text(example, "utf-8")
    r = eoc("check-config", str(site), env={"EOC_SECRET_KEY": "s" * 48})
    assert r.returncode == 0, r.stderr
    for group in ("[streams]", "[live]", "[readiness]", "[map]", "[drills]", "[notify]"):
        assert group in example, group

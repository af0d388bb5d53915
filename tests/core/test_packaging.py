"""A plain (non-editable) wheel install serves the full UI and ships the migrations."""

from __future__ import annotations

import os
import site
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO, free_port

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(REPO),
        ],
        check=True,
        timeout=300,
    )
    return next(out.glob("eoc_console-*.whl"))


def test_wheel_contents(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    web_files = {
        p.relative_to(REPO / "web").as_posix() for p in (REPO / "web").rglob("*") if p.is_file()
    }
    assert web_files and {f"console/_web/{f}" for f in web_files} <= names
    for pkg in ("console", "streams", "gis", "drills"):
        assert f"{pkg}/__init__.py" in names, pkg
    assert "console/migrations/versions/0001_core.py" in names
    assert not any(n.startswith(("tests/", "web/")) for n in names)


def test_fresh_venv_install_serves_ui(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    vpy = venv / "bin" / "python"
    # Dependencies come from the test environment (no network); the package itself is the wheel.
    site_dir = subprocess.check_output(
        [str(vpy), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True
    ).strip()
    Path(site_dir, "deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run(
        [str(vpy), "-m", "pip", "install", "-q", "--no-deps", str(wheel)], check=True, timeout=300
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    data = tmp_path / "demo"
    port = free_port()
    proc = subprocess.Popen(
        [
            str(venv / "bin" / "eoc"),
            "demo",
            "--data-dir",
            str(data),
            "--port",
            str(port),
            "--no-open",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "demo did not start"
            time.sleep(0.2)
        index = httpx.get(f"http://127.0.0.1:{port}/")
        assert index.status_code == 200 and "<html" in index.text
        loc = subprocess.check_output(
            [str(vpy), "-c", "import console.app as a; print(a.web_root())"],
            cwd=tmp_path,
            env=env,
            text=True,
        ).strip()
        assert loc.startswith(site_dir), loc
        scripts = [
            p.relative_to(REPO / "web").as_posix() for p in (REPO / "web" / "js").rglob("*.js")
        ]
        for rel in scripts[:5]:
            assert httpx.get(f"http://127.0.0.1:{port}/{rel}").status_code == 200, rel
        for user in ("admin", "operator", "coordinator", "maintenance", "viewer", "operator2"):
            r = httpx.post(
                f"http://127.0.0.1:{port}/api/auth/login",
                json={"username": user, "password": "demo-pass-2026"},
            )
            assert r.status_code == 200, user
    finally:
        proc.terminate()
        proc.wait(20)

"""Operations view: first render and map interaction in Debian's Chromium with the synthetic
city loaded (3,000 communities, 200,000 buildings, 5,000 shelters, 20,000 cameras), our grid
clustering against the baseline of one Leaflet marker per camera, side by side in one run.

A real `eoc serve` (camera watching off) on a data dir built by bench/ops_city.py; Chromium
(headless, the browser tests' flags, 1920x1080) signed in as the operator. "First render":
from navigation start (a fresh page load of #/ops) until the view has drawn the map (every
community, shelter and camera), the compact wall, the feed, drills, weakest communities and
shelters (performance.now() at that moment). The two modes alternate run by run. Then, with
the view loaded, the time to zoom in one step and to pan 300 px until the camera layer is
redrawn and two frames have been painted, the DOM size and the JS heap.

Usage: .venv/bin/python bench/ops_view_browser.py [--runs 5] [--city /tmp/eoc-ops-city]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, ViewportSize, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser.harness import CHROMIUM, CHROMIUM_ARGS, PASSWORD, eoc, free_port  # noqa: E402

MODES = {"clustered": "#/ops", "one marker per camera": "#/ops?cluster=off"}
READY = "[data-testid=ops-view][data-ready=true]"
INTERACT = """async ([kind]) => {
  const m = document.querySelector('[data-testid=ops-map]').opsMap.map;
  const frames = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  await frames();
  const t0 = performance.now();
  const done = new Promise((r) => m.once(kind === 'zoom' ? 'zoomend' : 'moveend', r));
  if (kind === 'zoom') m.setZoom(m.getZoom() + 1, {animate: false});
  else if (kind === 'unzoom') m.setZoom(m.getZoom() - 1, {animate: false});
  else m.panBy([300, 0], {animate: false});
  await done;
  await frames();
  return performance.now() - t0;
}"""
STATS = """() => ({
  nodes: document.querySelectorAll('*').length,
  markers: +document.querySelector('[data-testid=ops-map]').dataset.cameraMarkers,
  cameras: +document.querySelector('[data-testid=ops-map]').dataset.cameras,
  heap_mb: performance.memory ? performance.memory.usedJSHeapSize / 1048576 : null,
})"""


def cpu_model() -> str:
    """The CPU model name, as lscpu shows it."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return platform.processor()


def ensure_city(path: Path) -> dict[str, Any]:
    """Build the city once (bench/ops_city.py) and reuse it."""
    info_file = path / "city.json"
    if info_file.exists():
        info: dict[str, Any] = json.loads(info_file.read_text())
        return info
    shutil.rmtree(path, ignore_errors=True)
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "ops_city.py"), str(path / "data")],
        check=True,
        capture_output=True,
        text=True,
    )
    info = json.loads(out.stdout.strip().splitlines()[-1])
    info_file.write_text(json.dumps(info))
    return info


def serve(path: Path) -> tuple[subprocess.Popen[bytes], str]:
    """eoc serve on the city; returns when readiness answers (it scores the city at start)."""
    port = free_port()
    env = {**os.environ, "EOC_STREAMS__WATCH": "false", "NO_COLOR": "1"}
    log = (path / "server.log").open("ab")
    proc = subprocess.Popen(
        eoc("serve", "--data-dir", str(path / "data"), "--port", str(port)),
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        try:
            body = json.dumps({"username": "operator", "password": PASSWORD}).encode()
            req = urllib.request.Request(
                url + "/api/auth/login", body, {"Content-Type": "application/json"}
            )
            opener.open(req, timeout=5)
            with opener.open(url + "/api/ops/readiness?limit=10", timeout=600) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            time.sleep(1)
    proc.terminate()
    raise SystemExit("the server did not come up")


def first_render(page: Page, url: str, route: str) -> dict[str, float]:
    """A fresh load of the route; seconds to ready (from navigation start) and to render."""
    page.goto(f"{url}/{route}")
    page.wait_for_selector(READY, timeout=180_000)
    ds = page.eval_on_selector(READY, "(e) => ({...e.dataset})")
    return {"ready_s": int(ds["readyMs"]) / 1000, "render_s": int(ds["renderMs"]) / 1000}


def main() -> None:
    """Run the benchmark and print the table."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--city", type=Path, default=Path("/tmp/eoc-ops-city"))
    a = ap.parse_args()
    t = time.perf_counter()
    info = ensure_city(a.city)
    print(f"city: {info} (ready in {time.perf_counter() - t:.0f} s)", flush=True)
    proc, url = serve(a.city)
    results: dict[str, list[dict[str, float]]] = {m: [] for m in MODES}
    inter: dict[str, dict[str, list[float]]] = {m: {"zoom": [], "pan": []} for m in MODES}
    stats: dict[str, dict[str, Any]] = {}
    loads: list[float] = []
    cold = 0.0
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            size: ViewportSize = {"width": 1920, "height": 1080}
            ctx = browser.new_context(locale="zh-CN", viewport=size)
            page = ctx.new_page()
            page.goto(url + "/")
            page.get_by_test_id("login-username").fill("operator")
            page.get_by_test_id("login-password").fill(PASSWORD)
            page.get_by_test_id("login-submit").click()
            page.wait_for_selector(READY, timeout=180_000)  # warm: server caches
            cold = page.eval_on_selector(READY, "(e) => +e.dataset.renderMs") / 1000
            signed_in = ctx.storage_state()
            ctx.close()
            names = list(MODES)
            for run in range(a.runs):
                for mode in names if run % 2 == 0 else names[::-1]:
                    # A context of its own per load: nothing of the previous page (40,000
                    # nodes to collect after a baseline run) weighs on the next one.
                    ctx = browser.new_context(
                        locale="zh-CN", viewport=size, storage_state=signed_in
                    )
                    page = ctx.new_page()
                    loads.append(os.getloadavg()[0])
                    r = first_render(page, url, MODES[mode])
                    results[mode].append(r)
                    for kind in ("zoom", "pan", "unzoom"):
                        ms = page.evaluate(INTERACT, [kind])
                        if kind != "unzoom":
                            inter[mode][kind].append(ms)
                    stats[mode] = page.evaluate(STATS)
                    ctx.close()
                    print(f"run {run + 1} {mode}: {r} {stats[mode]}", flush=True)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(30)

    def med(xs: list[float]) -> float:
        return statistics.median(xs)

    print()
    print(
        f"Machine: {cpu_model()}, {os.cpu_count()} cores; 1-min load average during the runs"
        f" {min(loads):.1f}-{max(loads):.1f} (median {med(loads):.1f})"
    )
    print(f"Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; runs: {a.runs} per mode, alternating")
    print()
    print(
        "| camera layer | first render median (min) | view render median | zoom step ms"
        " | pan 300 px ms | markers | DOM nodes | JS heap MB |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for mode in MODES:
        rs = results[mode]
        ready = [r["ready_s"] for r in rs]
        st = stats[mode]
        heap = f"{st['heap_mb']:.0f}" if st["heap_mb"] is not None else "-"
        print(
            f"| {mode} | {med(ready):.2f} s ({min(ready):.2f}) | "
            f"{med([r['render_s'] for r in rs]):.2f} s | {med(inter[mode]['zoom']):.0f} | "
            f"{med(inter[mode]['pan']):.0f} | {st['markers']:,} | {st['nodes']:,} | {heap} |"
        )
    ours, base = results["clustered"], results["one marker per camera"]
    ratio = med([r["ready_s"] for r in base]) / med([r["ready_s"] for r in ours])
    zr = med(inter["one marker per camera"]["zoom"]) / max(1e-3, med(inter["clustered"]["zoom"]))
    print()
    print(f"first render: baseline / clustered = {ratio:.1f}x; zoom step: {zr:.1f}x")
    print(f"the first view after the server started (caches empty) rendered in {cold:.2f} s")
    target = med([r["ready_s"] for r in ours])
    print(f"target first render < 2 s: {'met' if target < 2 else 'NOT met'} ({target:.2f} s)")


if __name__ == "__main__":
    main()

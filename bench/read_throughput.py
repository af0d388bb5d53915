"""Read throughput and latency of a real `eoc serve` (uvicorn, SQLite demo data) under 20 and
200 concurrent clients, a typical mix beside /healthz on the same server in the same run, and
the same mix during a burst of bad logins.

The load comes from wrk (Debian package `wrk`; `apt-get install wrk`) in its own process;
the login burst from a separate Python process. Run:

    python bench/read_throughput.py [--seconds 8] [--clients 20,200] [--base main]

With `--base REF` the same rows are run first against a `git archive` of REF (its own demo
data, its own server) and then against this tree, back to back in one run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

MIX = [
    "/api/cameras",
    "/api/health/cameras",
    "/api/readiness",
    "/api/drills/calendar",
    "/api/walls",
]
LUA_MIX = """
local paths = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1], {["Authorization"] = "Bearer %s"})
end
"""
LUA_ONE = """
request = function()
  return wrk.format("GET", nil, {["Authorization"] = "Bearer %s"})
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


ROOT = Path(__file__).resolve().parent.parent


def eoc(*args: str) -> list[str]:
    return [sys.executable, "-m", "console", *args]


def env_for(tree: Path) -> dict[str, str]:
    """Environment running the console package of `tree`."""
    return {**os.environ, "PYTHONPATH": str(tree)}


def start_server(data: Path, port: int, tree: Path) -> subprocess.Popen[bytes]:
    log = (data.parent / "server.log").open("wb")
    proc = subprocess.Popen(
        eoc("serve", "--data-dir", str(data), "--port", str(port)),
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tree,
        env=env_for(tree),
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start; see server.log")


def token(base: str) -> str:
    with httpx.Client(base_url=base, timeout=30) as c:
        r = c.post("/api/auth/login", json={"username": "admin", "password": "demo-pass-2026"})
        r.raise_for_status()
        c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        r = c.post("/api/tokens", json={"name": "bench"})
        r.raise_for_status()
        return str(r.json()["token"])


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s|m)", text)
    return float(m.group(1)) * _UNITS[m.group(2)] if m else float("nan")


def wrk(url: str, script: str, clients: int, seconds: float) -> dict[str, float]:
    """One wrk run: requests/s, p50/p99 in ms, errors (non-2xx, socket errors, timeouts)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{clients}",
            f"-d{int(seconds)}s",
            "--timeout",
            "30s",
            "--latency",
            "-s",
            f.name,
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(f.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    errors = 0
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        errors += int(m.group(1))
    if m := re.search(r"connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        errors += sum(int(x) for x in m.groups())
    return {"rps": rps, "p50": p50, "p99": p99, "errors": errors}


BURST_SCRIPT = """
import asyncio, collections, json, sys, time
import httpx

async def main(base, n, seconds):
    counts = collections.Counter()
    stop = time.monotonic() + seconds
    async with httpx.AsyncClient(base_url=base, timeout=60,
                                 limits=httpx.Limits(max_connections=n)) as c:
        async def one(i):
            while time.monotonic() < stop:
                try:
                    r = await c.post("/api/auth/login",
                                     json={"username": f"nobody{i}", "password": "wrong-pass"})
                    counts[r.status_code] += 1
                except httpx.HTTPError as exc:
                    counts[type(exc).__name__] += 1
        await asyncio.gather(*(one(i) for i in range(n)))
    print(json.dumps(counts))

asyncio.run(main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3])))
"""


def burst(base: str, n: int, seconds: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", BURST_SCRIPT, base, str(n), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )


def row(name: str, clients: int, r: dict[str, float], base: float | None) -> str:
    ratio = f"{100 * r['rps'] / base:5.1f} %" if base else "  -"
    return (
        f"| {name:<24} | {clients:>4} | {r['rps']:>8.1f} | {r['p50']:>7.1f} | {r['p99']:>7.1f} "
        f"| {int(r['errors']):>6} | {ratio:>8} |"
    )


def export(ref: str, into: Path) -> Path:
    """A copy of the tree at `ref` (git archive), to run the base side from."""
    into.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def side(name: str, tree: Path, tmp: Path, levels: list[int], args: argparse.Namespace) -> None:
    """Every row against one server running `tree`."""
    data = tmp / re.sub(r"\W", "_", name) / "data"
    data.parent.mkdir()
    subprocess.run(
        eoc("demo", "--data-dir", str(data), "--no-serve", "--no-open"),
        check=True,
        capture_output=True,
        cwd=tree,
        env=env_for(tree),
    )
    port = free_port()
    proc = start_server(data, port, tree)
    base = f"http://127.0.0.1:{port}"
    try:
        tok = token(base)
        mix = LUA_MIX % (", ".join(json.dumps(p) for p in MIX), tok)
        one = LUA_ONE % tok
        for p in MIX:  # warm caches and first-use imports
            httpx.get(base + p, headers={"Authorization": f"Bearer {tok}"}, timeout=60)
        print(f"\n{name} ({tree}), load average {os.getloadavg()[0]:.1f}, {time.strftime('%H:%M')}")
        print(
            "| run                      | clients |    req/s | p50 ms  | p99 ms  | errors "
            "| of /healthz |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|")
        for n in levels:
            health = wrk(base + "/healthz", one, n, args.seconds)
            print(row("/healthz", n, health, None), flush=True)
            print(row("mix", n, wrk(base, mix, n, args.seconds), health["rps"]), flush=True)
            if args.per_endpoint:
                for p in MIX:
                    r = wrk(base + p, one, n, args.seconds)
                    print(row(p, n, r, health["rps"]), flush=True)
        n = max(levels)
        health = wrk(base + "/healthz", one, n, args.seconds)
        logins = burst(base, 200, args.seconds + 2)
        time.sleep(1)
        r = wrk(base, mix, n, args.seconds)
        out, _ = logins.communicate(timeout=300)
        print(row("mix + 200 bad logins", n, r, health["rps"]), flush=True)
        print(f"bad-login burst answers: {out.strip()}; load average {os.getloadavg()[0]:.1f}")
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=8)
    ap.add_argument("--clients", default="20,200")
    ap.add_argument("--per-endpoint", action="store_true", help="Also each mix endpoint alone.")
    ap.add_argument("--base", help="Also run a git ref (e.g. main) first, back to back.")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    levels = [int(x) for x in args.clients.split(",")]
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        if args.base:
            side(f"base {args.base}", export(args.base, tmp / "base-tree"), tmp, levels, args)
        side("this tree", ROOT, tmp, levels, args)


if __name__ == "__main__":
    asyncio.set_event_loop_policy(None)
    main()

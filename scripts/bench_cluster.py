"""scripts/bench cluster: the HA stack through its proxy, each figure a ratio to ping.

Runs against the stack of scripts/cluster (started if it is not running;
GISAPP_CLUSTER_DIR and GISAPP_CLUSTER_PORT_BASE choose which one). Measures, through
HAProxy's HTTP port:
- locate and cached tiles with two app nodes, and with one (the other one disabled in
  HAProxy through its admin socket), each against ping in the same round (the tiles as
  the wall viewer reads them: HAProxy sends them to Varnish, which answers the shared
  area and base tiles and passes the rest);
- the public's (shared) tiles through Varnish, and straight to the app nodes (HAProxy's
  internal app_pool port), each against ping through the proxy in the same round;
- case creation with the synchronous standby, and with commits that wait for the local
  flush only (`synchronous_commit=local` on the app's sessions: the single-node figure
  on the same machine and data);
- for every target, the CPU each kind of process used while it ran, in cores.
`scripts/bench cluster --cases-only` measures only the case creation;
GISAPP_BENCH_APP_CODE=DIR runs the app nodes from another checkout (say an older commit,
exported with `git archive`) for a before/after comparison.
"""
from __future__ import annotations

import os
import socket
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CLK_TCK = os.sysconf("SC_CLK_TCK")
ROUNDS, SECONDS = 3, 5


def run(bench, cases_only: bool = False) -> list[dict]:
    """Every figure of the cluster benchmark, as rows for bench.print_table."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import cluster as c
    if c.leader() is None or not all(c.running_pid(a) for a in c.APPS):
        c.up()
    # bench.wrk() aims at 127.0.0.1:HTTP_PORT: here that is the proxy.
    bench.HTTP_PORT = c.PORTS["http"]
    url = c.write_url()
    rows: list[dict] = []
    if not cases_only:
        rows += _reads(bench, c, url)
        rows += _tile_cache(bench, c)
    rows += _case_creation(bench, c, url)
    return rows


# --- reads: two app nodes against one -----------------------------------------------------

def _reads(bench, c, url: str) -> list[dict]:
    from bench_wall import fetch_all, tile_paths

    from gisapp import create_app
    app = create_app({"DATABASE_URL": url})
    points = bench.BENCH_DIR / "cluster-locate-points.txt"
    np.savetxt(points, bench.land_points(app, 2_000), fmt="%.6f")
    token = bench.bench_token(url, "wall_viewer")
    paths = tile_paths(per_zoom=10)
    paths_file = bench.BENCH_DIR / "cluster-tile-paths.txt"
    paths_file.write_text("".join(p + "\n" for p in paths))
    for _ in c.APPS:                        # round robin: every node's cache gets each tile
        fetch_all(c.http_url(), paths, token)
    targets = {
        "GET /api/locate": {"path": "/api/locate", "script": ROOT / "scripts/wrk_locate.lua",
                            "env": {"GISAPP_POINTS": str(points)}},
        f"GET /tiles/... cached ({len(paths)} tiles)": {
            "path": "/tiles", "script": ROOT / "scripts/wrk_paths.lua",
            "env": {"GISAPP_PATHS": str(paths_file), "GISAPP_TOKEN": token}},
    }
    rows = []
    for nodes in (2, 1):
        _enable_second_node(c, nodes == 2)
        try:
            for name, target in targets.items():
                rows.append(_versus_ping(bench, c, f"{name}, {nodes} app node(s)", target))
        finally:
            _enable_second_node(c, True)
    return rows


def _tile_cache(bench, c) -> list[dict]:
    """Shared tiles (as the public reads them) through Varnish, and without it."""
    from bench_wall import tile_paths
    paths = [p for p in tile_paths(per_zoom=10) if p.split("/")[2] not in ("cases", "case_areas")]
    paths_file = bench.BENCH_DIR / "cluster-shared-tile-paths.txt"
    paths_file.write_text("".join(p + "\n" for p in paths))
    direct = f"http://{c.HOST}:{c.PORTS['app_pool']}"
    for base in (c.http_url(), *[direct] * len(c.APPS)):    # warm Varnish and each node
        for path in paths:
            with urllib.request.urlopen(base + path, timeout=60) as resp:
                resp.read()
    target = {"path": "/tiles", "script": ROOT / "scripts/wrk_paths.lua",
              "env": {"GISAPP_PATHS": str(paths_file), "GISAPP_TOKEN": ""}}
    name = f"GET /tiles/... shared, cached ({len(paths)} tiles), 2 app nodes"
    return [_versus_ping(bench, c, f"{name}, through Varnish", target),
            _versus_ping(bench, c, f"{name}, straight to the apps",
                         {**target, "port": c.PORTS["app_pool"]})]


def _enable_second_node(c, on: bool) -> None:
    command = f"{'enable' if on else 'disable'} server app/{c.APPS[1]}\n"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(str(c.STATE / "haproxy.sock"))
        sock.sendall(command.encode())
        sock.recv(4096)
    time.sleep(0.5)


# --- writes: case creation with and without the synchronous standby ------------------------

def _case_creation(bench, c, url: str) -> list[dict]:
    from gisapp import create_app
    app = create_app({"DATABASE_URL": url})
    points = bench.BENCH_DIR / "cluster-case-points.txt"
    np.savetxt(points, bench.land_points(app, 2_000, seed=3), fmt="%.6f")
    target = {"path": "/api/cases", "script": ROOT / "scripts/wrk_cases.lua", "connections": 8,
              "env": {"GISAPP_POINTS": str(points), "GISAPP_TOKEN": bench.bench_token(url)}}
    rows = []
    for mode in ("on", "local"):
        _restart_apps(c, mode)
        bench.delete_bench_cases(url)       # each mode starts from the same cases
        label = "synchronous standby" if mode == "on" else "local flush only (single node)"
        rows.append(_versus_ping(bench, c, f"POST /api/cases, {label}", target))
    _restart_apps(c, "on")
    bench.delete_bench_cases(url)
    return rows


def _restart_apps(c, synchronous_commit: str) -> None:
    """The app nodes again, their sessions committing with this synchronous_commit."""
    for app in c.APPS:
        c.stop(app)
    if os.environ.get("GISAPP_BENCH_APP_CODE"):
        os.environ["PYTHONPATH"] = os.environ["GISAPP_BENCH_APP_CODE"]
    if synchronous_commit == "on":
        os.environ.pop("PGOPTIONS", None)
    else:
        os.environ["PGOPTIONS"] = f"-c synchronous_commit={synchronous_commit}"
    c.start_apps()


# --- one target against ping, with the CPU split ------------------------------------------

def _versus_ping(bench, c, name: str, target: dict) -> dict:
    """Alternate ping and the target; the median of the rounds' ratios, the CPU split."""
    pings, hits, splits = [], [], []
    target = dict(target)
    port, proxy = target.pop("port", bench.HTTP_PORT), bench.HTTP_PORT
    for _ in range(ROUNDS):
        pings.append(bench.wrk("/api/ping", seconds=SECONDS))
        before, started = _cpu_ticks(c), time.monotonic()
        bench.HTTP_PORT = port              # the target's port; ping always via the proxy
        try:
            hits.append(bench.wrk(seconds=SECONDS, **target))
        finally:
            bench.HTTP_PORT = proxy
        splits.append(_cores(before, _cpu_ticks(c), time.monotonic() - started))
    ratios = sorted(h["rps"] / p["rps"] for p, h in zip(pings, hits))
    median = lambda rows, k: round(float(np.median([r[k] for r in rows])), 2)   # noqa: E731
    row = {"operation": name, "rps": median(hits, "rps"), "ping_rps": median(pings, "rps"),
           "vs_ping": round(ratios[len(ratios) // 2], 3),
           "vs_ping_range": [round(ratios[0], 3), round(ratios[-1], 3)],
           "p50_ms": median(hits, "p50"), "p99_ms": median(hits, "p99"),
           "errors": sum(h["errors"] for h in hits)}
    row["cpu_cores"] = {k: round(float(np.median([s.get(k, 0.0) for s in splits])), 2)
                        for k in sorted({k for s in splits for k in s})}
    return row


def _cpu_ticks(c) -> dict[int, tuple[str, int]]:
    """Every process's (kind, user + system ticks) now."""
    roots = _roots(c)
    stats = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                raw = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            comm, rest = raw[raw.index("(") + 1:raw.rindex(")")], raw[raw.rindex(")") + 2:].split()
            stats[int(entry)] = (comm, int(rest[1]), int(rest[11]) + int(rest[12]))
    return {pid: (_kind(pid, comm, ppid, roots, stats), ticks)
            for pid, (comm, ppid, ticks) in stats.items()}


def _roots(c) -> dict[int, str]:
    """The pids whose process trees are one kind: the postmasters, app masters, Patronis."""
    roots = {}
    for node in c.NODES:
        try:
            pid = int((c.STATE / node / "data" / "postmaster.pid").read_text().split()[0])
            roots[pid] = f"postgres_{'primary' if c.leader() == node else 'standby'}"
        except (OSError, ValueError, IndexError):
            pass
        if c.running_pid(node):
            roots[c.running_pid(node)] = "patroni"
    for name in (*c.APPS, "haproxy", "varnish", "etcd"):
        if c.running_pid(name):
            roots[c.running_pid(name)] = name
    return roots


def _kind(pid: int, comm: str, ppid: int, roots: dict, stats: dict) -> str:
    if comm == "wrk":
        return "wrk"
    seen = 0
    while pid > 1 and seen < 5:
        if pid in roots:
            return roots[pid]
        pid, seen = stats.get(pid, ("", 0, 0))[1], seen + 1
    return "other (the rest of the machine)"


def _cores(before: dict, after: dict, seconds: float) -> dict[str, float]:
    used: dict[str, float] = {}
    for pid, (kind, ticks) in after.items():
        spent = ticks - before.get(pid, (kind, 0))[1]
        used[kind] = used.get(kind, 0.0) + spent / CLK_TCK / seconds
    return used

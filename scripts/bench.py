"""Benchmarks on the city-scale demo (run through scripts/bench).

Starts its own PostgreSQL cluster under var/bench-pg, loads the city once and reuses
it, starts the production server the way scripts/serve does, and drives it with wrk.
Every figure is also given as a ratio to something measured in the same run (the
trivial /api/ping endpoint, or the bare SQL), because these machines are shared.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import bench_assessment  # noqa: E402
import bench_boundaries  # noqa: E402
import bench_cluster  # noqa: E402
import bench_coverage  # noqa: E402
import bench_plan  # noqa: E402
import bench_visits  # noqa: E402
import bench_wall  # noqa: E402  (scripts/ is on sys.path when run as a script)

from gisapp import create_app  # noqa: E402
from gisapp.areas.spatial_index import index  # noqa: E402
from gisapp.db import apply_schema, make_engine  # noqa: E402
from gisapp.demo.pgcluster import Cluster  # noqa: E402

PG_PORT = int(os.environ.get("GISAPP_BENCH_PG_PORT", "54339"))
HTTP_PORT = int(os.environ.get("GISAPP_BENCH_PORT", "5055"))
BENCH_DIR = ROOT / "var" / "bench"
CITY_BBOX = (121.45, 38.85, 121.80, 39.05)
WRK_LUA = ROOT / "scripts" / "wrk_report.lua"


def ensure_city(cluster: Cluster) -> str:
    """Start the bench cluster and load the city scale once; return the database URL."""
    cluster.start()
    eng = make_engine(cluster.url)
    apply_schema(eng, ROOT / "sql")
    with eng.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM area WHERE level = 5")).scalar()
    env = dict(os.environ, GISAPP_DATABASE_URL=cluster.url)
    if n < 30_000:
        if n:
            sys.exit(f"bench database holds a partial city ({n} micro-grids): rm -r var/bench-pg")
        print("loading the city-scale demo (once; reused by later runs)...", file=sys.stderr)
        subprocess.run([str(ROOT / ".venv/bin/gisapp"), "demo", "--scale", "city"], env=env,
                       check=True)
    with eng.connect() as conn:
        cases = conn.execute(text("SELECT count(*) FROM case_file")).scalar()
    if cases < 10_000:
        print("adding a year of cases (once)...", file=sys.stderr)
        subprocess.run([str(ROOT / ".venv/bin/gisapp"), "demo-cases", "--per-district", "18000"],
                       env=env, check=True)
    eng.dispose()
    return cluster.url


class Server:
    """gunicorn started as scripts/serve starts it."""

    def __init__(self, url: str, workers: int = 2, env: dict | None = None):
        self.url, self.workers, self.proc, self.env = url, workers, None, env or {}

    def __enter__(self):
        env = dict(os.environ, GISAPP_DATABASE_URL=self.url, **self.env)
        self.proc = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "--config", str(ROOT / "gisapp/gunicorn_conf.py"),
             "--bind", f"127.0.0.1:{HTTP_PORT}", "--workers", str(self.workers),
             "gisapp:create_app()"], env=env)
        _wait_http(f"http://127.0.0.1:{HTTP_PORT}/healthz")
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(30)


def _wait_http(url: str, timeout: float = 120) -> None:
    import urllib.request
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def wrk(path: str, seconds: int = 10, connections: int = 16, script: Path | None = None,
        env: dict | None = None) -> dict:
    """Run wrk on one path; return requests/s and latency percentiles in ms."""
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", str(script or WRK_LUA),
           f"http://127.0.0.1:{HTTP_PORT}{path}"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True,
                         env=dict(os.environ, **(env or {}))).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("JSON "))
    return json.loads(line[5:])


def wrk_versus(base: dict, target: dict, rounds: int = 5, seconds: int = 4) -> tuple[dict, dict]:
    """Alternate short wrk runs of a baseline and a target: (baseline, target) figures.

    On a shared machine the load drifts over a minute; two back-to-back 10 s runs can see
    different machines. Alternating A, B, A, B... gives pairs measured seconds apart; the
    ratio reported is the median of the pairs' ratios, rps the median over rounds.
    Each argument holds wrk()'s keyword arguments (path, script, env, connections).
    """
    runs = [(wrk(seconds=seconds, **base), wrk(seconds=seconds, **target)) for _ in range(rounds)]
    ratios = sorted(b["rps"] / a["rps"] for a, b in runs)

    def merged(side: int) -> dict:
        figures = [run[side] for run in runs]
        out = {k: float(np.median([f[k] for f in figures])) for k in ("rps", "p50", "p95", "p99")}
        out["errors"] = sum(f["errors"] for f in figures)
        return out
    result = merged(1)
    result["ratio"] = round(ratios[len(ratios) // 2], 3)
    result["ratio_range"] = [round(ratios[0], 3), round(ratios[-1], 3)]
    return merged(0), result


def random_points(n: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = CITY_BBOX
    return np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)])


def land_points(app, n: int, seed: int = 1) -> np.ndarray:
    """Random points that fall inside some area (lookups that find an answer)."""
    with app.app_context():
        snap = index().snapshot()
    pts = random_points(n * 4, seed)
    inside = snap.leaves_at(pts[:, 0], pts[:, 1]) >= 0
    return pts[inside][:n]


def bench_locate(url: str) -> list[dict]:
    """HTTP single and batch lookups, in-process lookups, bare SQL and index rebuild."""
    app = create_app({"DATABASE_URL": url})
    pts = land_points(app, 20_000)
    points_file = BENCH_DIR / "locate-points.txt"
    np.savetxt(points_file, pts, fmt="%.6f")
    rows = []
    with Server(url):
        ping, single = wrk_versus({"path": "/api/ping"},
                                  {"path": "/api/locate", "script": ROOT / "scripts/wrk_locate.lua",
                                   "env": {"GISAPP_POINTS": str(points_file)}})
        rows.append(_row("ping (trivial JSON)", ping, None))
        rows.append(_row("GET /api/locate", single, ping))
        # The batch against single calls, interleaved as wrk_versus does.
        pairs = []
        for _ in range(5):
            one = wrk("/api/locate", seconds=3, script=ROOT / "scripts/wrk_locate.lua",
                      env={"GISAPP_POINTS": str(points_file)})["rps"]
            pairs.append((_http_batch(pts[:10_000], rounds=3), one))
        batch = float(np.median([b for b, _ in pairs]))
        speedup = float(np.median([b / one for b, one in pairs]))
    sql = _sql_rate(url, pts[:5_000])
    inproc = _inprocess_rate(app, pts)
    rebuild = _rebuild_ms(app, url)
    rows[-1]["vs_sql_floor"] = round(single["rps"] / sql["single_per_s"], 2)
    rows.append({"operation": "POST /api/locate (10,000 points)",
                 "points_per_s": round(batch), "per_point_speedup_vs_single": round(speedup, 1)})
    rows.append({"operation": "SQL locate_leaf, one point per statement",
                 "points_per_s": round(sql["single_per_s"])})
    rows.append({"operation": "SQL locate_leaf, 5,000 points in one statement",
                 "points_per_s": round(sql["batch_per_s"])})
    rows.append({"operation": "in-process lookup chain (one core)", "points_per_s": round(inproc)})
    rows.append({"operation": "index rebuild after a boundary change", "ms": round(rebuild, 1)})
    return rows


def _row(name: str, res: dict, baseline: dict | None) -> dict:
    row = {"operation": name, "rps": round(res["rps"]), "p50_ms": res["p50"],
           "p95_ms": res["p95"], "p99_ms": res["p99"], "errors": res["errors"]}
    if baseline and "ratio" in res:     # interleaved runs: the median of paired ratios
        row["vs_ping"] = res["ratio"]
        row["vs_ping_range"] = res["ratio_range"]
    elif baseline:
        row["vs_ping"] = round(res["rps"] / baseline["rps"], 2)
    if baseline:                        # the tail against ping's tail, same run
        row["p99_vs_ping_p99"] = round(res["p99"] / max(baseline["p99"], 1e-3), 2)
    return row


def _http_batch(pts: np.ndarray, rounds: int = 5) -> float:
    import urllib.request
    body = json.dumps({"points": pts.tolist()}).encode()
    started = time.perf_counter()
    for _ in range(rounds):
        req = urllib.request.Request(f"http://127.0.0.1:{HTTP_PORT}/api/locate", data=body,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as resp:
            assert resp.status == 200
            resp.read()
    return rounds * len(pts) / (time.perf_counter() - started)


def _sql_rate(url: str, pts: np.ndarray) -> dict:
    eng = make_engine(url)
    with eng.connect() as conn:
        q = text("SELECT locate_leaf(ST_SetSRID(ST_MakePoint(:x, :y), 4326))")
        started = time.perf_counter()
        for x, y in pts[:2000]:
            conn.execute(q, {"x": float(x), "y": float(y)}).scalar()
        single = 2000 / (time.perf_counter() - started)
        started = time.perf_counter()
        conn.execute(text("""SELECT count(locate_leaf(ST_SetSRID(ST_MakePoint(x, y), 4326)))
            FROM unnest(CAST(:xs AS float8[]), CAST(:ys AS float8[])) AS t(x, y)"""),
            {"xs": pts[:, 0].tolist(), "ys": pts[:, 1].tolist()}).scalar()
        batch = len(pts) / (time.perf_counter() - started)
    eng.dispose()
    return {"single_per_s": single, "batch_per_s": batch}


def _inprocess_rate(app, pts: np.ndarray) -> float:
    """The whole chain on one core: parse, convert CRS, index lookup, describe the areas."""
    from gisapp.areas.locate import find_areas_many
    with app.app_context():
        snap = index().snapshot()
        batch = pts.tolist()
        find_areas_many(snap, batch, "gcj02")      # steady state: every leaf described once
        started = time.perf_counter()
        for _ in range(3):
            find_areas_many(snap, batch, "gcj02")
        return 3 * len(batch) / (time.perf_counter() - started)


def _rebuild_ms(app, url: str) -> float:
    """Commit a new version of one micro-grid, then time the index refresh that follows."""
    eng = make_engine(url)
    with app.app_context():
        idx = index()
        idx.snapshot()
        with eng.begin() as conn:
            conn.execute(text("""
                WITH old AS (
                    UPDATE area_version SET valid_to = now()
                    WHERE id = (SELECT version_id FROM area_current WHERE level = 5 """
                              """ORDER BY code LIMIT 1)
                    RETURNING area_id, version, geom)
                INSERT INTO area_version (area_id, version, geom, author, reason)
                SELECT area_id, version + 1, geom, 'bench', 'index rebuild benchmark' FROM old"""))
        started = time.perf_counter()
        rebuilt = idx.refresh()
        elapsed = (time.perf_counter() - started) * 1000
    eng.dispose()
    assert rebuilt
    return elapsed


def bench_token(url: str, role: str = "city_admin") -> str:
    """A fresh API token for a bench user of the given role (created once)."""
    from gisapp.accounts import auth
    eng = make_engine(url)
    username = f"bench.{role.replace('_', '')}"
    with eng.begin() as conn:
        exists = conn.execute(text("SELECT 1 FROM app_user WHERE username = :u"),
                              {"u": username}).first()
        if not exists:
            auth.add_user(conn, username, "bench-password-1", role)
        token = auth.issue_token(conn, username, days=1, label="bench")
    eng.dispose()
    return token


def bench_cases(url: str) -> list[dict]:
    """Creating cases over HTTP (assignment and the outbox row included) and listing a
    community's cases."""
    app = create_app({"DATABASE_URL": url})
    pts = land_points(app, 5_000, seed=3)
    points_file = BENCH_DIR / "case-points.txt"
    np.savetxt(points_file, pts, fmt="%.6f")
    token = bench_token(url)
    eng = make_engine(url)
    with eng.connect() as conn:
        communities = conn.execute(text("""SELECT area_code FROM (
            SELECT left(area_code, 12) AS area_code, count(*) AS n FROM case_file
            WHERE area_code IS NOT NULL GROUP BY 1) t ORDER BY n DESC LIMIT 200""")).scalars().all()
    eng.dispose()
    paths_file = BENCH_DIR / "case-list-paths.txt"
    paths_file.write_text("".join(f"/api/cases?area={c}&limit=100\n" for c in communities))
    delete_bench_cases(url)             # every run starts from the same cases
    rows = []
    with Server(url):
        ping = wrk("/api/ping")
        rows.append(_row("ping (trivial JSON)", ping, None))
        create = wrk("/api/cases", script=ROOT / "scripts/wrk_cases.lua", connections=8,
                     env={"GISAPP_POINTS": str(points_file), "GISAPP_TOKEN": token})
        rows.append(_row("POST /api/cases (assign + outbox)", create, ping))
        listing = wrk("/api/cases", script=ROOT / "scripts/wrk_paths.lua", connections=4,
                      env={"GISAPP_PATHS": str(paths_file), "GISAPP_TOKEN": token})
        rows.append(_row("GET /api/cases?area=<community>", listing, ping))
    delete_bench_cases(url)
    return rows


def delete_bench_cases(url: str) -> None:
    """Delete the reports a cases bench made (scripts/bench_cases_cleanup.sql says why)."""
    eng = make_engine(url)
    with eng.begin() as conn:
        # The raw cursor, without parameters: the file's LIKE pattern holds a '%'.
        with conn.connection.driver_connection.cursor() as cur:
            cur.execute((ROOT / "scripts" / "bench_cases_cleanup.sql").read_text())
    eng.dispose()


def print_table(name: str, rows: list[dict]) -> None:
    print(f"\n== {name} ==")
    for row in rows:
        cells = [f"{k}={v}" for k, v in row.items() if k != "operation"]
        print(f"  {row['operation']:<48} " + "  ".join(cells))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("what", nargs="?", default="all", choices=[
        "locate", "cases", "tiles", "live", "wall", "boundaries", "coverage", "visits", "plan",
        "all", "cluster", "assessment"])
    parser.add_argument("--cases-only", action="store_true", help="cluster: case creation only")
    args = parser.parse_args()
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    if args.what == "cluster":          # the HA stack of scripts/cluster, not var/bench-pg
        return report(args.what, {"cluster": bench_cluster.run(sys.modules[__name__],
                                                               args.cases_only)})
    cluster = Cluster(ROOT / "var" / "bench-pg", PG_PORT)
    # Leave a cluster that something else (scripts/soak) started running when done.
    ours = not (cluster.initialised() and cluster.running())
    url = ensure_city(cluster)
    results = {}
    try:
        if args.what in ("locate", "all"):
            results["locate"] = bench_locate(url)
        if args.what in ("cases", "all"):
            results["cases"] = bench_cases(url)
        if args.what in ("tiles", "all"):
            results["tiles"] = bench_wall.bench_tiles(sys.modules[__name__], url)
        if args.what in ("live", "all"):
            results["live"] = bench_wall.bench_live(sys.modules[__name__], url)
        if args.what in ("wall", "all"):
            results["wall"] = bench_wall.bench_cold(sys.modules[__name__], url)
        if args.what in ("boundaries", "all"):
            results["boundaries"] = bench_boundaries.bench_boundaries(sys.modules[__name__], url)
        if args.what in ("coverage", "all"):
            results["coverage"] = bench_coverage.bench_coverage(sys.modules[__name__], url)
        if args.what in ("visits", "all"):
            results["visits"] = bench_visits.bench_visits(sys.modules[__name__], url)
        if args.what in ("plan", "all"):
            results["plan"] = bench_plan.bench_plan(sys.modules[__name__], url)
        if args.what in ("assessment", "all"):
            results["assessment"] = bench_assessment.bench_assessment(sys.modules[__name__], url)
    finally:
        if ours:
            cluster.stop()
    return report(args.what, results)


def report(what: str, results: dict) -> int:
    """Print the tables and keep the figures under var/bench/."""
    for name, rows in results.items():
        print_table(name, rows)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    out = BENCH_DIR / f"{what}-{stamp}.json"
    out.write_text(json.dumps({"when": stamp, "results": results}, ensure_ascii=False, indent=1))
    print(f"\nfigures written to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

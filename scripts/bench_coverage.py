"""Coverage benchmark (scripts/bench coverage): the "15-minute life circle" at city scale.

Imported by scripts/bench.py, which owns the city database, the server and the table.

Targets (issue 8): the whole city (2.68 M households against one facility kind) in under
10 s; any single community in under 200 ms. Measured three ways: the bare function
against PostGIS (median of 3, the cost of the query itself), one HTTP request per
city-scale query, and every community once, sequentially, with wrk then driving the
community requests concurrently against the trivial /api/ping of the same server.
"""
from __future__ import annotations

import statistics
import time
import urllib.parse
import urllib.request

import numpy as np
from sqlalchemy import text
from werkzeug.datastructures import MultiDict

from gisapp.accounts.access import Viewer
from gisapp.db import make_engine
from gisapp.facilities.coverage import coverage, parse_query

CITY_QUERIES = (  # (label, query string)
    ("elderly_canteen 1000 m per community", "kind=elderly_canteen&distance=1000&level=community"),
    ("elderly_canteen 1000 m per grid", "kind=elderly_canteen&distance=1000&level=grid"),
    ("mediation_room 300 m per grid", "kind=mediation_room&distance=300&level=grid"),
    ("独居老人 500 m from elderly_canteen per street",
     "kind=elderly_canteen&distance=500&level=street&tag=独居老人"),
)


def _query(args: str):
    staff = Viewer(1, "bench", "city_admin", prefixes=None)
    return parse_query(MultiDict(urllib.parse.parse_qsl(args)), staff)


def _bare(eng, args: str, rounds: int = 3) -> tuple[float, dict]:
    """Median seconds of the coverage function itself, and its totals."""
    times, totals = [], None
    for _ in range(rounds):
        with eng.connect() as conn:
            started = time.perf_counter()
            totals = coverage(conn, _query(args))["totals"]
            times.append(time.perf_counter() - started)
    return statistics.median(times), totals


def _http_seconds(port: int, token: str, args: str) -> float:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/coverage?{urllib.parse.quote(args, safe='=&')}",
                                 headers={"Authorization": f"Bearer {token}"})
    started = time.perf_counter()
    with urllib.request.urlopen(req, timeout=120) as resp:
        resp.read()
    return time.perf_counter() - started


def bench_coverage(bench, url: str) -> list[dict]:
    """City-scale coverage and every single community, bare and over HTTP."""
    eng = make_engine(url)
    with eng.connect() as conn:
        communities = conn.execute(text("SELECT code FROM area WHERE level = 3 AND retired_at IS NULL "
                                        "ORDER BY code")).scalars().all()
        households = conn.execute(text("SELECT count(*) FROM household")).scalar()
    rows = []
    for label, args in CITY_QUERIES:
        secs, totals = _bare(eng, args)
        rows.append({"operation": f"city ({households:,} households): {label}", "s": round(secs, 2),
                     "gaps": totals["gaps"], "target_s": 10, "ok": secs < 10})
    per_community = []
    for code in communities:
        with eng.connect() as conn:
            q = _query(f"kind=elderly_canteen&distance=1000&level=grid&area={code}")
            started = time.perf_counter()
            coverage(conn, q)
            per_community.append((time.perf_counter() - started) * 1000)
    eng.dispose()
    worst = max(per_community)
    rows.append({"operation": f"each of {len(communities)} communities, per grid (bare)",
                 "p50_ms": round(float(np.percentile(per_community, 50)), 1),
                 "p95_ms": round(float(np.percentile(per_community, 95)), 1),
                 "max_ms": round(worst, 1), "target_ms": 200, "ok": worst < 200})
    token = bench.bench_token(url)
    paths_file = bench.BENCH_DIR / "coverage-community-paths.txt"
    paths_file.write_text("".join(f"/api/coverage?kind=elderly_canteen&distance=1000&level=grid&area={c}\n"
                                  for c in communities))
    with bench.Server(url):
        for label, args in CITY_QUERIES[:2]:
            secs = statistics.median(_http_seconds(bench.HTTP_PORT, token, args) for _ in range(3))
            rows.append({"operation": f"HTTP GET /api/coverage, city: {label}", "s": round(secs, 2),
                         "target_s": 10, "ok": secs < 10})
        ping = bench.wrk("/api/ping")
        rows.append(bench._row("ping (trivial JSON)", ping, None))
        res = bench.wrk("/api/coverage", script=bench.ROOT / "scripts/wrk_paths.lua", connections=4,
                        env={"GISAPP_PATHS": str(paths_file), "GISAPP_TOKEN": token})
        rows.append(bench._row("HTTP GET /api/coverage?area=<community>&level=grid", res, ping))
    return rows

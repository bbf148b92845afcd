"""Boundary-editor benchmark (scripts/bench boundaries): validating and saving the split of
a grid, re-linking included, and proposing the split of a ~6,000-household community,
over HTTP.

Imported by scripts/bench.py, which owns the city database, the server and the table.

Each sample is POST /api/areas/<grid>/split with a north-south line through the grid's
centre, for a different grid of 150-400 households each time, sent one at a time. The
requests are dry runs: the server does all the work of a save — validation, fitting,
numbering, carrying the change to the micro-grids, writing the versions, re-linking
households, buildings, facilities, duties and open cases, refreshing the counts — and
then rolls the transaction back instead of committing, so the bench city stays as it was
and later runs measure the same thing. A few real (committed) splits of further grids are
timed as well, each then reverted, to show what the commit and the locate index refresh
add. Sequential GET /api/ping in the same run gives the floor of the web stack.

Proposals: GET /api/areas/<community>/split-proposal for the five communities whose
household counts are nearest 6,000 (default parts: under 3,000 households each).
"""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

from sqlalchemy import text

SAMPLES = 40
COMMITS = 3
PROPOSALS = 5


def pick_grids(engine, n: int) -> list[dict]:
    """n grids of 150-400 households, the same ones on every run, with a line through each."""
    with engine.connect() as conn:
        rows = conn.execute(text("""
            SELECT code, version, households, ST_X(ST_Centroid(geom)) AS x,
                   ST_YMin(geom) - 0.001 AS y0, ST_YMax(geom) + 0.001 AS y1
            FROM area_current
            WHERE level = 4 AND households BETWEEN 150 AND 400
            ORDER BY md5(code) LIMIT :n"""), {"n": n}).mappings().all()
    return [dict(r) for r in rows]


def split(base: str, token: str, grid: dict, dry_run: bool) -> tuple[float, dict]:
    """POST one split; (milliseconds, answer)."""
    body = {
        "line": {
            "type": "LineString",
            "coordinates": [[grid["x"], grid["y1"]], [grid["x"], grid["y0"]]],
        },
        "version": grid["version"],
        "reason": "bench: split a grid",
        "dry_run": dry_run,
    }
    req = urllib.request.Request(f"{base}/api/areas/{grid['code']}/split", method="POST",
                                 data=json.dumps(body).encode(),
                                 headers={"Authorization": f"Bearer {token}",
                                          "Content-Type": "application/json"})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            answer = json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        answer = {"error": exc.code, **json.loads(exc.read() or b"{}")}
    return (time.perf_counter() - started) * 1000, answer


def revert(base: str, token: str, code: str, version: int) -> None:
    req = urllib.request.Request(
        f"{base}/api/areas/{code}/revert",
        method="POST",
        data=json.dumps({"version": version, "reason": "bench: undo"}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=60) as resp:
        resp.read()


def pick_communities(engine, n: int) -> list[dict]:
    """The n communities whose household count is nearest 6,000."""
    with engine.connect() as conn:
        rows = conn.execute(text("""
            SELECT code, households FROM area_current WHERE level = 3
            ORDER BY abs(households - 6000), code LIMIT :n"""), {"n": n}).mappings().all()
    return [dict(r) for r in rows]


def propose(base: str, token: str, code: str) -> tuple[float, dict]:
    """GET one split proposal (default number of parts); (milliseconds, answer)."""
    req = urllib.request.Request(f"{base}/api/areas/{code}/split-proposal",
                                 headers={"Authorization": f"Bearer {token}"})
    started = time.perf_counter()
    with urllib.request.urlopen(req, timeout=120) as resp:
        answer = json.loads(resp.read())
    return (time.perf_counter() - started) * 1000, answer


def ping_ms(base: str, n: int = 200) -> list[float]:
    """Latencies of the trivial GET /api/ping, sent one at a time: the web stack's floor."""
    times = []
    for _ in range(n):
        started = time.perf_counter()
        with urllib.request.urlopen(f"{base}/api/ping", timeout=10) as resp:
            resp.read()
        times.append((time.perf_counter() - started) * 1000)
    return times


def warm_index(base: str, token: str, grids: list[dict]) -> None:
    """Make each worker load its locate index, so a commit times the refresh, not the load."""
    for grid in grids[:8]:
        req = urllib.request.Request(
            f"{base}/api/locate?lng={grid['x']}&lat={(grid['y0'] + grid['y1']) / 2}",
            headers={"Authorization": f"Bearer {token}"},
        )
        with urllib.request.urlopen(req, timeout=120) as resp:
            resp.read()


def bench_boundaries(bench, url: str) -> list[dict]:
    """p50/p95 of validating and saving a grid split with its re-linking."""
    from bench_wall import percentile

    from gisapp.db import make_engine

    engine = make_engine(url)
    grids = pick_grids(engine, SAMPLES + COMMITS)
    communities = pick_communities(engine, PROPOSALS)
    engine.dispose()
    token = bench.bench_token(url)
    base = f"http://127.0.0.1:{bench.HTTP_PORT}"
    times, moved, refused, committed, proposals = [], [], {}, [], []
    with bench.Server(url):
        warm_index(base, token, grids)
        ping = ping_ms(base)
        for grid in grids[:SAMPLES]:
            ms, answer = split(base, token, grid, True)
            if "error" in answer:
                refused[answer["error"]] = refused.get(answer["error"], 0) + 1
                continue
            times.append(ms)
            moved.append(answer["moved"]["households"])
        for community in communities:
            ms, answer = propose(base, token, community["code"])
            proposals.append((ms, answer))
        for grid in grids[SAMPLES:]:
            ms, answer = split(base, token, grid, False)
            if "error" not in answer:
                committed.append(ms)
                revert(base, token, grid["code"], grid["version"])
    p50 = percentile(times, 50)
    rows = [{"operation": "GET /api/ping (sequential)", "p50_ms": percentile(ping, 50),
             "p95_ms": percentile(ping, 95)},
            {"operation": "split a grid (validate + save + re-link)", "samples": len(times),
             "refused": sum(refused.values()),
             "refusals": ",".join(f"{k}:{v}" for k, v in sorted(refused.items())) or "-",
             "p50_ms": p50, "p95_ms": percentile(times, 95), "max_ms": percentile(times, 100),
             "vs_ping_p50": round(p50 / max(percentile(ping, 50), 1e-3), 1),
             "households_moved_p50": percentile(moved, 50), "target_p95_ms": 300},
            {"operation": "the same, committed (+ index refresh)", "samples": len(committed),
             "p50_ms": percentile(committed, 50), "max_ms": percentile(committed, 100)}]
    ms = [m for m, _ in proposals]
    rows.append(
        {
            "operation": "propose a split of a ~6,000-household community",
            "samples": len(ms),
            "households": ",".join(str(a["households"]) for _, a in proposals),
            "parts": ",".join(str(len(a["parts"])) for _, a in proposals),
            "balanced": sum(a["balanced"] for _, a in proposals),
            "max_spread": max(a["spread"] for _, a in proposals),
            "p50_ms": percentile(ms, 50),
            "max_ms": percentile(ms, 100),
            "target_ms": 2000,
        }
    )
    return rows

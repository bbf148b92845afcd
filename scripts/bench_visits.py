"""Five-colour visit benchmarks (scripts/bench visits), on the city-scale demo.

Imported by scripts/bench.py, which owns the city database and the table. Adds a month
of synthetic visit history once (`gisapp households demo-visits`), then times, in
process against PostGIS:

- `due_visits(person, day)` for a sample of 60 people whose roles own visits, each
  called 5 times from a point in their area: the median per person, then the median
  and 95th percentile over the people (target: median under 30 ms);
- the completion figures for the whole city over the last 30 days, per group (target:
  under 2 s), the median of 3 runs.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text

OWNER_ROLES = ["community_secretary", "community_worker", "grid_leader", "grid_worker",
               "party_member", "volunteer", "building_head"]


def ensure_history(url: str, root: Path, eng) -> int:
    with eng.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM visit")).scalar()
    if n < 100_000:
        print("adding a month of visit history (once)...", flush=True)
        subprocess.run([str(root / ".venv/bin/gisapp"), "households", "demo-visits", "--days", "30"],
                       env=dict(os.environ, GISAPP_DATABASE_URL=url), check=True)
        with eng.begin() as conn:
            conn.execute(text("ANALYZE household; ANALYZE visit"))
            n = conn.execute(text("SELECT count(*) FROM visit")).scalar()
    return n


def _people(conn) -> list:
    return conn.execute(text("""
        SELECT d.person_id, d.role, ST_X(ST_PointOnSurface(v.geom)) AS lng,
               ST_Y(ST_PointOnSurface(v.geom)) AS lat
        FROM duty d JOIN area_version v ON v.area_id = d.area_id AND v.valid_to IS NULL
        WHERE d.role = ANY(:roles)
        ORDER BY md5(d.id::text) LIMIT 60"""), {"roles": OWNER_ROLES}).all()


def bench_visits(bench, url: str) -> list[dict]:
    from gisapp.accounts.access import Viewer
    from gisapp.households.visit_stats import visit_stats
    from gisapp.households.visits import china_today, due_visits
    eng = bench.make_engine(url)
    visits = ensure_history(url, bench.ROOT, eng)
    today = china_today()
    rows = []
    with eng.connect() as conn:
        per_person, sizes = [], []
        for p in _people(conn):
            times = []
            for _ in range(5):
                started = time.perf_counter()
                due = due_visits(conn, p.person_id, today, p.lng, p.lat)
                times.append((time.perf_counter() - started) * 1000)
            per_person.append(statistics.median(times))
            sizes.append(len(due))
        rows.append({"operation": "due_visits(person, today), 60 people",
                     "p50_ms": round(statistics.median(per_person), 2),
                     "p95_ms": bench_percentile(per_person, 95),
                     "max_ms": round(max(per_person), 2),
                     "due_median": statistics.median(sizes), "visits_in_db": visits})
    admin = Viewer(0, "bench", "city_admin", None, None)
    for group in ("total", "community", "grid", "worker"):
        times = []
        for _ in range(3):
            with eng.connect() as conn:
                started = time.perf_counter()
                result = visit_stats(conn, admin, "", group, today - timedelta(days=29), today, today)
                times.append((time.perf_counter() - started) * 1000)
        rows.append({"operation": f"visit_stats(city, 30 days, group={group})",
                     "p50_ms": round(statistics.median(times), 1), "rows": len(result["rows"])})
    eng.dispose()
    return rows


def bench_percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return round(ordered[k], 2)

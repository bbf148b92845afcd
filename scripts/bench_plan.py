"""The 743 -> 841 review at city scale (scripts/bench plan): the plan's totals, the
distribution of its reasons, and the time of GET /api/boundaries/plan (the JSON of the
review, and with the map's boundaries), in process, against the bare measures query.
Wall times on a shared machine mostly measure its load, so the review is also timed in
CPU seconds: the database backend's (from /proc) plus this process's."""
from __future__ import annotations

import os
import time

ROUNDS = 5


def _median_ms(fn) -> float:
    times = []
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return round(sorted(times)[len(times) // 2], 1)


def bench_plan(bench, url: str) -> list[dict]:
    """Totals and timings of the review for the city admin."""
    from gisapp import create_app
    from gisapp.queries import loader
    sql = loader("gisapp.boundaries")
    app = create_app({"DATABASE_URL": url})
    token = bench.bench_token(url)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    plan = client.get("/api/boundaries/plan", headers=headers).get_json()
    engine = app.extensions["gisapp_engine"]

    def measures():
        with engine.connect() as conn:
            conn.execute(sql("plan_measures"), {"over": 3000, "patterns": ["%"]}).all()
    rows = [{"operation": "plan totals", "communities": plan["communities"],
             "over_threshold": plan["over_threshold"], "split": plan["split"], "kept": plan["kept"],
             "after_split": plan["after_split"], "workers": plan["workers"],
             "workers_needed": plan["workers_needed"], "workers_to_add": plan["workers_to_add"],
             "workers_first_year": plan["workers_first_year"]}]
    rows += [{"operation": f"reason: {r['name']}", "communities": r["communities"]} for r in plan["by_rule"]]
    rows.append({"operation": "GET /api/boundaries/plan", "p50_ms": _median_ms(
        lambda: client.get("/api/boundaries/plan", headers=headers).get_json())})
    rows.append({"operation": "GET /api/boundaries/plan?map=1", "p50_ms": _median_ms(
        lambda: client.get("/api/boundaries/plan?map=1", headers=headers).get_json())})
    rows.append({"operation": "plan_measures.sql alone", "p50_ms": _median_ms(measures)})
    rows.append({"operation": "review CPU (database + Python)", "cpu_s": _review_cpu(app)})
    app.extensions["gisapp_engine"].dispose()
    return rows


def _backend_cpu(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _review_cpu(app) -> float:
    """Median CPU seconds of one review of the whole city (the work of the API call)."""
    from sqlalchemy import text

    from gisapp.accounts.access import Viewer
    from gisapp.boundaries.city_plan import city_plan
    from gisapp.boundaries.plan_rule import Thresholds
    viewer = Viewer(None, "bench", "city_admin", None, None)
    with app.app_context(), app.extensions["gisapp_engine"].connect() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        spent = []
        for _ in range(ROUNDS):
            db0, py0 = _backend_cpu(pid), time.process_time()
            city_plan(conn, viewer, Thresholds.from_config(app.config), 0.6)
            spent.append(_backend_cpu(pid) - db0 + time.process_time() - py0)
    return round(sorted(spent)[len(spent) // 2], 2)

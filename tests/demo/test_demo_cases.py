"""The demo's year of cases flows like a city's year (gisapp/demo/cases.py)."""
from __future__ import annotations

from datetime import datetime

import numpy as np
from sqlalchemy import text

from gisapp.cases.workhours import CHINA
from gisapp.demo.cases import report_times, walk

NOW = datetime(2026, 12, 3, 19, 45, tzinfo=CHINA)


def simulated_year(n: int = 120_000):
    """A city's year (about 330 reports a day) as the generator draws it."""
    rng = np.random.default_rng(1)
    reported = report_times(rng, n, NOW)
    limits = rng.choice([8.0, 16.0, 24.0, 40.0], n)
    return reported, walk(rng, reported, limits, NOW.timestamp())


def test_a_year_of_cases_is_mostly_closed_and_mostly_on_time():
    reported, flow = simulated_year()
    state = flow["state"]
    final = np.isin(state, ["closed", "evaluated", "cancelled"])
    assert final.mean() > 0.98
    active = np.isin(state, ["reported", "registered", "dispatched", "in_progress", "escalated"])
    assert 150 < active.sum() < 1500                    # a day or two of reports, not 10,000
    assert (state == "reported").sum() < 0.2 * active.sum()
    done = ~np.isnan(flow["handled_at"])
    on_time = flow["handled_at"][done] <= flow["deadline_at"][done]
    assert 0.8 < on_time.mean() < 0.95
    running = np.isin(state, ["dispatched", "in_progress", "escalated"])
    overdue = running & (flow["deadline_at"] < NOW.timestamp())
    assert overdue.sum() < 0.15 * active.sum()
    # Reports per day: a few hundred, and today's so far (19:45) most of a day's.
    day = 86400
    assert 250 < (reported > NOW.timestamp() - 30 * day).sum() / 30 < 420
    midnight = NOW.replace(hour=0, minute=0).timestamp()
    assert 150 < (reported >= midnight).sum() < 420


def test_more_reports_by_day_than_by_night():
    reported, _ = simulated_year(20_000)
    hours = np.array([datetime.fromtimestamp(t, CHINA).hour for t in reported])
    assert (hours == 10).sum() > 5 * (hours == 3).sum()


def test_demo_cases_command_writes_the_flow(runner, engine):
    result = runner.invoke(args=["demo-cases", "--per-district", "12"])
    assert result.exit_code == 0, result.output
    with engine.connect() as conn:
        rows = conn.execute(text("""
            SELECT state, count(*) AS n,
                   bool_and(dispatched_at IS NULL OR deadline_at > dispatched_at) AS deadlines,
                   bool_and(closed_at IS NULL OR closed_at >= handled_at) AS ordered,
                   bool_and(reported_at <= now()) AS past
            FROM case_file WHERE description LIKE '示范案件%' GROUP BY state""")).all()
    assert sum(r.n for r in rows) == 12
    assert all(r.deadlines and r.ordered and r.past for r in rows)
    assert {r.state for r in rows} <= {"closed", "evaluated", "cancelled", "verified", "handled",
                                       "in_progress", "dispatched", "registered", "reported"}

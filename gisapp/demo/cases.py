"""A year of demo cases that flows like a city's year (`gisapp demo-cases`).

Each case is reported at a plausible moment (more by day than by night, fewer at
weekends) and then walks the case flow with durations drawn per stage: registered
within the hour or so, a few cancelled as invalid, a few escalated to a joint review,
dispatched, accepted, handled (most within the deadline, some late), verified, closed,
and about half evaluated. Its state is where that timeline stands now, so the old
cases are closed, today's are still open, and only the late ones still running are
overdue. With N cases a year a district gets about N/365 reports a day.
"""
from __future__ import annotations

from datetime import datetime

import numpy as np
from sqlalchemy.engine import Connection

from ..cases.workhours import CHINA
from ..queries import loader

sql = loader(__package__)

HOUR = 3600.0
# Reports per hour of the day (China time), relative; and per weekday (Monday first).
HOURLY = np.array([1, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.5, 4.5, 6, 6.5, 6, 4.5, 4.5, 5.5, 6,
                   5.5, 4.5, 3.5, 3, 2.6, 2.2, 1.8, 1.3])
WEEKDAY = np.array([1.0, 1.0, 1.0, 1.0, 0.95, 0.7, 0.65])
# How often each category is reported, relative (unknown categories: 0.03).
CATEGORY_WEIGHT = {
    "rubbish": 0.16, "parking": 0.14, "noise": 0.08, "street_light": 0.07, "road_damage": 0.07,
    "sewage": 0.05, "illegal_construction": 0.05, "fire_exit": 0.08, "electric_hazard": 0.06,
    "falling_object": 0.03, "building_safety": 0.02, "gas": 0.02, "family_dispute": 0.04,
    "neighbour_dispute": 0.07, "labour_dispute": 0.02, "property_dispute": 0.03,
}
CANCELLED, ESCALATED, LATE, REWORK, EVALUATED, PUBLIC = 0.04, 0.015, 0.12, 0.05, 0.55, 0.3
# A working hour of a case's time limit is about three hours on the clock (8 h a day,
# weekends off), as the existing demo assumed.
CLOCK_PER_WORK_HOUR = 3.0


def add_cases(conn: Connection, district: str, per_year: int, seed: int, now: datetime) -> int:
    """Add about `per_year` cases in one district (one per sampled household); their count."""
    picks = conn.execute(sql("demo_case_picks"), {"district": district, "n": per_year,
                                                  "seed": str(seed)}).all()
    if not picks:
        return 0
    cats = conn.execute(sql("demo_case_categories")).all()
    rng = np.random.default_rng([seed, int(district)])
    n = len(picks)
    weights = np.array([CATEGORY_WEIGHT.get(c.key, 0.03) for c in cats])
    chosen = rng.choice(len(cats), size=n, p=weights / weights.sum())
    limits = np.array([float(c.limit_hours) for c in cats])[chosen]
    reported = report_times(rng, n, now)
    flow = walk(rng, reported, limits, now.timestamp())
    lng = np.array([p.lng for p in picks]) + (rng.random(n) - 0.5) * 0.0004
    lat = np.array([p.lat for p in picks]) + (rng.random(n) - 0.5) * 0.0003
    conn.execute(sql("demo_case_insert"), {
        "category": [cats[i].key for i in chosen], "lng": lng.tolist(), "lat": lat.tolist(),
        "area_id": [p.area_id for p in picks], "area_code": [p.code for p in picks],
        "reporter_kind": np.where(rng.random(n) < PUBLIC, "public", "staff").tolist(),
        "reported_at": _times(reported), **{k: _times(v) if v.dtype == float else v.tolist()
                                             for k, v in flow.items()}})
    return n


def report_times(rng: np.random.Generator, n: int, now: datetime) -> np.ndarray:
    """n moments (Unix seconds) in the year before `now`, by the hourly and weekly rhythm."""
    end = now.timestamp()
    out = np.empty(0)
    while out.size < n:
        t = end - rng.random(3 * n) * 365 * 86400
        local = [datetime.fromtimestamp(s, CHINA) for s in t]
        w = HOURLY[[d.hour for d in local]] * WEEKDAY[[d.weekday() for d in local]]
        out = np.concatenate([out, t[rng.random(t.size) * w.max() < w]])
    return np.sort(out[:n])


def _lognormal(rng, median_h: float, sigma: float, n: int) -> np.ndarray:
    return median_h * HOUR * np.exp(sigma * rng.standard_normal(n))


def walk(rng: np.random.Generator, reported: np.ndarray, limit_h: np.ndarray,
         now: float) -> dict[str, np.ndarray]:
    """Each case's timeline from its report, and the state it has reached by `now`.

    Times are Unix seconds, NaN where a step is not (yet) reached."""
    n = reported.size
    registered = reported + _lognormal(rng, 0.7, 0.8, n)
    cancelled = rng.random(n) < CANCELLED
    escalated = ~cancelled & (rng.random(n) < ESCALATED)
    dispatched = registered + _lognormal(rng, 1.0, 0.7, n)
    dispatched[escalated] += _lognormal(rng, 20, 0.5, int(escalated.sum()))
    deadline = dispatched + limit_h * CLOCK_PER_WORK_HOUR * HOUR
    accepted = dispatched + _lognormal(rng, 0.5, 0.8, n)
    late = rng.random(n) < LATE
    span = deadline - dispatched
    share = np.where(late, 1 + _lognormal(rng, 0.3, 0.7, n) / HOUR, 0.1 + 0.85 * rng.random(n))
    handled = np.maximum(dispatched + span * share, accepted + 0.25 * HOUR)
    verified = handled + _lognormal(rng, 3, 0.8, n)
    closed = verified + _lognormal(rng, 6, 0.8, n)
    evaluated = np.where(rng.random(n) < EVALUATED, closed + _lognormal(rng, 24, 0.8, n), np.inf)
    steps = [(registered, "registered"), (dispatched, "dispatched"), (accepted, "in_progress"),
             (handled, "handled"), (verified, "verified"), (closed, "closed"),
             (evaluated, "evaluated")]
    state = np.full(n, "reported", dtype=object)
    for at, name in steps:
        state[at <= now] = name
    state[escalated & (registered <= now) & (now < dispatched)] = "escalated"
    state[cancelled & (registered <= now)] = "cancelled"
    reached = lambda at: np.where((at <= now) & ~cancelled, at, np.nan)  # noqa: E731
    return {
        "state": state, "dispatched_at": reached(dispatched),
        "deadline_at": np.where(~np.isnan(reached(dispatched)), deadline, np.nan),
        "handled_at": reached(handled), "closed_at": reached(closed),
        "rework_count": (rng.random(n) < REWORK).astype(int),
        "evaluation": np.where(state == "evaluated", rng.choice([3, 4, 4, 5, 5, 5], n), 0),
        "escalation_level": np.where(state == "escalated", "community", ""),
    }


def _times(seconds: np.ndarray) -> list:
    return [None if np.isnan(s) else datetime.fromtimestamp(s, CHINA) for s in seconds]


"""The indicators of the assessment, computed from the data for any period.

Every indicator is a numerator over a denominator for one subject (a community, a grid or
a worker): the case closure, on-time and rework rates (case_file), visit completion
(the visit rollup, per colour), demands resolved on time, consultation follow-through
(topic tasks done by their deadline) and residents' satisfaction (answers of 4 or 5 out
of 5). Each returns {subject: (numerator, denominator)}.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ..cases.workhours import CHINA
from ..households.records import COLOURS
from ..households.visit_stats import _bounds  # the period's bounds as the visit figures define them
from ..households.visits import no_jit
from ..queries import loader

sql = loader(__package__)

LEVELS = ("community", "grid", "worker")
CODE_LENGTH = {"community": 12, "grid": 15}
AREA_LEVEL = {"community": 3, "grid": 4}
WORKER_ROLES = ("community_worker", "grid_leader", "grid_worker")
INDICATORS = (
    "case_closure",
    "case_on_time",
    "case_rework",
    "visit_completion",
    "demand_on_time",
    "topic_followup",
    "satisfaction",
)


def _area(column: str, level: str) -> str:
    n = CODE_LENGTH[level]
    return f"CASE WHEN length({column}) >= {n} THEN left({column}, {n}) END"


# The subject of each row per level: whitelisted SQL expressions, never request text.
# None: the indicator has no subject at that level (a demand belongs to no worker).
SUBJECTS = {
    "case_figures": {
        "community": _area("c.area_code", "community"),
        "grid": _area("c.area_code", "grid"),
        "worker": "c.assignee_person_id::text",
    },
    "satisfaction_figures": {
        "community": _area("s.area_code", "community"),
        "grid": _area("s.area_code", "grid"),
        "worker": "s.person_id::text",
    },
    "demand_figures": {
        "community": _area("d.area_code", "community"),
        "grid": _area("d.area_code", "grid"),
        "worker": None,
    },
    "topic_figures": {
        "community": _area("p.area_code", "community"),
        "grid": _area("p.area_code", "grid"),
        "worker": "t.owner_person_id::text",
    },
}
# Tables that another part of the system adds (demands, consultation): until they exist
# their indicators have no data rather than failing.
NEEDS_TABLE = {"demand_figures": "demand", "topic_figures": "topic_task"}


@dataclass(frozen=True)
class Period:
    """The days [start, end] in China time, and the instants that bound them."""

    start: date
    end: date

    @property
    def from_ts(self) -> datetime:
        return datetime.combine(self.start, time(), CHINA)

    @property
    def to_ts(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time(), CHINA)

    def params(self) -> dict:
        return {
            "from_ts": self.from_ts,
            "to_ts": self.to_ts,
            "from_day": self.start,
            "to_day": self.end,
        }


def subjects(conn: Connection, level: str, scope: str, period: Period) -> list[dict]:
    """Who is assessed at `level` inside `scope`: subject key, label, area code."""
    if level == "worker":
        rows = conn.execute(
            sql("worker_subjects"), {"scope": scope, "roles": list(WORKER_ROLES), **period.params()}
        )
    else:
        rows = conn.execute(sql("area_subjects"), {"scope": scope, "level": AREA_LEVEL[level]})
    return [dict(r) for r in rows.mappings()]


def figures(
    conn: Connection, level: str, scope: str, period: Period, today: date
) -> dict[str, dict[str, tuple[float, float]]]:
    """{indicator: {subject: (numerator, denominator)}} for every indicator."""
    params = {"scope": scope, **period.params()}
    cases = _grouped(conn, "case_figures", level, params)
    out = {
        "case_closure": {s: (r["closed"], r["registered"]) for s, r in cases.items()},
        "case_on_time": {s: (r["closed_on_time"], r["closed"]) for s, r in cases.items()},
        "case_rework": {s: (r["reworked"], r["handled"]) for s, r in cases.items()},
        "visit_completion": {
            s: (v["done"], v["expected"])
            for s, v in visit_figures(conn, level, scope, period, today).items()
        },
    }
    pairs = {
        "satisfaction": ("satisfaction_figures", "satisfied", "answers"),
        "demand_on_time": ("demand_figures", "on_time", "due"),
        "topic_followup": ("topic_figures", "done", "due"),
    }
    for key, (name, num, den) in pairs.items():
        out[key] = {s: (r[num], r[den]) for s, r in _grouped(conn, name, level, params).items()}
    return out


def _grouped(conn: Connection, name: str, level: str, params: dict) -> dict[str, dict]:
    subject = SUBJECTS[name][level]
    if subject is None or not _table_exists(conn, NEEDS_TABLE.get(name)):
        return {}
    stmt = text(sql(name).text.format(subject=subject))
    return {r["subject"]: dict(r) for r in conn.execute(stmt, params).mappings()}


def _table_exists(conn: Connection, table: str | None) -> bool:
    if table is None:
        return True
    return conn.execute(text("SELECT to_regclass(:t) IS NOT NULL"), {"t": table}).scalar()


def visit_figures(
    conn: Connection, level: str, scope: str, period: Period, today: date
) -> dict[str, dict]:
    """Visits due and done per subject, with the same figures per colour."""
    params = {
        **_bounds(period.start, period.end, today),
        "scope": scope,
        "patterns": ["%"],
        "roles": list(WORKER_ROLES),
        "n": CODE_LENGTH.get(level),
    }
    no_jit(conn)
    # ~400,000 coloured households in a city: let the aggregates stay in memory.
    conn.execute(text("SET LOCAL work_mem = '128MB'"))
    name = "visit_worker_figures" if level == "worker" else "visit_area_figures"
    out: dict[str, dict] = {}
    for subject, colour, households, expected, done in conn.execute(sql(name), params).all():
        # Visits due and done are whole visits (sql/130_visit_rollup.sql); the SQL sums floats.
        expected, done = round(expected), round(done)
        s = out.setdefault(subject, {"done": 0, "expected": 0, "by_colour": {}})
        s["done"] += done
        s["expected"] += expected
        s["by_colour"][COLOURS.get(colour, colour)] = {
            "done": done,
            "expected": expected,
            "households": households,
        }
    return out

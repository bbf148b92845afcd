"""Supervision figures for five-colour visits: completion and overdue counts per colour,
per worker, grid or community, over a period; the map of overdue households."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ..accounts.access import SUPERVISORS, Viewer
from ..cases.workhours import CHINA
from ..errors import BadInput, Forbidden
from ..queries import loader
from ..web.geojson import point_collection
from .records import COLOURS
from .visits import no_jit

sql = loader(__package__)

GROUPS = {"total": 0, "district": 6, "street": 9, "community": 12, "grid": 15, "microgrid": 18,
          "worker": None}
# Where a supervisor's page opens: one level below the widest duty, so a district opens at
# its communities (drilling down to grids), never at every grid of the district at once.
OPENING_GROUP = {"city_admin": "district", "wall_viewer": "district",
                 "district_supervisor": "community", "street_supervisor": "community"}
STATS_ROLES = SUPERVISORS + ("grid_leader", "wall_viewer")
MAX_DAYS = 366
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


def require_supervision(viewer: Viewer) -> None:
    """Completion figures are for supervisors, grid leaders and the command centre."""
    viewer.require_login()
    if viewer.role not in STATS_ROLES:
        raise Forbidden(
            "只有主管、网格长和指挥中心可以查看走访考核 (visit figures are for supervisors)"
        )


def opening_group(viewer: Viewer) -> str:
    """The grouping the supervision page opens with for this viewer's role."""
    return OPENING_GROUP.get(viewer.role, "grid")


def parse_period(raw_from: str | None, raw_to: str | None, today: date) -> tuple[date, date]:
    """An inclusive [from, to] of days; default the last 30 days up to today."""
    def day(raw, name, default):
        if not raw:
            return default
        try:
            value = date.fromisoformat(raw)
        except ValueError:
            raise BadInput(f"{name} must be a date YYYY-MM-DD", field=name) from None
        if not FIRST_DAY <= value <= LAST_DAY:
            raise BadInput(f"{name} must lie between {FIRST_DAY} and {LAST_DAY}", field=name)
        return value
    to = day(raw_to, "to", today)
    start = day(raw_from, "from", to - timedelta(days=29))
    if start > to:
        raise BadInput("from must not be after to", field="from")
    if (to - start).days + 1 > MAX_DAYS:
        raise BadInput(f"the period is at most {MAX_DAYS} days", field="from")
    return start, to


def _bounds(start: date, end: date, today: date) -> dict:
    # The period ends at the end of `end` (China time), or now if that is in the future.
    from_ts = datetime.combine(start, time(), CHINA)
    to_ts = datetime.combine(end + timedelta(days=1), time(), CHINA)
    # Visits are read back to more than the longest cadence (3 months) before the end:
    # for colours whose cadence is longer than the period, and for the last visit
    # before the end (see visit_figures_by_leaf in sql/130_visit_rollup.sql).
    window_ts = min(from_ts, to_ts - timedelta(days=100))
    return {
        "from_ts": from_ts,
        "to_ts": to_ts,
        "window_ts": window_ts,
        "from_day": start,
        "to_day": end,
        "days": (end - start).days + 1,
        "end_day": min(end, today),
    }


def visit_stats(conn: Connection, viewer: Viewer, area: str, group: str, start: date, end: date,
                today: date) -> dict:
    """Completion rows per group and colour, and totals per colour, within the viewer's areas."""
    if group not in GROUPS:
        raise BadInput(f"group must be one of {', '.join(GROUPS)}", field="group")
    params = {"prefix": area, "patterns": viewer.like_patterns(), **_bounds(start, end, today)}
    no_jit(conn)
    # A city is ~400,000 coloured households in ~120,000 leaf areas and colours: let the
    # hash aggregates fit in memory instead of spilling to disk in batches.
    conn.execute(text("SET LOCAL work_mem = '128MB'"))
    if group == "worker":
        # The planner cannot size the figures summed up the area tree (a function's rows
        # grouped three times) and sorts 170,000 codes for a merge join; hashing them
        # is 0.2 s quicker over a city (scripts/bench visits).
        conn.execute(text("SET LOCAL enable_mergejoin = off"))
        result = conn.execute(sql("visits_stats_worker"), params)
    else:
        result = conn.execute(sql("visits_stats"), {**params, "code_length": GROUPS[group]})
    # Plain tuples zipped with the column names: a city's grids or workers are 50,000 to
    # 100,000 rows, where mappings and per-row dict copies cost half a second.
    keys = list(result.keys())
    out = [_finish(dict(zip(keys, row))) for row in result.fetchall()]    # not row by row
    return {"area": area, "group": group, "from": start.isoformat(), "to": end.isoformat(),
            "days": params["days"], "rows": out, "by_colour": _by_colour(out)}


def _finish(r: dict) -> dict:
    r["key"], r["name"] = str(r["key"]), r["name"] or ""
    r["colour"] = COLOURS.get(r["colour"], r["colour"])
    # Visits due and done are whole visits (sql/130_visit_rollup.sql); the SQL sums floats.
    r["expected"], r["done"] = round(r["expected"]), round(r["done"])
    r["completion_rate"] = round(r["done"] / r["expected"], 4) if r["expected"] else None
    return r


_TOTALS = ("households", "expected", "done", "overdue", "visits")


def _by_colour(rows: list[dict]) -> dict:
    """Totals per colour over the rows (grouped by worker, a household owned by two
    workers counts for each)."""
    sums: dict[str, list] = {}
    for r in rows:
        t = sums.get(r["colour"])
        if t is None:
            t = sums[r["colour"]] = [0, 0, 0, 0, 0]
        t[0] += r["households"]
        t[1] += r["expected"]
        t[2] += r["done"]
        t[3] += r["overdue"]
        t[4] += r["visits"]
    out = {}
    for colour, t in sums.items():
        d = dict(zip(_TOTALS, t))
        d["completion_rate"] = round(d["done"] / d["expected"], 4) if d["expected"] else None
        out[colour] = d
    return out


def overdue_map(conn: Connection, viewer: Viewer, area: str, day: date, limit: int = 5000) -> dict:
    """Overdue households as GeoJSON points, for those who may see households in person."""
    if not viewer.may_see_personal_data():
        raise Forbidden("只有负有住户职责的人员可以查看逾期住户地图 (personal data)")
    no_jit(conn)
    rows = (
        conn.execute(
            sql("visits_overdue_map"),
            {"prefix": area, "patterns": viewer.like_patterns(), "day": day, "limit": limit},
        )
        .mappings()
        .all()
    )
    return point_collection(rows, lambda r: _overdue_properties(r, day))


def _overdue_properties(r, day: date) -> dict:
    return {
        "id": r["id"],
        "colour": r["colour"],
        "area_code": r["area_code"],
        "area_name": r["area_name"],
        "due_on": r["due_on"].isoformat(),
        "overdue_days": (day - r["due_on"]).days,
        "last_visit_at": r["last_visit_at"].isoformat() if r["last_visit_at"] else None,
    }

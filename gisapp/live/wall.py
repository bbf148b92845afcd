"""The command centre's map wall: who may watch it, and the figures its panel shows."""
from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from importlib import resources

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ..accounts.access import SUPERVISORS, Viewer
from ..accounts.small_counts import shown
from ..areas.features import LEVELS
from ..cases.report import CLOCK_STATES, FINAL_STATES, visibility_sql
from ..cases.workhours import CHINA
from ..errors import BadInput, Forbidden

WALL_ROLES = ("wall_viewer",) + SUPERVISORS
CODE_LENGTH = {1: 6, 2: 9, 3: 12, 4: 15, 5: 18}


def require_wall(viewer: Viewer) -> None:
    """The wall is for the command centre and supervisors (login first, then the role)."""
    viewer.require_login()
    if viewer.role not in WALL_ROLES:
        raise Forbidden("只有指挥中心和主管可以查看大屏 (the map wall is for the command "
                        "centre and supervisors)")


@cache
def _query(name: str) -> str:
    return resources.files(__package__).joinpath("queries", f"{name}.sql").read_text()


def _visible_query(name: str, viewer: Viewer) -> tuple:
    visible, params = visibility_sql(viewer)
    # `visible` is one of visibility_sql's fixed fragments, never request text.
    return text(_query(name).replace("{visible}", visible)), params


def summary(conn: Connection, viewer: Viewer, now: datetime, small: int = 5) -> dict:
    """Live counters: active cases by state, overdue, today's flow, red households (under
    `small` shown as "<5" to a screen without a duty toward them, see small_counts)."""
    by_state, params = _visible_query("wall_cases_by_state", viewer)
    rows = conn.execute(by_state, {**params, "clock_states": list(CLOCK_STATES),
                                   "final_states": list(FINAL_STATES)}).all()
    today_q, params = _visible_query("wall_today", viewer)
    day_start = now.astimezone(CHINA).replace(hour=0, minute=0, second=0, microsecond=0)
    today = dict(conn.execute(today_q, {**params, "day_start": day_start,
                                        "patterns": viewer.like_patterns()}).mappings().one())
    exact = bool(viewer.duty_patterns())
    red_done = shown(today.pop("red_visits_done"), exact, small)
    homes = conn.execute(text(_query("wall_households")), {
        "citywide": viewer.citywide, "codes": list(viewer.prefixes or ())}).mappings().one()
    return {
        "at": now.isoformat(),
        "active_by_state": {r.state: r.cases for r in rows},
        "active": sum(r.cases for r in rows),
        "overdue": sum(r.overdue for r in rows),
        **today,
        "households": homes["households"],
        # Red households are visited daily: all are due today; done counts those visited.
        "red_visits": {"due": shown(homes["red"], exact, small), "done": red_done},
    }


def wall_extent(conn: Connection) -> list[float] | None:
    """[west, south, east, north] of the districts held, for the wall's first view."""
    row = conn.execute(text(_query("wall_extent"))).one()
    return None if row.west is None else [row.west, row.south, row.east, row.north]


def choropleth(conn: Connection, viewer: Viewer, level: str, days: int, now: datetime,
               small: int = 5) -> dict:
    """Cases and overdue five-colour visits per 1,000 households, per area of a level
    (overdue counts under `small` hidden from a screen without a duty, see small_counts)."""
    if level not in LEVELS:
        raise BadInput(f"level must be one of {', '.join(LEVELS)}", field="level")
    query, params = _visible_query("wall_choropleth", viewer)
    number = LEVELS[level]
    rows = conn.execute(query, {
        **params, "level": number, "code_length": CODE_LENGTH[number],
        "since": (now - timedelta(days=days)).isoformat(), "patterns": viewer.like_patterns(),
        "final_states": list(FINAL_STATES), "clock_states": list(CLOCK_STATES)}).mappings().all()
    overdue = dict(conn.execute(text(_query("wall_overdue_visits")), {
        "code_length": CODE_LENGTH[number], "patterns": viewer.like_patterns(),
        "today": now.astimezone(CHINA).date()}).all())
    exact, areas = bool(viewer.duty_patterns()), []
    for r in rows:
        late = shown(overdue.get(r["code"], 0), exact, small)
        areas.append({**r, "overdue_visits": late, "overdue_visits_per_1000":
                      round(1000.0 * late / r["households"], 2)
                      if r["households"] and isinstance(late, int) else None})
    return {"level": level, "days": days, "areas": areas}

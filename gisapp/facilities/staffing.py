"""Staffing analysis: households against the staff on duty, per community or grid, and totals.

The plan's rules (DOMAIN.md): one community worker (社区工作者) per 200 households; one
grid information officer (网格信息员) per 50-100 households. The minimum needed uses 100
households per officer, the upper end of the range 50. In grids, the worker counted is
the grid worker (网格员), also one per 200 households. Household counts are the areas'
cached counts (`refresh_area_counts()`); staff are distinct people on a current duty in
the area or below it. Only counts leave this module, never a name.
"""
from __future__ import annotations

import math

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ..areas.features import LEVELS
from ..errors import NotFound
from ..queries import loader

sql = loader(__package__)

HOUSEHOLDS_PER_WORKER = 200
HOUSEHOLDS_PER_OFFICER_MIN = 100     # the minimum needed: one officer per 100 households
HOUSEHOLDS_PER_OFFICER_MAX = 50      # the top of the range: one per 50
WORKER_ROLE = {"community": "community_worker", "grid": "grid_worker"}
CODE_LENGTH = {"community": 12, "grid": 15}
SUMMED = ("households", "workers", "workers_needed", "workers_shortfall", "info_officers",
          "info_officers_needed", "info_officers_needed_max", "info_officers_shortfall",
          "info_officers_shortfall_max")


def workers_needed(households: int) -> int:
    """Community (or grid) workers at one per 200 households, to the nearest, at least one.

    Rounded to the nearest, not up: summed over the communities this gives the city's own
    arithmetic (2.68 M households / 200 = 13,400 needed), where rounding up would add half
    a worker per community (about 370 in all) that the plan never counted."""
    return max(1, math.floor(households / HOUSEHOLDS_PER_WORKER + 0.5)) if households else 0


def needs(households: int, workers: int, info_officers: int) -> dict:
    """Staff needed for a number of households and the shortfall against those on duty."""
    w_need = workers_needed(households)
    o_need = math.ceil(households / HOUSEHOLDS_PER_OFFICER_MIN)
    o_max = math.ceil(households / HOUSEHOLDS_PER_OFFICER_MAX)
    return {"workers_needed": w_need, "workers_shortfall": max(0, w_need - workers),
            "info_officers_needed": o_need, "info_officers_needed_max": o_max,
            "info_officers_shortfall": max(0, o_need - info_officers),
            "info_officers_shortfall_max": max(0, o_max - info_officers)}


def staffing(conn: Connection, level: str = "community", area: str | None = None) -> dict:
    """Per area at `level` (community or grid) inside `area` (or the city): staff and needs."""
    if area and conn.execute(text("SELECT 1 FROM area WHERE code = :c AND retired_at IS NULL"),
                             {"c": area}).first() is None:
        raise NotFound(f"没有编码为 {area} 的区域 (no current area with code {area})", code=area)
    rows = conn.execute(sql("staffing"), {
        "level": LEVELS[level], "len": CODE_LENGTH[level], "prefix": area or "",
        "worker_role": WORKER_ROLE[level]}).mappings().all()
    out = [dict(r, **needs(r["households"], r["workers"], r["info_officers"])) for r in rows]
    totals = {k: sum(r[k] for r in out) for k in SUMMED}
    return {"level": level, "area": area, "worker_role": WORKER_ROLE[level],
            "rules": {"households_per_worker": HOUSEHOLDS_PER_WORKER,
                      "households_per_info_officer": [HOUSEHOLDS_PER_OFFICER_MAX,
                                                      HOUSEHOLDS_PER_OFFICER_MIN]},
            "areas": len(out), "totals": totals, "rows": out}

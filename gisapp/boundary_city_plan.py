"""The city plan report (拆分规划): every community over 3,000 households, how many parts
the plan would split it into, the count of communities after splitting (the plan's
"743 → 841"), and community workers needed at one per 200 households against those on
duty (its "+5,000"). Staff and household counts come from the staffing analysis
(gisapp/staffing.py); the parts of one community are drawn by the split proposal
(gisapp/boundary_proposals.py) when the supervisor opens it in the editor.
"""
from __future__ import annotations

import math

from sqlalchemy.engine import Connection

from .access import Viewer
from .boundary_proposals import HOUSEHOLDS_PER_COMMUNITY
from .staffing import staffing

CSV_FIELDS = ("code", "name", "households", "parts", "households_per_part", "workers",
              "workers_needed", "workers_shortfall")


def parts_for(households: int, threshold: int) -> int:
    """Parts that bring a community under `threshold` households each."""
    return max(2, math.ceil(households / threshold))


def city_plan(conn: Connection, viewer: Viewer,
              threshold: int = HOUSEHOLDS_PER_COMMUNITY) -> dict:
    """The communities over `threshold` households in the viewer's jurisdiction, and totals."""
    rows = [r for r in staffing(conn, "community")["rows"] if viewer.covers(r["code"])]
    over = []
    for r in rows:
        if r["households"] > threshold:
            parts = parts_for(r["households"], threshold)
            over.append({**r, "parts": parts, "households_per_part": round(r["households"] / parts),
                         "street": r["code"][:9]})
    workers = sum(r["workers"] for r in rows)
    needed = sum(r["workers_needed"] for r in rows)
    return {"threshold": threshold, "communities": len(rows), "over_threshold": len(over),
            "after_split": len(rows) + sum(r["parts"] - 1 for r in over),
            "households": sum(r["households"] for r in rows), "workers": workers,
            "workers_needed": needed, "workers_to_add": max(0, needed - workers),
            "rows": over}

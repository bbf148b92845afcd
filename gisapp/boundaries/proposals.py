"""Proposals the supervisor reviews before saving: split an area (a community over 3,000
households, say) into k parts of nearly equal households.

The households' places (buildings, or homes without a building) are divided by recursive
bisection: cut along the longer side of their extent where the running household count
reaches the share of the parts on that side, then cut each side again. Each part is thus
a compact, contiguous run of neighbouring buildings, and parts differ by at most the size
of one building. The geometry — Voronoi cells of the places, merged per part and clipped
to the area — is built in PostGIS (gisapp/queries/boundary_proposal_*.sql); only the
ordering of a few thousand points happens here.
"""
from __future__ import annotations

import json
import math

import numpy as np
from sqlalchemy import text
from sqlalchemy.engine import Connection

from ..accounts.access import Viewer
from ..errors import BadInput, Forbidden, NotFound
from ..queries import loader
from .input_checks import Child, ChildrenEdit
from .save import require_editor, save_children

sql = loader(__package__)

HOUSEHOLDS_PER_COMMUNITY = 3000      # the plan: review every community over 3,000 households
MAX_PARTS = 12
BALANCE = 0.15                        # households per part within ±15% of each other


def default_parts(households: int) -> int:
    """How many parts bring an area under 3,000 households each (at least two)."""
    return max(2, math.ceil(households / HOUSEHOLDS_PER_COMMUNITY))


def propose_split(conn: Connection, viewer: Viewer, code: str, parts: int | None = None) -> dict:
    """A proposed split of an area into `parts` parts of nearly equal households."""
    if not viewer.covers(code):
        raise Forbidden(f"{code} 不在你的管辖范围内 ({code} is outside your jurisdiction)", code=code)
    places = conn.execute(sql("boundary_proposal_points"), {"code": code}).all()
    total = sum(p.n for p in places)
    parts = parts or default_parts(total)
    if not 2 <= parts <= MAX_PARTS:
        raise BadInput(f"parts 必须在 2 到 {MAX_PARTS} 之间 (parts must be 2-{MAX_PARTS})", field="parts")
    if len(places) < parts:
        if conn.execute(sql("boundary_parent"), {"code": code}).first() is None:
            raise NotFound(f"没有编码为 {code} 的区域 (no current area with code {code})", code=code)
        raise BadInput(f"{code} 只有 {len(places)} 处住户，不足以分为 {parts} 部分 (too few "
                       f"households' places to make {parts} parts)", code=code)
    xy = np.array([(p.x, p.y) for p in places])
    labels = bisect(xy, np.array([p.n for p in places], dtype=float), parts)
    payload = [{"x": float(x), "y": float(y), "part": int(k), "n": int(p.n)}
               for (x, y), k, p in zip(xy, labels, places)]
    rows = conn.execute(sql("boundary_proposal_parts"),
                        {"code": code, "places": json.dumps(payload)}).mappings().all()
    counts = [r["households"] for r in rows]
    mean = total / parts
    return {"code": code, "households": total, "parts": [dict(r) for r in rows],
            "spread": round((max(counts) - min(counts)) / mean, 4) if mean else 0.0,
            "balanced": bool(mean) and (max(counts) - min(counts)) <= 2 * BALANCE * mean}


def bisect(xy: np.ndarray, weights: np.ndarray, parts: int, first: int = 0) -> np.ndarray:
    """Part numbers (first .. first+parts-1) for weighted points, by recursive bisection."""
    labels = np.full(len(xy), first)
    if parts == 1 or len(xy) < 2:
        return labels
    left = parts // 2
    # Longer side in metres: a degree of longitude shrinks with the cosine of latitude.
    scale = np.array([math.cos(math.radians(float(xy[:, 1].mean()))), 1.0])
    extent = (xy.max(axis=0) - xy.min(axis=0)) * scale
    order = np.lexsort((xy[:, 1 - int(np.argmax(extent))], xy[:, int(np.argmax(extent))]))
    running = np.cumsum(weights[order])
    target = running[-1] * left / parts
    cut = int(np.argmin(np.abs(running - target))) + 1
    cut = min(max(cut, left), len(xy) - (parts - left))     # every part keeps a place
    labels[order[:cut]] = bisect(xy[order[:cut]], weights[order[:cut]], left, first)
    labels[order[cut:]] = bisect(xy[order[cut:]], weights[order[cut:]], parts - left, first + left)
    return labels


# --- gridding an area without children ------------------------------------------------------

GRID_HOUSEHOLDS = 250            # grids of 200-300 households: aim at the middle
MICROGRID_HOUSEHOLDS = 75        # micro-grids of 50-100
COMMUNITY_LEVEL, GRID_LEVEL = 3, 4


def _count(households: float, per: int) -> int:
    return max(1, round(households / per))


def propose_grids(conn: Connection, viewer: Viewer, code: str) -> dict:
    """Grids of ~250 households for a community, each in micro-grids of ~75 (for a grid:
    its micro-grids only). Parts nest exactly: both come from the same Voronoi cells."""
    if not viewer.covers(code):
        raise Forbidden(f"{code} 不在你的管辖范围内 ({code} is outside your jurisdiction)", code=code)
    level = len(code) // 3 - 1
    if level not in (COMMUNITY_LEVEL, GRID_LEVEL):
        raise BadInput("只能为社区或网格划分网格 (only a community or a grid can be gridded)", code=code)
    places = conn.execute(sql("boundary_proposal_points"), {"code": code}).all()
    if not places:
        raise BadInput(f"{code} 内没有住户 (no households in {code})", code=code)
    xy = np.array([(p.x, p.y) for p in places])
    weights = np.array([p.n for p in places], dtype=float)
    grids = (bisect(xy, weights, min(_count(weights.sum(), GRID_HOUSEHOLDS), len(places)))
             if level == COMMUNITY_LEVEL else np.zeros(len(places), dtype=int))
    micro, grid_of = np.zeros(len(places), dtype=int), []
    for g in range(int(grids.max()) + 1):
        mine = grids == g
        parts = min(_count(weights[mine].sum(), MICROGRID_HOUSEHOLDS), int(mine.sum()))
        micro[mine] = bisect(xy[mine], weights[mine], parts, first=len(grid_of))
        grid_of += [g] * parts
    out = {"code": code, "households": int(weights.sum()), "grids": []}
    grid_rows = _parts(conn, code, xy, grids, places) if level == COMMUNITY_LEVEL else None
    micro_rows = _parts(conn, code, xy, micro, places)
    for g in range(int(grids.max()) + 1):
        children = [r for r in micro_rows if grid_of[r["part"]] == g]
        out["grids"].append({"households": sum(r["households"] for r in children),
                             "geometry": grid_rows[g]["geometry"] if grid_rows else None,
                             "microgrids": children})
    return out


def _parts(conn: Connection, code: str, xy: np.ndarray, labels: np.ndarray, places) -> list[dict]:
    if len(places) == 1:                 # one place: no Voronoi; the part is the whole area
        geometry = conn.execute(sql("boundary_proposal_whole"), {"code": code}).scalar()
        return [{"part": 0, "households": int(places[0].n), "geometry": geometry}]
    payload = [{"x": float(x), "y": float(y), "part": int(k), "n": int(p.n)}
               for (x, y), k, p in zip(xy, labels, places)]
    return [dict(r) for r in conn.execute(sql("boundary_proposal_parts"),
                                          {"code": code, "places": json.dumps(payload)}).mappings()]


def grid_area(conn: Connection, viewer: Viewer, code: str, reason: str | None = None) -> dict:
    """Save the proposed grids (and micro-grids) of an area without children, in this
    transaction: first its grids, then each new grid's micro-grids."""
    require_editor(viewer, code)
    if conn.execute(sql("boundary_children"), {"parent": code}).first() is not None:
        raise BadInput(f"{code} 已有下级区域；请在编辑器中调整 ({code} already has children)", code=code)
    proposal = propose_grids(conn, viewer, code)
    reason = reason or f"按户数为 {code} 划分网格"
    if proposal["grids"][0]["geometry"] is None:            # a grid: micro-grids only
        return _save_parts(conn, viewer, code, proposal["grids"][0]["microgrids"], "微网格", reason)
    summary = _save_parts(conn, viewer, code, proposal["grids"], "网格", reason)
    micro = []
    for grid in proposal["grids"]:
        grid_code = conn.execute(sql("boundary_proposal_owner"),
                                 {"parent": code, "g": json.dumps(grid["geometry"])}).scalar()
        if grid_code is None:
            raise BadInput("无法定位新建的网格 (a proposed grid was not found after saving)", code=code)
        micro += _save_parts(conn, viewer, grid_code, grid["microgrids"], "微网格", reason)["created"]
    return {**summary, "created": summary["created"] + micro}


def _save_parts(conn: Connection, viewer: Viewer, parent: str, parts: list[dict], kind: str,
                reason: str) -> dict:
    # Each save builds its own working table; a second save in one transaction drops the first's.
    conn.execute(text("DROP TABLE IF EXISTS boundary_plan"))
    children = tuple(Child(i, None, f"第{i + 1}{kind}", None, p["geometry"]) for i, p in enumerate(parts))
    return save_children(conn, viewer, parent, ChildrenEdit(reason, children))

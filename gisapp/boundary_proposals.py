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
from sqlalchemy.engine import Connection

from .access import Viewer
from .errors import BadInput, Forbidden, NotFound
from .queries import sql

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

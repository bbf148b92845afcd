"""Households: personal data for those with a duty toward them, aggregates for everyone else."""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ..accounts.access import Viewer
from ..accounts.small_counts import level_of, shown_colours
from ..errors import NotFound

COLOURS = {1: "red", 2: "orange", 3: "yellow", 4: "blue", 5: "green"}
COLOUR_KEYS = {v: k for k, v in COLOURS.items()}

_LIST = text("""
    SELECT h.id, h.building_id, b.name AS building, h.unit, h.room, h.head_name, h.phone,
           h.members, h.colour, h.tags, ST_X(h.geom) AS lng, ST_Y(h.geom) AS lat,
           a.code AS area_code, a.name AS area_name
    FROM household h
    JOIN area a ON a.id = h.area_id
    LEFT JOIN building b ON b.id = h.building_id
    WHERE a.code LIKE :prefix || '%'
      AND a.code LIKE ANY(CAST(:patterns AS text[]))
      AND (CAST(:colour AS smallint) IS NULL OR h.colour = CAST(:colour AS smallint))
      AND (CAST(:q AS text) IS NULL OR h.head_name LIKE '%' || CAST(:q AS text) || '%'
           OR h.room = CAST(:q AS text))
    ORDER BY a.code, h.id
    LIMIT :limit OFFSET :offset
""")

_ONE = text("""
    SELECT h.id, h.building_id, b.name AS building, h.unit, h.room, h.head_name, h.phone,
           h.members, h.colour, h.tags, ST_X(h.geom) AS lng, ST_Y(h.geom) AS lat,
           a.code AS area_code, a.name AS area_name
    FROM household h JOIN area a ON a.id = h.area_id LEFT JOIN building b ON b.id = h.building_id
    WHERE h.id = :id AND a.code LIKE ANY(CAST(:patterns AS text[]))
""")

_AGGREGATE = text("""
    SELECT c.code, c.name, c.households, c.colour_counts
    FROM area c
    WHERE c.parent_id = (SELECT id FROM area WHERE code = :code) AND c.retired_at IS NULL
    ORDER BY c.code
""")


def _row_to_dict(r) -> dict:
    d = dict(r._mapping)
    d["colour"] = COLOURS.get(d["colour"])
    d["tags"] = list(d["tags"] or [])
    return d


def personal_patterns(viewer: Viewer) -> list[str]:
    """LIKE patterns of the areas whose households' personal data this viewer may see."""
    return viewer.like_patterns() if viewer.may_see_personal_data() else []


def list_households(conn: Connection, viewer: Viewer, area_code: str, colour: int | None = None,
                    q: str | None = None, limit: int = 100, offset: int = 0) -> list[dict]:
    """Households in an area that the viewer may see in person (possibly none)."""
    patterns = personal_patterns(viewer)
    if not patterns:
        return []
    rows = conn.execute(_LIST, {"prefix": area_code, "patterns": patterns, "colour": colour,
                                "q": q, "limit": limit, "offset": offset})
    return [_row_to_dict(r) for r in rows]


def get_household(conn: Connection, viewer: Viewer, household_id: int) -> dict:
    """One household, only inside the viewer's duty; NotFound otherwise (no existence leak)."""
    patterns = personal_patterns(viewer)
    row = conn.execute(_ONE, {"id": household_id, "patterns": patterns}).first() if patterns else None
    if row is None:
        raise NotFound("没有找到该住户 (no such household within your duties)")
    return _row_to_dict(row)


def aggregate(conn: Connection, viewer: Viewer, area_code: str, small: int) -> dict:
    """Counts per colour for an area and each of its children: no person, no point; small
    counts hidden and no breakdown below the community without a duty (small_counts)."""
    area = conn.execute(text("SELECT code, name, households, colour_counts FROM area "
                             "WHERE code = :c AND retired_at IS NULL"), {"c": area_code}).first()
    if area is None:
        raise NotFound(f"no current area with code {area_code}")
    children = conn.execute(_AGGREGATE, {"code": area_code}).all()
    return {"area": _counts(area, viewer, small),
            "children": [_counts(c, viewer, small) for c in children]}


def _counts(r, viewer: Viewer, small: int) -> dict:
    return {"code": r.code, "name": r.name, "households": r.households,
            "colours": shown_colours(list(r.colour_counts), level_of(r.code),
                                     viewer.has_duty_toward(r.code), small)}

"""Coverage of service facilities (the "15-minute life circle"): households farther than N metres.

The answer is always counts per area (grid, community or street), never a household,
so it may be shown to anyone; counts of special groups (tags) are for staff only.
All the spatial work is one PostGIS query (queries/coverage.sql).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ..accounts.access import Viewer
from ..accounts.small_counts import BREAKDOWN_LEVEL, shown
from ..areas.features import LEVELS, parse_code
from ..errors import BadInput, Forbidden, NotFound
from ..households.records import COLOUR_KEYS, COLOURS, personal_patterns
from ..queries import loader
from .registry import check_kind

sql = loader(__package__)

COVERAGE_LEVELS = ("street", "community", "grid")
CODE_LENGTH = {"district": 6, "street": 9, "community": 12, "grid": 15, "microgrid": 18}
# Coverage is about reach on foot or by a short ride (the 15-minute life circle is ~1 km);
# 20 km spans a whole district, beyond which every household is "covered" by any facility
# in the city and the answer says nothing, while the query's cost grows with the distance.
MAX_DISTANCE_M = 20_000
DISTANCE_LIMIT = (f"metres, more than 0 and at most {MAX_DISTANCE_M} (20 km spans a whole "
                  "district: coverage is about walking reach, ~1 km for the 15-minute life circle)")
# Sphere distances times this bound spheroid distances (they differ by < 0.6%): see coverage.sql.
SPHERE_MARGIN = 1.01
# Display-only simplification of the map layer, in degrees (about 10 m; 2 m for grids).
MAP_TOLERANCE = {"street": 0.0001, "community": 0.0001, "grid": 0.00002}


@dataclass(frozen=True)
class CoverageQuery:
    """What to measure: a facility kind, a distance, which households, per which areas."""

    kind: str
    distance_m: float
    level: str = "community"
    area: str | None = None
    colour: int | None = None
    tag: str | None = None


def parse_query(args, viewer: Viewer) -> CoverageQuery:
    """A CoverageQuery from request arguments, or BadInput / Forbidden."""
    kind = args.get("kind")
    if not kind:
        raise BadInput("missing parameter kind", field="kind")
    distance = _distance(args.get("distance"))
    level = args.get("level") or "community"
    if level not in COVERAGE_LEVELS:
        raise BadInput(f"level must be one of {', '.join(COVERAGE_LEVELS)}", field="level")
    area = parse_code(args["area"], "area") if args.get("area") else None
    if area and len(area) > CODE_LENGTH[level]:
        raise BadInput(f"area {area} lies below level {level}; choose a finer level", field="level")
    colour = _colour(args.get("colour"))
    tag = args.get("tag") or None
    if tag is not None:
        if len(tag) > 40 or "\x00" in tag:
            raise BadInput("tag is at most 40 characters of text", field="tag")
        if not viewer.may_count_special_groups():
            raise Forbidden("按人群标签统计需要登录 (counts by tag are for staff)")
    return CoverageQuery(kind, distance, level, area, colour, tag)


def _distance(raw) -> float:
    if raw is None or raw == "":
        raise BadInput("missing parameter distance (metres)", field="distance")
    try:
        value = float(raw)
    except ValueError:
        raise BadInput("distance must be a number of metres", field="distance") from None
    if not math.isfinite(value) or not 0 < value <= MAX_DISTANCE_M:
        raise BadInput(f"距离须大于 0 且不超过 {MAX_DISTANCE_M} 米 (distance: {DISTANCE_LIMIT})",
                       field="distance")
    return value


def _colour(raw) -> int | None:
    if raw is None or raw == "":
        return None
    if raw in COLOUR_KEYS:
        return COLOUR_KEYS[raw]
    if raw in ("1", "2", "3", "4", "5"):
        return int(raw)
    raise BadInput(f"colour must be one of {', '.join(COLOUR_KEYS)} (or 1-5)", field="colour")


def coverage(conn: Connection, q: CoverageQuery) -> dict:
    """Households and gaps per area at q.level, ranked by gaps, with totals."""
    kind_name = conn.execute(text("SELECT name_zh FROM facility_kind WHERE kind = :k"),
                             {"k": check_kind(conn, q.kind)}).scalar()
    if q.area and conn.execute(text("SELECT 1 FROM area WHERE code = :c AND retired_at IS NULL"),
                               {"c": q.area}).first() is None:
        raise NotFound(f"没有编码为 {q.area} 的区域 (no current area with code {q.area})", code=q.area)
    # Compiling this one query costs more than it saves at city scale (~0.5 s of JIT).
    conn.execute(text("SET LOCAL jit = off"))
    rows = conn.execute(sql("coverage"), {
        "kind": q.kind, "d": q.distance_m, "prefix": q.area or "", "level": LEVELS[q.level],
        "len": CODE_LENGTH[q.level], "colour": q.colour, "tag": q.tag,
        "sphere": SPHERE_MARGIN}).mappings().all()
    out = [dict(r, gap_share=_share(r["gaps"], r["households"])) for r in rows]
    households, gaps = sum(r["households"] for r in out), sum(r["gaps"] for r in out)
    return {"kind": q.kind, "kind_name": kind_name, "distance_m": q.distance_m,
            "level": q.level, "area": q.area, "colour": q.colour, "tag": q.tag,
            "totals": {"households": households, "gaps": gaps, "covered": households - gaps,
                       "gap_share": _share(gaps, households)},
            "rows": out}


def protect(result: dict, viewer: Viewer, small: int) -> dict:
    """The result as this viewer may see it. Counted by colour or special group, a row
    outside the viewer's duty shows small counts as "<5", and below the community no
    counts at all (small_counts); the totals follow the same rule."""
    if result["colour"] is None and result["tag"] is None:
        return result
    rows, everywhere = [], True
    for r in result["rows"]:
        exact = viewer.has_duty_toward(r["code"])
        everywhere &= exact
        rows.append(r if exact else _hidden(r, LEVELS[result["level"]], small))
    t = result["totals"]
    totals = t if everywhere else _hidden(t, BREAKDOWN_LEVEL, small)
    return {**result, "rows": rows, "totals": totals}


def _hidden(row: dict, level: int, small: int) -> dict:
    if level > BREAKDOWN_LEVEL:
        return {**row, "households": None, "gaps": None, "covered": None, "gap_share": None,
                "hidden": "社区以下不公开分类户数 (no counts by class below the community)"}
    counts = {k: shown(row[k], False, small) for k in ("households", "gaps", "covered")
              if k in row}
    exact = all(isinstance(v, int) for v in counts.values())
    return {**row, **counts, "gap_share": row["gap_share"] if exact else None}


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def as_geojson(conn: Connection, result: dict) -> dict:
    """The result as a map layer: each area's polygon with its counts (no household points)."""
    codes = [r["code"] for r in result["rows"]]
    geoms = dict(conn.execute(text("""
        SELECT code, ST_AsGeoJSON(ST_SimplifyPreserveTopology(geom, :tol), 6)::json
        FROM area_current WHERE code = ANY(:codes)"""),
        {"codes": codes, "tol": MAP_TOLERANCE[result["level"]]}).all())
    features = [{"type": "Feature", "id": r["code"], "geometry": geoms.get(r["code"]),
                 "properties": r} for r in result["rows"]]
    meta = {k: v for k, v in result.items() if k != "rows"}
    return {"type": "FeatureCollection", **meta, "features": features}


def gap_households(conn: Connection, viewer: Viewer, q: CoverageQuery, limit: int = 5000) -> dict:
    """The gap households as points, for those with a duty toward them (and only those)."""
    patterns = personal_patterns(viewer)
    if not patterns:
        raise Forbidden("只有对住户负有职责的人员可查看住户位置 (household points need a duty)")
    check_kind(conn, q.kind)
    rows = conn.execute(sql("coverage_households"), {
        "kind": q.kind, "d": q.distance_m, "prefix": q.area or "", "patterns": patterns,
        "colour": q.colour, "tag": q.tag, "limit": limit}).mappings().all()
    features = [{"type": "Feature", "id": r["id"],
                 "geometry": {"type": "Point", "coordinates": [r["lng"], r["lat"]]},
                 "properties": {"area_code": r["area_code"], "area_name": r["area_name"],
                                "colour": COLOURS.get(r["colour"]), "tags": list(r["tags"] or []),
                                "nearest_m": r["nearest_m"]}}
                for r in rows]
    return {"type": "FeatureCollection", "kind": q.kind, "distance_m": q.distance_m,
            "numberReturned": len(features), "limit": limit, "features": features}

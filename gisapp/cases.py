"""Cases: reporting with assignment by location, reading within the viewer's rights."""
from __future__ import annotations

import json
import math
import re
from datetime import datetime, timezone

from sqlalchemy import text
from sqlalchemy.engine import Connection

from .access import SUPERVISORS, Viewer
from .errors import BadInput, Forbidden, NotFound

KINDS = ("incident", "dispute", "hazard")
OPEN_STATES = ("reported", "registered", "dispatched", "in_progress", "escalated")
CLOCK_STATES = ("dispatched", "in_progress", "escalated")
FINAL_STATES = ("closed", "evaluated", "cancelled")
STATES = ("reported", "registered", "dispatched", "in_progress", "handled", "verified", "closed",
          "evaluated", "escalated", "cancelled")
CLIENT_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")
DUPLICATE_METRES = 50
DUPLICATE_HOURS = 72
# Who handles a grid-routed case: the first role found, nearest area first.
HANDLER_ROLES = ["grid_worker", "grid_leader", "community_worker", "community_secretary"]


def now() -> datetime:
    return datetime.now(timezone.utc)


def category(conn: Connection, key: str) -> dict:
    row = conn.execute(text("SELECT * FROM case_category WHERE key = :k"), {"k": key}).mappings().first()
    if row is None:
        raise BadInput(f"unknown category {key!r}", field="category")
    return dict(row)


def categories(conn: Connection, public_only: bool = False) -> list[dict]:
    rows = conn.execute(text("SELECT key, name_zh, kind, limit_hours, routing, department, public "
                             "FROM case_category WHERE (:p = false OR public) ORDER BY kind, key"),
                        {"p": public_only}).mappings().all()
    return [{**r, "limit_hours": float(r["limit_hours"])} for r in rows]


_EXISTING = text("SELECT id FROM case_file WHERE client_id = :c")
_ASSIGN = text("""
    SELECT a.id, a.code FROM area a
    -- As a scalar subquery: inlined into this statement, locate_leaf costs ~10 ms to plan.
    WHERE a.id = (SELECT locate_leaf(ST_SetSRID(ST_MakePoint(:lng, :lat), 4326), :t))
""")
_HANDLER = text("""
    SELECT d.person_id FROM duty d JOIN area a ON a.id = d.area_id JOIN person p ON p.id = d.person_id
    WHERE a.code = ANY(CAST(:codes AS text[])) AND d.role = ANY(:roles) AND p.active
      AND d.starts_on <= current_date AND (d.ends_on IS NULL OR d.ends_on >= current_date)
    ORDER BY array_position(CAST(:roles AS text[]), d.role), length(a.code) DESC, d.id
    LIMIT 1
""")
_DUPLICATES = text("""
    SELECT id FROM case_file
    WHERE category = :cat AND state <> 'cancelled' AND id <> :id
      AND reported_at > CAST(:t AS timestamptz) - make_interval(hours => :hours)
      -- The GiST index on geom answers the box; the geography test then measures metres.
      AND geom && ST_Expand(ST_SetSRID(ST_MakePoint(:lng, :lat), 4326), :dlng, :dlat)
      AND ST_DWithin(geom::geography, ST_SetSRID(ST_MakePoint(:lng, :lat), 4326)::geography, :m)
    ORDER BY id
""")
_INSERT = text("""
    INSERT INTO case_file (client_id, kind, category, description, contact, reporter_user_id,
                           reporter_kind, geom, reported_at, area_id, area_code, ambiguous,
                           assignee_person_id, department)
    VALUES (:client_id, :kind, :category, :description, :contact, :reporter, :reporter_kind,
            ST_SetSRID(ST_MakePoint(:lng, :lat), 4326), :t, :area_id, :area_code, :ambiguous,
            :assignee, :department)
    ON CONFLICT (client_id) DO NOTHING
    RETURNING id
""")


def ancestor_codes(code: str) -> list[str]:
    """The code and its ancestors' (a child's code extends its parent's: 6, 9, 12, ... digits)."""
    return [code[:n] for n in range(6, len(code) + 1, 3)]


def degrees_around(lat: float, metres: float) -> tuple[float, float]:
    """Half-widths in degrees (lng, lat) of a box that surely holds a circle of `metres`."""
    margin = 1.1 * metres
    return (margin / (111_320.0 * max(math.cos(math.radians(lat)), 0.01)), margin / 110_540.0)


def report_case(conn: Connection, viewer: Viewer, report: dict) -> tuple[int, bool]:
    """Store a validated report with its areas and handler; (case id, created?).

    A repeated client_id returns the existing case: a phone that retries never
    creates two.
    """
    if report.get("client_id"):
        existing = conn.execute(_EXISTING, {"c": report["client_id"]}).scalar()
        if existing:
            return existing, False
    cat = category(conn, report["category"])
    if cat["kind"] != report["kind"]:
        raise BadInput(f"category {cat['key']} is a {cat['kind']}, not a {report['kind']}",
                       field="category")
    t = now()
    area = conn.execute(_ASSIGN, {"lng": report["lng"], "lat": report["lat"], "t": t}).first()
    assignee = None
    if area is not None and cat["routing"] == "grid":
        assignee = conn.execute(_HANDLER, {"codes": ancestor_codes(area.code),
                                           "roles": HANDLER_ROLES}).scalar()
    case_id = conn.execute(_INSERT, {
        **{k: report.get(k) for k in ("client_id", "kind", "category", "description", "contact",
                                      "lng", "lat")},
        "reporter": viewer.user_id, "reporter_kind": "public" if viewer.is_public else "staff",
        "t": t, "area_id": area.id if area else None, "area_code": area.code if area else None,
        "ambiguous": bool(report.get("ambiguous")), "assignee": assignee,
        "department": cat["department"]}).scalar()
    if case_id is None:           # a concurrent retry won the race on client_id
        return conn.execute(_EXISTING, {"c": report["client_id"]}).scalar(), False
    _record_report(conn, viewer, case_id, report, t)
    return case_id, True


def _record_report(conn: Connection, viewer: Viewer, case_id: int, report: dict, t) -> None:
    dlng, dlat = degrees_around(report["lat"], DUPLICATE_METRES)
    dups = conn.execute(_DUPLICATES, {"cat": report["category"], "id": case_id, "t": t,
                                      "hours": DUPLICATE_HOURS, "lng": report["lng"],
                                      "lat": report["lat"], "m": DUPLICATE_METRES,
                                      "dlng": dlng, "dlat": dlat}).scalars().all()
    if dups:
        conn.execute(text("UPDATE case_file SET duplicate_of = :d WHERE id = :id"),
                     {"d": list(dups), "id": case_id})
    conn.execute(text("""INSERT INTO case_event (case_id, actor_user_id, actor_name, action,
                                                 from_state, to_state, note, detail)
                         VALUES (:id, :uid, :name, 'report', NULL, 'reported', '', CAST(:d AS jsonb))"""),
                 {"id": case_id, "uid": viewer.user_id, "name": viewer.username or "公众",
                  "d": json.dumps({"duplicates": list(dups)})})


# --- reading -----------------------------------------------------------------------------

def visibility_sql(viewer: Viewer) -> tuple[str, dict]:
    """A WHERE fragment (fixed text, bound values) limiting cases to what the viewer may see."""
    if viewer.is_public:
        return "false", {}
    if viewer.citywide:
        return "true", {}
    return ("(c.area_code LIKE ANY(CAST(:vis_patterns AS text[])) OR c.reporter_user_id = :vis_user)",
            {"vis_patterns": viewer.like_patterns(), "vis_user": viewer.user_id})


def may_see(viewer: Viewer, case: dict) -> bool:
    if viewer.is_public:
        return False
    if viewer.citywide or case.get("reporter_user_id") == viewer.user_id:
        return True
    return case["area_code"] is not None and viewer.covers(case["area_code"])


def mask_for(viewer: Viewer, case: dict) -> dict:
    """Hide the reporter's personal details from those who only watch (the map wall)."""
    if viewer.role == "wall_viewer" or viewer.is_public:
        case = {**case, "contact": None, "reporter_user_id": None, "reporter": None}
    return case


_ONE = text("""
    SELECT c.id, c.client_id, c.kind, c.category, cc.name_zh AS category_zh, c.description,
           c.contact, c.reporter_user_id, u.username AS reporter, c.reporter_kind,
           ST_X(c.geom) AS lng, ST_Y(c.geom) AS lat, c.reported_at, c.area_code,
           a.name AS area_name, c.ambiguous, c.assignee_person_id, p.name AS assignee,
           c.department, c.state, c.escalation_level, c.dispatched_at, c.deadline_at,
           c.handled_at, c.closed_at, c.suspended_at, c.rework_count, c.cancel_reason,
           c.merged_into, c.duplicate_of, c.evaluation, c.version, cc.limit_hours
    FROM case_file c JOIN case_category cc ON cc.key = c.category
    LEFT JOIN area a ON a.id = c.area_id LEFT JOIN person p ON p.id = c.assignee_person_id
    LEFT JOIN app_user u ON u.id = c.reporter_user_id
    WHERE c.id = :id
""")


def load_case(conn: Connection, case_id: int, for_update: bool = False) -> dict:
    if for_update:
        conn.execute(text("SELECT 1 FROM case_file WHERE id = :id FOR UPDATE"), {"id": case_id})
    row = conn.execute(_ONE, {"id": case_id}).mappings().first()
    if row is None:
        raise NotFound(f"没有编号为 {case_id} 的案件 (no such case)")
    case = dict(row)
    case["limit_hours"] = float(case["limit_hours"])
    case["duplicate_of"] = list(case["duplicate_of"] or [])
    return case


def get_case(conn: Connection, viewer: Viewer, case_id: int) -> dict:
    """One case if the viewer may see it (NotFound otherwise, so ids cannot be probed)."""
    viewer.require_login()
    case = load_case(conn, case_id)
    if not may_see(viewer, case):
        raise NotFound(f"没有编号为 {case_id} 的案件 (no such case)")
    return mask_for(viewer, case)


def require_supervisor_of(viewer: Viewer, case: dict) -> None:
    if viewer.role not in SUPERVISORS or not (viewer.citywide or
                                              (case["area_code"] and viewer.covers(case["area_code"]))):
        raise Forbidden("只有该区域的主管可以执行此操作 (only a supervisor of this area may do this)")

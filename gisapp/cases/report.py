"""Cases: reporting with assignment by location, reading within the viewer's rights."""
from __future__ import annotations

import math
from datetime import datetime, timezone

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ..accounts.access import SUPERVISORS, Viewer
from ..areas.spatial_index import NO_AREA
from ..errors import BadInput, Forbidden, NotFound
from ..queries import loader
from ..queries.prepared import Prepared
from .receipt import as_receipt

sql = loader(__package__)

KINDS = ("incident", "dispute", "hazard")
OPEN_STATES = ("reported", "registered", "dispatched", "in_progress", "escalated")
CLOCK_STATES = ("dispatched", "in_progress", "escalated")
FINAL_STATES = ("closed", "evaluated", "cancelled")
STATES = ("reported", "registered", "dispatched", "in_progress", "handled", "verified", "closed",
          "evaluated", "escalated", "cancelled")
DUPLICATE_METRES = 50
DUPLICATE_HOURS = 72
# Who handles a grid-routed case: the first role found, nearest area first.
HANDLER_ROLES = ["grid_worker", "grid_leader", "community_worker", "community_secretary"]


def now() -> datetime:
    return datetime.now(timezone.utc)


def category(conn: Connection, key: str) -> dict:
    row = (
        conn.execute(text("SELECT * FROM case_category WHERE key = :k"), {"k": key})
        .mappings()
        .first()
    )
    if row is None:
        raise BadInput(f"unknown category {key!r}", field="category")
    return dict(row)


def categories(conn: Connection, public_only: bool = False) -> list[dict]:
    rows = conn.execute(sql("case_categories"),
                        {"p": public_only}).mappings().all()
    return [{**r, "limit_hours": float(r["limit_hours"])} for r in rows]


# The report, its audit row and the case as stored, in one statement
# (queries/case_report.sql, psycopg2 placeholders, run as the driver's own SQL,
# prepared once per connection).
# Still inside the request's transaction, never autocommit: a request whose worker dies
# mid-statement must leave nothing behind, and an autocommitted statement would finish and
# commit after its client had gone; tests/web/test_faults.py.
# Prepared once per connection: parsing and planning this statement on every report cost
# about a quarter of its time (gisapp/queries/prepared.py).
_REPORT = Prepared("case_report", sql("case_report"))
_NO_AUDIT = dict.fromkeys(("uid", "uname", "role", "action", "detail", "ip", "method", "path"))


def degrees_around(lat: float, metres: float) -> tuple[float, float]:
    """Half-widths in degrees (lng, lat) of a box that surely holds a circle of `metres`."""
    margin = 1.1 * metres
    return (margin / (111_320.0 * max(math.cos(math.radians(lat)), 0.01)), margin / 110_540.0)


def report_case(conn: Connection, viewer: Viewer, report: dict, snapshot=None) -> tuple[int, bool]:
    """Store a validated report with its areas and handler; (case id, created?)."""
    case, created = report_and_load(conn, viewer, report, snapshot)
    return case["id"], created


def report_and_load(conn: Connection, viewer: Viewer, report: dict, snapshot=None,
                    audit: dict | None = None) -> tuple[dict, bool]:
    """Store a validated report with its areas and handler; (the case as load_case reads
    it, created?).

    A repeated client_id returns the existing case: a phone that retries never
    creates two. With `snapshot` (the in-memory area index) the point is located in
    memory; the database takes that answer only if its boundaries have not moved since
    the snapshot was read, and locates the point itself otherwise (sql/081_case_report.sql).
    `audit` (from audit.fields) is written as the new case's audit row, in the same statement.
    """
    case, created, _ = _report(conn, viewer, report, snapshot, audit, receipt=False)
    return case, created


def report_with_receipt(conn: Connection, viewer: Viewer, report: dict, snapshot=None,
                        audit: dict | None = None) -> tuple[dict, bool, dict]:
    """As report_and_load, with the reporter's receipt (receipt.receipt_area's answer),
    from the same statement: (case, created?, receipt)."""
    return _report(conn, viewer, report, snapshot, audit, receipt=True)


def _report(conn: Connection, viewer: Viewer, report: dict, snapshot, audit: dict | None,
            receipt: bool) -> tuple[dict, bool, dict]:
    t = now()
    dlng, dlat = degrees_around(report["lat"], DUPLICATE_METRES)
    row = _REPORT.execute(conn, {
        **{k: report.get(k) for k in ("client_id", "kind", "category", "description", "contact",
                                      "lng", "lat")},
        "reporter": viewer.user_id, "reporter_kind": "public" if viewer.is_public else "staff",
        "actor_name": viewer.username or "公众", "t": t, "ambiguous": bool(report.get("ambiguous")),
        **_located(snapshot, report["lng"], report["lat"]),
        "roles": HANDLER_ROLES, "dup_metres": DUPLICATE_METRES, "dup_hours": DUPLICATE_HOURS,
        "dlng": dlng, "dlat": dlat, **(audit or _NO_AUDIT), "audit": audit is not None,
        "receipt": receipt,
    }).mappings().one()
    if row["problem"] == "unknown_category":
        raise BadInput(f"unknown category {report['category']!r}", field="category")
    if row["problem"] == "wrong_kind":
        raise BadInput(f"category {report['category']} is a {row['category_kind']}, "
                       f"not a {report['kind']}", field="category")
    case = dict(row)
    created = case.pop("created")
    found = {k: case.pop("receipt_" + k) for k in ("area_path", "office_name", "office_phone")}
    del case["problem"], case["category_kind"]
    return _as_case(case), created, as_receipt(found)


def _located(snapshot, lng: float, lat: float) -> dict:
    """The leaf found in memory and the boundaries generation it holds for (none: ask SQL)."""
    generation = snapshot.generations.get("boundaries") if snapshot is not None else None
    if generation is None:
        return {"boundaries": None, "area_id": None, "area_code": None}
    leaf = snapshot.leaf_at(lng, lat)
    if leaf == NO_AREA:
        return {"boundaries": generation, "area_id": None, "area_code": None}
    return {"boundaries": generation, "area_id": leaf, "area_code": snapshot.areas[leaf].code}


# --- reading -----------------------------------------------------------------------------


def visibility_sql(viewer: Viewer) -> tuple[str, dict]:
    """A WHERE fragment (fixed text, bound values) limiting cases to what the viewer may see."""
    if viewer.is_public:
        return "false", {}
    if viewer.citywide:
        return "true", {}
    return (
        "(c.area_code LIKE ANY(CAST(:vis_patterns AS text[])) OR c.reporter_user_id = :vis_user)",
        {"vis_patterns": viewer.like_patterns(), "vis_user": viewer.user_id},
    )


def visibility_params(viewer: Viewer) -> dict:
    """Bound values for queries that test visibility themselves (queries/case_list.sql)."""
    return {"vis_all": viewer.citywide and not viewer.is_public,
            "vis_patterns": [] if viewer.citywide else viewer.like_patterns(),
            "vis_user": viewer.user_id}


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


_ONE = text("SELECT * FROM case_detail_of(:id)")     # sql/081_case_report.sql
_SOME = text("SELECT * FROM case_details_of(CAST(:ids AS bigint[]))")  # sql/275


def load_case(conn: Connection, case_id: int, for_update: bool = False) -> dict:
    if for_update:
        conn.execute(text("SELECT 1 FROM case_file WHERE id = :id FOR UPDATE"), {"id": case_id})
    row = conn.execute(_ONE, {"id": case_id}).mappings().first()
    if row is None:
        raise NotFound(f"没有编号为 {case_id} 的案件 (no such case)")
    return _as_case(dict(row))


def load_cases(conn: Connection, case_ids: list[int]) -> dict[int, dict]:
    """Several cases as load_case reads them, in one query, by id (missing ids left out)."""
    if not case_ids:
        return {}
    rows = conn.execute(_SOME, {"ids": list(dict.fromkeys(case_ids))}).mappings().all()
    return {row["id"]: _as_case(dict(row)) for row in rows}


def _as_case(case: dict) -> dict:
    case["limit_hours"] = float(case["limit_hours"])
    case["duplicate_of"] = list(case["duplicate_of"] or [])
    return case


def area_path(conn: Connection, code: str | None) -> str | None:
    """How a page names an area: its path from the community down (sql/140_area_path.sql)."""
    if code is None:
        return None
    return conn.execute(text("SELECT area_path(CAST(:c AS text))"), {"c": code}).scalar()


def get_case(conn: Connection, viewer: Viewer, case_id: int) -> dict:
    """One case if the viewer may see it (NotFound otherwise, so ids cannot be probed)."""
    viewer.require_login()
    case = load_case(conn, case_id)
    if not may_see(viewer, case):
        raise NotFound(f"没有编号为 {case_id} 的案件 (no such case)")
    return mask_for(viewer, case)


def require_supervisor_of(viewer: Viewer, case: dict) -> None:
    if viewer.role not in SUPERVISORS or not (
        viewer.citywide or (case["area_code"] and viewer.covers(case["area_code"]))
    ):
        raise Forbidden(
            "只有该区域的主管可以执行此操作 (only a supervisor of this area may do this)"
        )

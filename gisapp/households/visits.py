"""Five-colour visits: who owns a household's visits, what is due, and logging a visit.

The cadence and the owning roles per colour live in the `five_colour` table; the rule
for the next due date is `household_due_on()` in sql/110_households_visits.sql, so SQL
and Python never disagree. Distances are geodesic (PostGIS geography): there is no
walking network in the database, so "walking distance" is the straight line on the
ellipsoid, a lower bound of the real walk.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ..accounts import audit
from ..accounts.access import Viewer
from ..assessment.satisfaction import store_for_visit
from ..cases.attachments import add_stored_photo
from ..cases.report import category as case_category
from ..cases.report import report_case
from ..cases.workhours import CHINA
from ..demands.raising import raise_on_visit, receipts_of_visit
from ..errors import BadInput, Conflict, Forbidden, NotFound
from ..queries import loader
from .records import COLOURS, get_household

sql = loader(__package__)

FAR_METRES = 100          # also in the visit table's generated column flagged_far
MAX_DUE = 500
MAX_BACKDATE = timedelta(days=7)


def china_today(now: datetime | None = None) -> date:
    """Today's date in China, which is what 'daily' means to a field worker."""
    return (now or datetime.now(timezone.utc)).astimezone(CHINA).date()


def outcomes(conn: Connection) -> list[dict]:
    """Visit outcomes with their Chinese names and whether they complete a visit."""
    rows = conn.execute(sql("visits_outcomes")).mappings().all()
    return [dict(r) for r in rows]


def no_jit(conn: Connection) -> None:
    """Switch JIT off for this transaction: over a city's households the planner's cost
    passes the JIT threshold, and compiling then costs a second where the query takes
    milliseconds (measured in scripts/bench visits)."""
    conn.execute(text("SET LOCAL jit = off"))


def due_visits(conn: Connection, person_id: int, day: date, lng: float | None = None,
               lat: float | None = None, limit: int = MAX_DUE) -> list[dict]:
    """Households this person must visit on `day` (due or overdue), nearest first."""
    no_jit(conn)
    rows = conn.execute(sql("visits_due"), {"person": person_id, "day": day, "lng": lng,
                                            "lat": lat, "limit": limit}).mappings().all()
    out = []
    for r in rows:
        d = dict(r)
        d["tags"] = list(d["tags"] or [])
        d["overdue_days"] = (day - d["due_on"]).days
        d["overdue"] = d["overdue_days"] > 0
        d["distance_m"] = None if d["distance_m"] is None else round(d["distance_m"], 1)
        out.append(d)
    return out


def owners(conn: Connection, household_id: int, day: date) -> list[dict]:
    """The people whose duty makes them responsible for this household's visits."""
    return [dict(r) for r in conn.execute(sql("visits_owners"), {"id": household_id, "day": day})
            .mappings()]


def unowned(conn: Connection, viewer: Viewer, area_code: str, day: date,
            limit: int = 1000) -> list[dict]:
    """Coloured households in an area with nobody responsible for visiting them."""
    patterns = viewer.like_patterns()
    if not patterns:
        return []
    no_jit(conn)
    rows = conn.execute(sql("visits_unowned"), {"prefix": area_code, "patterns": patterns,
                                                "day": day, "limit": limit}).mappings().all()
    return [{**r, "owner_roles": list(r["owner_roles"])} for r in rows]


def unowned_counts(conn: Connection, viewer: Viewer, area_code: str, day: date) -> list[dict]:
    """Unowned coloured households counted per community and colour: no person, no point."""
    counts: dict[tuple[str, str], int] = {}
    for r in unowned(conn, viewer, area_code, day, limit=1_000_000):
        key = (r["area_code"][:12], r["colour_key"])
        counts[key] = counts.get(key, 0) + 1
    return [{"community": c, "colour": k, "households": n} for (c, k), n in sorted(counts.items())]


_EXISTING = text("SELECT id, user_id FROM visit WHERE client_id = :c")
def load_visit(conn: Connection, visit_id: int) -> dict:
    row = conn.execute(sql("visits_one"), {"id": visit_id}).mappings().first()
    if row is None:
        raise NotFound("没有该走访记录 (no such visit)")
    d = dict(row)
    d["colour"] = COLOURS.get(d["colour"])
    d["demand_receipts"] = receipts_of_visit(conn, visit_id)
    d["photo_url"] = f"/api/visits/{visit_id}/photo" if d["has_photo"] else None
    return d


def visit_photo(conn: Connection, viewer: Viewer, visit_id: int) -> tuple[str, str]:
    """A visit's photo (sha256, content type) for those with a duty toward its household;
    NotFound for no such visit, no photo, or a household outside the viewer's duties."""
    row = conn.execute(sql("visits_photo"), {"id": visit_id}).first()
    if row is None or row.photo_sha256 is None:
        raise NotFound("没有该走访的照片 (no photo for this visit)")
    get_household(conn, viewer, row.household_id)
    return row.photo_sha256, row.photo_type


def require_field_staff(viewer: Viewer) -> None:
    """Visits are logged by staff with a duty toward households and a staff record."""
    viewer.require_login()
    if not viewer.may_see_personal_data() or viewer.person_id is None:
        raise Forbidden(
            "只有负有走访职责的工作人员可以记录走访 (only field staff with a duty log visits)"
        )


def log_visit(conn: Connection, viewer: Viewer, visit: dict) -> tuple[int, bool]:
    """Store one validated visit (and the case it opens); (visit id, created?).

    The household must lie inside the viewer's duties (NotFound otherwise, as for
    reading it). A repeated client_id returns the visit already stored.
    """
    require_field_staff(viewer)
    if visit.get("client_id"):
        existing = _stored(conn, viewer, visit["client_id"])
        if existing:
            return existing, False
    household = get_household(conn, viewer, visit["household_id"])
    if visit["outcome"] not in {o["key"] for o in outcomes(conn)}:
        raise BadInput(
            f"unknown outcome {visit['outcome']!r} (see /api/visits/outcomes)", field="outcome"
        )
    if visit.get("open_case"):
        case_category(conn, visit["open_case"]["category"])      # BadInput before any write
    visit_id = conn.execute(sql("visits_insert"), {
        **{k: visit.get(k) for k in ("client_id", "household_id", "visited_at", "outcome", "note",
                                     "lng", "lat", "accuracy", "photo_sha256", "photo_type")},
        "person_id": viewer.person_id, "user_id": viewer.user_id}).scalar()
    if visit_id is None:           # a concurrent retry won the race on client_id
        return _stored(conn, viewer, visit["client_id"]), False
    if visit.get("open_case"):
        case_id = _open_case(conn, viewer, visit_id, household, visit)
        conn.execute(
            text("UPDATE visit SET case_id = :c WHERE id = :id"), {"c": case_id, "id": visit_id}
        )
    if visit.get("demand"):
        raise_on_visit(conn, viewer, visit_id, household, visit["demand"])
    if visit.get("satisfaction"):          # the resident's answer, for the assessment
        store_for_visit(conn, visit_id, visit["satisfaction"])
    audit.record(conn, viewer, "visit.log", str(visit_id), household=household["id"],
                 outcome=visit["outcome"])
    return visit_id, True


def _stored(conn: Connection, viewer: Viewer, client_id: str) -> int | None:
    """The visit already stored under this client id, if the caller stored it.

    A client id someone else used is a conflict: answering with their visit would show
    one worker another's notes for the price of guessing an id.
    """
    row = conn.execute(_EXISTING, {"c": client_id}).first()
    if row is None:
        return None
    if row.user_id != viewer.user_id:
        raise Conflict(
            "该记录编号已被使用 (client_id already used by someone else)", field="client_id"
        )
    return row.id


def _open_case(
    conn: Connection, viewer: Viewer, visit_id: int, household: dict, visit: dict
) -> int:
    """One tap from a visit to a case, placed at the household, handled by its grid."""
    spec = visit["open_case"]
    cat = case_category(conn, spec["category"])
    where = " ".join(str(x) for x in (household.get("building"), household.get("unit") and
                                      f"{household['unit']}单元", household.get("room")) if x)
    description = spec.get("description") or visit.get("note") or "走访中发现的问题"
    case_id, _ = report_case(conn, viewer, {
        "kind": cat["kind"], "category": cat["key"], "client_id": f"from-visit-{visit_id:08d}",
        "description": f"[走访 {visit_id}{'，' + where if where else ''}] {description}"[:4000],
        "contact": None, "lng": household["lng"], "lat": household["lat"], "ambiguous": False})
    if visit.get("photo_sha256"):         # what the worker saw goes to whoever handles it
        add_stored_photo(conn, case_id, {"sha256": visit["photo_sha256"],
                                         "content_type": visit["photo_type"],
                                         "bytes": visit["photo_bytes"]})
    audit.record(
        conn, viewer, "case.report", str(case_id), category=cat["key"], from_visit=visit_id
    )
    return case_id


def parse_visited_at(raw, now: datetime) -> datetime | None:
    """The time a visit happened (sent later from an offline queue): ISO 8601, past week."""
    if raw in (None, ""):
        return None
    if not isinstance(raw, str):
        raise BadInput("visited_at must be an ISO 8601 time", field="visited_at")
    try:
        t = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise BadInput("visited_at must be an ISO 8601 time", field="visited_at") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=CHINA)
    if t > now + timedelta(minutes=5) or t < now - MAX_BACKDATE:
        raise BadInput("visited_at must lie within the past 7 days", field="visited_at")
    return t


def history(conn: Connection, viewer: Viewer, household_id: int, limit: int = 50) -> list[dict]:
    """The visits of one household the viewer may see, newest first."""
    get_household(conn, viewer, household_id)
    ids = conn.execute(sql("visits_history"),
                       {"h": household_id, "n": limit}).scalars().all()
    return [load_visit(conn, i) for i in ids]


def recent_visits(conn: Connection, viewer: Viewer, area: str, limit: int) -> list[dict]:
    """The newest visits in `area` within the viewer's jurisdiction, newest first."""
    ids = conn.execute(sql("visits_recent"), {"prefix": area, "patterns": viewer.like_patterns(),
                                              "limit": limit}).scalars().all()
    return [load_visit(conn, i) for i in ids]

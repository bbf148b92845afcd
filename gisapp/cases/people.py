"""The people around a case: whom it may be dispatched to, and who did what in its history."""
from __future__ import annotations

from sqlalchemy.engine import Connection

from ..accounts.access import Viewer
from ..errors import BadInput
from ..queries import loader

sql = loader(__package__)

MAX_CANDIDATES = 300


def candidates(conn: Connection, viewer: Viewer, case: dict, limit: int = MAX_CANDIDATES) -> list[dict]:
    """People on duty inside the viewer's jurisdiction, those on duty for the case's area first."""
    rows = conn.execute(sql("case_candidates"), {
        "patterns": viewer.like_patterns(), "case_area": case["area_code"], "person": None,
        "limit": limit}).mappings().all()
    return [dict(r) for r in rows]


def check_candidate(conn: Connection, viewer: Viewer, case: dict, person_id: int) -> dict:
    """The person a dispatch names, if the dispatcher may send the case to them (BadInput if not)."""
    row = conn.execute(sql("case_candidates"), {
        "patterns": viewer.like_patterns(), "case_area": case["area_code"], "person": person_id,
        "limit": 1}).mappings().first()
    if row is None:
        raise BadInput(f"没有可派遣的人员 {person_id} (unknown person, or not on duty in your area)",
                       field="assignee_person_id")
    return dict(row)


def history(conn: Connection, case_id: int) -> list[dict]:
    """The case's history, oldest first, with people named by name and role."""
    return [dict(r) for r in conn.execute(sql("case_history"), {"id": case_id}).mappings()]

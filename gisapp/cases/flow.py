"""The closed loop: which transition is allowed from which state, by whom, and its clock.

report -> register -> dispatch (the clock starts) -> accept -> handle -> verify -> close
-> evaluate; send_back from verification (rework); escalate to a joint review (会商研判);
cancel with a reason; suspend/resume and extend act on the clock without a state change.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import column, table, text, update
from sqlalchemy.engine import Connection

from ..accounts.access import SUPERVISORS, Viewer
from ..errors import BadInput, Conflict, Forbidden, NotFound
from ..queries import loader
from .people import check_candidate, history
from .report import CLOCK_STATES, FINAL_STATES, load_case, may_see, now
from .workhours import WorkCalendar

sql = loader(__package__)

LEADERS = SUPERVISORS + ("grid_leader",)
WORKERS = ("grid_leader", "grid_worker", "info_officer", "community_supervisor")


@dataclass(frozen=True)
class Rule:
    from_states: tuple[str, ...]
    to_state: str | None          # None: the state does not change (clock actions)
    roles: tuple[str, ...]
    needs_note: bool = False


RULES: dict[str, Rule] = {
    "register": Rule(("reported",), "registered", LEADERS),
    "dispatch": Rule(("registered", "escalated"), "dispatched", LEADERS),
    "accept": Rule(("dispatched",), "in_progress", WORKERS),
    "handle": Rule(("in_progress",), "handled", WORKERS),
    "verify": Rule(("handled",), "verified", LEADERS),
    "send_back": Rule(("handled", "verified"), "in_progress", LEADERS, needs_note=True),
    "close": Rule(("verified",), "closed", SUPERVISORS),
    "evaluate": Rule(("closed",), "evaluated", SUPERVISORS),
    "escalate": Rule(("registered", "dispatched", "in_progress"), "escalated", LEADERS),
    "cancel": Rule(("reported", "registered", "dispatched", "in_progress", "escalated"),
                   "cancelled", SUPERVISORS, needs_note=True),
    "suspend": Rule(("dispatched", "in_progress"), None, SUPERVISORS, needs_note=True),
    "resume": Rule(("dispatched", "in_progress"), None, SUPERVISORS),
    "extend": Rule(("dispatched", "in_progress"), None, SUPERVISORS, needs_note=True),
}


def transition(conn: Connection, viewer: Viewer, case_id: int, action: str, params: dict,
               calendar: WorkCalendar) -> dict:
    """Apply one action to a case in the caller's transaction; returns the changed fields."""
    rule = RULES.get(action)
    if rule is None:
        raise BadInput(f"unknown action {action!r}; one of {', '.join(RULES)}", field="action")
    viewer.require_login()
    case = load_case(conn, case_id, for_update=True)
    _check_allowed(viewer, case, action, rule, params)
    if action == "dispatch" and params.get("assignee_person_id") is not None:
        check_candidate(conn, viewer, case, params["assignee_person_id"])
    changes = _effects(action, case, params, calendar)
    if rule.to_state:
        changes["state"] = rule.to_state
    changes["event_id"] = _save(conn, viewer, case, action, changes, params.get("note") or "")
    return changes


def _check_allowed(viewer: Viewer, case: dict, action: str, rule: Rule, params: dict) -> None:
    if not may_see(viewer, case):
        raise NotFound(f"没有编号为 {case['id']} 的案件 (no such case)")
    if viewer.role not in rule.roles:
        raise Forbidden(f"角色 {viewer.role} 不能执行 {action} (role not allowed)")
    if params.get("version") is not None and params["version"] != case["version"]:
        raise Conflict("案件已被他人修改，请刷新后重试 (the case changed since you loaded it)",
                       current_version=case["version"], current_state=case["state"])
    if case["state"] not in rule.from_states:
        raise Conflict(
            f"案件当前状态为 {case['state']}，不能执行 {action} "
            f"(allowed from: {', '.join(rule.from_states)})",
            current_state=case["state"],
        )
    if rule.needs_note and not (params.get("note") or "").strip():
        raise BadInput(f"{action} needs a note giving the reason", field="note")
    if action == "suspend" and case["suspended_at"]:
        raise Conflict("案件已暂停 (already suspended)")
    if action == "resume" and not case["suspended_at"]:
        raise Conflict("案件未暂停 (not suspended)")


def _effects(action: str, case: dict, params: dict, cal: WorkCalendar) -> dict:
    """The field changes an action makes besides the state (the clock, counters, reasons)."""
    t = now()
    if action == "dispatch":
        person = params.get("assignee_person_id")
        changes = {"dispatched_at": t, "escalation_level": None}
        if person is not None:
            changes["assignee_person_id"] = person
        if case["deadline_at"] is None:       # re-dispatch after a review keeps the clock
            changes["deadline_at"] = cal.add_hours(t, case["limit_hours"])
        return changes
    if action == "handle":
        return {"handled_at": t}
    if action == "send_back":
        return {"rework_count": case["rework_count"] + 1, "handled_at": None}
    if action == "close":
        return {"closed_at": t}
    if action == "evaluate":
        return {"evaluation": _score(params.get("score"))}
    if action == "escalate":
        return {"escalation_level": _level(params.get("level"))}
    if action == "cancel":
        return {"cancel_reason": params["note"].strip()[:500]}
    return _clock_effects(action, case, params, cal, t)


def _clock_effects(action: str, case: dict, params: dict, cal: WorkCalendar, t) -> dict:
    if action == "suspend":
        return {"suspended_at": t}
    if action == "resume":
        lost = cal.hours_between(case["suspended_at"], t)
        deadline = cal.add_hours(case["deadline_at"], lost) if case["deadline_at"] else None
        return {"suspended_at": None, "deadline_at": deadline}
    if action == "extend":
        hours = params.get("hours")
        if not isinstance(hours, (int, float)) or isinstance(hours, bool) or not 0 < hours <= 400:
            raise BadInput("extend needs hours between 0 and 400", field="hours")
        return {"deadline_at": cal.add_hours(case["deadline_at"], float(hours))}
    return {}


def _score(raw) -> int:
    if not isinstance(raw, int) or isinstance(raw, bool) or not 1 <= raw <= 5:
        raise BadInput("evaluate needs a score from 1 to 5", field="score")
    return raw


def _level(raw) -> str:
    if raw not in ("community", "street"):
        raise BadInput("escalate needs level 'community' or 'street'", field="level")
    return raw


# Columns a transition may write: the whitelist that keeps identifiers out of user hands.
WRITABLE = ("state", "dispatched_at", "deadline_at", "handled_at", "closed_at", "suspended_at",
            "rework_count", "cancel_reason", "evaluation", "escalation_level", "assignee_person_id",
            "area_id", "area_code", "merged_into")
# The columns above as a Core table: SQLAlchemy quotes the names and binds every value.
CASE_FILE = table("case_file", column("id"), column("version"), *map(column, WRITABLE))


def _save(
    conn: Connection, viewer: Viewer, case: dict, action: str, changes: dict, note: str
) -> int:
    """Write the changes and their event; the event's id."""
    values = {c: changes[c] for c in WRITABLE if c in changes}
    conn.execute(update(CASE_FILE).where(CASE_FILE.c.id == case["id"])
                 .values(version=CASE_FILE.c.version + 1, **values))
    detail = {k: v for k, v in changes.items() if k not in ("state", "event_id")}
    return conn.execute(
        sql("case_flow_save"),
        {
            "id": case["id"],
            "uid": viewer.user_id,
            "name": viewer.username,
            "action": action,
            "from": case["state"],
            "to": changes.get("state", case["state"]),
            "note": note[:2000],
            "detail": json.dumps(detail, default=str, ensure_ascii=False),
        },
    ).scalar()


def merge(conn: Connection, viewer: Viewer, case_id: int, into_id: int, note: str) -> None:
    """Merge a duplicate into another case: it is cancelled with a pointer to the survivor."""
    if case_id == into_id:
        raise BadInput("a case cannot be merged into itself", field="into")
    survivor = load_case(conn, into_id)
    if not may_see(viewer, survivor):
        raise NotFound(f"没有编号为 {into_id} 的案件 (no such case)")
    if viewer.role not in SUPERVISORS:
        raise Forbidden("只有主管可以合并案件 (only supervisors merge cases)")
    if not note.strip():
        raise BadInput("合并需要说明原因 (merge needs a note giving the reason)", field="note")
    transition(conn, viewer, case_id, "cancel",
               {"note": f"重复案件，已合并至 {into_id}：{note.strip()}"}, WorkCalendar())
    conn.execute(text("UPDATE case_file SET merged_into = :into WHERE id = :id"),
                 {"into": into_id, "id": case_id})


def route_by_hand(conn: Connection, viewer: Viewer, case_id: int, area_code: str,
                  reason: str = "") -> dict:
    """Give a case an area by hand; returns {from, to} codes for the audit log.

    Routing obeys the rules of reading: a case the viewer cannot read is not found.
    It gives an unassigned case (outside every area) its area; re-routing a case that
    has one takes a supervisor with jurisdiction over both areas, and a reason.
    """
    viewer.require_login()
    case = load_case(conn, case_id, for_update=True)
    if not may_see(viewer, case):
        raise NotFound(f"没有编号为 {case_id} 的案件 (no such case)")
    if viewer.role not in SUPERVISORS or not viewer.covers(area_code):
        raise Forbidden(
            "只有该区域的主管可以分派案件 (only a supervisor of that area may route it)"
        )
    if case["state"] in FINAL_STATES:
        raise Conflict(f"案件已{case['state']}，不能再分派 (a finished case is not routed)",
                       current_state=case["state"])
    if case["area_code"] is not None:
        _check_reroute(viewer, case, reason)
    area = conn.execute(text("SELECT id, code FROM area WHERE code = :c AND retired_at IS NULL"),
                        {"c": area_code}).first()
    if area is None:
        raise BadInput(f"no current area with code {area_code}", field="area")
    changes = {"area_id": area.id, "area_code": area.code}
    if case["area_code"] is not None:
        changes["assignee_person_id"] = None      # the old area's handler; dispatch picks anew
    note = f"人工分派至 {area.code}" + (f"：{reason.strip()}" if reason.strip() else "")
    _save(conn, viewer, case, "route", changes, note)
    return {"from": case["area_code"], "to": area.code}


def _check_reroute(viewer: Viewer, case: dict, reason: str) -> None:
    """Moving an assigned case: jurisdiction over the area it leaves too, and a reason."""
    if not viewer.covers(case["area_code"]):
        raise Forbidden("只有同时管辖原区域和新区域的主管可以改派 (re-routing needs both areas)")
    if not reason.strip():
        raise BadInput("改派已分派的案件需要说明原因 (re-routing an assigned case needs a reason)",
                       field="note")


def replay(conn: Connection, case_id: int) -> list[dict]:
    """The case's history, oldest first: every transition with who (name and role), when and why."""
    return history(conn, case_id)


def clock_flags(case: dict, cal: WorkCalendar, at=None) -> dict:
    """Overdue and near-deadline flags, and the working hours left."""
    if case["deadline_at"] is None or case["state"] not in CLOCK_STATES:
        return {"overdue": False, "near_deadline": False, "hours_left": None}
    t = case["suspended_at"] or at or now()
    left = cal.hours_between(t, case["deadline_at"])
    return {"overdue": left < 0, "near_deadline": 0 <= left <= 0.2 * case["limit_hours"],
            "hours_left": round(left, 2)}


def allowed_actions(viewer: Viewer, case: dict) -> list[str]:
    """The actions this viewer may take on this case now (for the buttons on its page)."""
    if viewer.is_public or not may_see(viewer, case):
        return []
    out = []
    for action, rule in RULES.items():
        if viewer.role not in rule.roles or case["state"] not in rule.from_states:
            continue
        suspended = case["suspended_at"]
        if (action == "suspend" and suspended) or (action == "resume" and not suspended):
            continue
        out.append(action)
    return out

"""How a demand ends: as a case, a consultation topic, an answer or a reasoned refusal.

Every demand starts `open`; each action below takes it from `open` to its end state,
by the roles listed, inside the actor's jurisdiction (gisapp/access.py), and is logged
in `demand_event` and the audit log. With `whole_group` the same end is given to every
open demand of its group that the actor may act on (similar demands settled at once).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Connection

from ..accounts import audit
from ..accounts.access import SUPERVISORS, Viewer
from ..cases.report import category as case_category
from ..cases.report import report_case
from ..errors import BadInput, Conflict, Forbidden, NotFound
from .raising import MAX_BODY, load_demand, sql

FIELD_STAFF = ("grid_leader", "grid_worker", "info_officer")


@dataclass(frozen=True)
class Rule:
    to_state: str
    roles: tuple[str, ...]


RULES: dict[str, Rule] = {
    # A case: whoever may report and follow cases in the area (the case takes its own course).
    "to_case": Rule("case", SUPERVISORS + FIELD_STAFF),
    # A topic for consultation (议事协商) is set by the community or those above it.
    "to_topic": Rule("topic", SUPERVISORS),
    # An answer: staff who serve the area.
    "answer": Rule("answered", SUPERVISORS + FIELD_STAFF),
    # A refusal is a decision: supervisors and grid leaders only.
    "decline": Rule("declined", SUPERVISORS + ("grid_leader",)),
}
ACTION_NAMES = {"raise": "登记", "to_case": "转为案件", "to_topic": "转入议事协商",
                "answer": "答复", "decline": "不予受理"}


def may_see(viewer: Viewer, demand: dict) -> bool:
    """Staff see the demands of their jurisdiction and those they raised; the public none."""
    if viewer.is_public:
        return False
    if viewer.citywide or demand["raised_by_user_id"] == viewer.user_id:
        return True
    return demand["area_code"] is not None and viewer.covers(demand["area_code"])


def may_act(viewer: Viewer, demand: dict, action: str) -> bool:
    """Whether this viewer's role may take this action on this demand (its state aside)."""
    rule = RULES.get(action)
    if rule is None or viewer.role not in rule.roles:
        return False
    return viewer.citywide or bool(demand["area_code"] and viewer.covers(demand["area_code"]))


def allowed_actions(viewer: Viewer, demand: dict) -> list[str]:
    if demand["state"] != "open":
        return []
    return [a for a in RULES if may_act(viewer, demand, a)]


def parse_params(action: str, raw: dict) -> dict:
    """The inputs an action needs (checked before anything is read or written)."""
    if action not in RULES:
        raise BadInput(f"unknown action {action!r}; one of {', '.join(RULES)}", field="action")
    out = {"note": _text(raw, "note", False), "whole_group": raw.get("whole_group") is True,
           "version": _int(raw, "version", False)}
    if action == "answer":
        out["answer"] = _text(raw, "answer", True)
    elif action == "decline":
        out["reason"] = _text(raw, "reason", True)
    elif action == "to_topic":
        out["topic_id"] = _int(raw, "topic_id", True)
    elif action == "to_case":
        cat = raw.get("case_category")
        if cat not in (None, "") and not isinstance(cat, str):
            raise BadInput("case_category must be a case category key", field="case_category")
        out["case_category"] = cat or None
    return out


def _text(raw: dict, key: str, required: bool) -> str | None:
    value = raw.get(key)
    if value in (None, "") and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_BODY:
        raise BadInput(f"{key} is {'required, ' if required else ''}text of at most "
                       f"{MAX_BODY} characters", field=key)
    return value.strip()


def _int(raw: dict, key: str, required: bool) -> int | None:
    value = raw.get(key)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value < 2**62:
        raise BadInput(f"{key} must be a positive integer", field=key)
    return value


def transition(conn: Connection, viewer: Viewer, demand_id: int, action: str,
               params: dict) -> list[dict]:
    """Apply one parsed action in the caller's transaction; the demands it settled."""
    viewer.require_login()
    demand = load_demand(conn, demand_id, for_update=True)
    _check(viewer, demand, action, params)
    targets = [demand]
    if params.get("whole_group"):
        targets += [d for d in _group_mates(conn, demand) if may_act(viewer, d, action)]
    changes = _effects(conn, viewer, demand, action, params)
    for target in targets:
        _save(conn, viewer, target, action, changes, params.get("note"))
    return [load_demand(conn, d["id"]) for d in targets]


def _check(viewer: Viewer, demand: dict, action: str, params: dict) -> None:
    if not may_see(viewer, demand):
        raise NotFound(f"没有编号为 {demand['id']} 的诉求 (no such demand)")
    if not may_act(viewer, demand, action):
        raise Forbidden(f"角色 {viewer.role} 不能对该诉求执行 {ACTION_NAMES[action]} "
                        "(role or jurisdiction not allowed)")
    if params.get("version") is not None and params["version"] != demand["version"]:
        raise Conflict("诉求已被他人处理，请刷新后重试 (the demand changed since you loaded it)",
                       current_state=demand["state"], current_version=demand["version"])
    if demand["state"] != "open":
        raise Conflict(f"诉求已办结（{demand['state']}），不能再{ACTION_NAMES[action]} "
                       "(only an open demand can be settled)", current_state=demand["state"])


def _group_mates(conn: Connection, demand: dict) -> list[dict]:
    ids = conn.execute(sql("demand_group_open"), {"group": demand["group_id"],
                                                  "id": demand["id"]}).scalars().all()
    return [load_demand(conn, i) for i in ids]


def _effects(conn: Connection, viewer: Viewer, demand: dict, action: str, params: dict) -> dict:
    """The columns the action sets besides the state (creating the case or finding the topic)."""
    if action == "answer":
        return {"answer": params["answer"]}
    if action == "decline":
        return {"decline_reason": params["reason"]}
    if action == "to_topic":
        return {"topic_id": _check_topic(conn, demand, params["topic_id"])}
    return {"case_id": _open_case(conn, viewer, demand, params.get("case_category"))}


def _check_topic(conn: Connection, demand: dict, topic_id: int) -> int:
    """The topic must exist (engineer consult's table) and be held in the demand's area:
    its area contains the demand's, or lies in the demand's community (courtyard, building)."""
    if not conn.execute(sql("topic_table_exists")).scalar():
        raise NotFound("议事协商尚未启用 (no consultation topics in this database)",
                       field="topic_id")
    topic = conn.execute(sql("topic_area"), {"id": topic_id}).mappings().first()
    if topic is None:
        raise NotFound(f"没有编号为 {topic_id} 的议题 (no such topic)", field="topic_id")
    if topic["state"] == "dropped":
        raise Conflict("该议题已撤销，不能再转入 (the topic was dropped)", field="topic_id")
    code, tcode = demand["area_code"] or "", topic["area_code"] or ""
    same_community = len(code) >= 12 and tcode.startswith(code[:12])
    if not tcode or not (code.startswith(tcode) or same_community):
        raise BadInput("议题不属于该诉求所在的区域 (the topic belongs to another area)",
                       field="topic_id")
    return topic_id


def _open_case(conn: Connection, viewer: Viewer, demand: dict, key: str | None) -> int:
    """A case through the case code, at the demand's place, with the demand's text."""
    key = key or conn.execute(sql("demand_case_category"),
                              {"key": demand["category"]}).scalar()
    if key is None:
        raise BadInput("该类诉求没有对应的案件类别，请选择案件类别 (case_category is required)",
                       field="case_category")
    cat = case_category(conn, key)
    case_id, _ = report_case(conn, viewer, {
        "kind": cat["kind"], "category": cat["key"], "client_id": f"demand-{demand['id']:010d}",
        "description": f"[民意诉求 {demand['receipt']}] {demand['body']}"[:4000],
        "contact": demand["reporter_contact"], "lng": demand["lng"], "lat": demand["lat"],
        "ambiguous": False})
    audit.record(conn, viewer, "case.report", str(case_id), category=key,
                 from_demand=demand["id"])
    return case_id


def _save(conn: Connection, viewer: Viewer, demand: dict, action: str, changes: dict,
          note: str | None) -> None:
    to_state = RULES[action].to_state
    conn.execute(sql("demand_settle"), {
        "id": demand["id"], "state": to_state, "case_id": changes.get("case_id"),
        "topic_id": changes.get("topic_id"), "answer": changes.get("answer"),
        "reason": changes.get("decline_reason")})
    conn.execute(sql("demand_event_add"), {
        "id": demand["id"], "user": viewer.user_id, "action": action, "from": demand["state"],
        "to": to_state, "note": note or changes.get("answer") or changes.get("decline_reason")
        or ""})
    audit.record(conn, viewer, f"demand.{action}", str(demand["id"]), to_state=to_state)

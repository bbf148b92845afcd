"""The city plan review (拆分规划, docs/plan.md): every community over 3,000 households is
reviewed, not cut ("不搞一刀切"). Its measures come from PostGIS (queries/plan_measures.sql),
the rule's decision and reasons from gisapp/boundaries/plan_rule.py, and a supervisor's override, if
any, replaces the decision (kept in plan_override, written to the audit log). A community
to split gets as many parts as bring it under the threshold; the split proposal
(gisapp/boundaries/proposals.py) draws them. Totals: communities after the plan ("743 →
841"), and community workers needed at one per 200 households against those on duty, the
same figures as /staffing (gisapp/facilities/staffing.py), with the share to hire in the first year.
"""
from __future__ import annotations

import math

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ..accounts import audit
from ..accounts.access import Viewer
from ..errors import BadInput, Forbidden, NotFound
from ..facilities.staffing import staffing
from ..queries import loader
from .plan_rule import RULE_NAMES, Thresholds, decide

sql = loader(__package__)

MEASURES = ("area_km2", "density", "compactness", "hull_ratio", "managed_share",
            "standalone_share", "spread_m")
EXPORT_FIELDS = {           # column -> header in the CSV and Excel exports
    "code": "编码", "name": "社区", "street_name": "街道", "households": "户数",
    "area_km2": "面积（平方公里）", "density": "密度（户/平方公里）", "compactness": "紧凑度",
    "hull_ratio": "面积/凸包面积", "managed_share": "物业小区住户占比",
    "standalone_share": "散楼住户占比", "spread_m": "住户距中心平均（米）",
    "rule_decision_zh": "规则结论", "rule_name": "规则", "reasons_text": "理由",
    "decision_zh": "最终结论", "override_text": "人工调整", "parts": "拟拆分为",
    "workers": "社区工作者现有", "workers_needed": "社区工作者需要", "workers_shortfall": "缺口",
}
DECISION_ZH = {"split": "拆分", "keep": "不拆分"}


def parts_for(households: int, threshold: int) -> int:
    """Parts that bring a community under `threshold` households each."""
    return max(2, math.ceil(households / threshold))


def city_plan(conn: Connection, viewer: Viewer, t: Thresholds, first_year_share: float,
              geometry: bool = False) -> dict:
    """The review of the communities over the threshold in the viewer's jurisdiction, and totals."""
    staff = {r["code"]: r for r in staffing(conn, "community")["rows"] if viewer.covers(r["code"])}
    measured = conn.execute(sql("plan_measures"),
                            {"over": t.households, "patterns": viewer.like_patterns()})
    overrides = _overrides(conn, viewer)
    streets = _street_names(conn, viewer)
    rows = [_review(dict(m), staff[m["code"]], t, overrides.get(m["code"]), viewer, streets)
            for m in measured.mappings()]
    shortfall = sum(r["workers_shortfall"] for r in staff.values())
    by_rule: dict[str, int] = {}
    for r in rows:
        by_rule[r["rule"]] = by_rule.get(r["rule"], 0) + 1
    split = [r for r in rows if r["decision"] == "split"]
    return {"thresholds": t.__dict__, "threshold": t.households, "communities": len(staff),
            "over_threshold": len(rows), "split": len(split), "kept": len(rows) - len(split),
            "overridden": sum(1 for r in rows if r["override"]),
            "after_split": len(staff) + sum(r["parts"] - 1 for r in split),
            "households": sum(r["households"] for r in staff.values()),
            "workers": sum(r["workers"] for r in staff.values()),
            "workers_needed": sum(r["workers_needed"] for r in staff.values()),
            "workers_to_add": shortfall, "first_year_share": first_year_share,
            "workers_first_year": round(shortfall * first_year_share),
            "by_rule": [{"rule": k, "name": RULE_NAMES[k], "communities": v}
                        for k, v in sorted(by_rule.items(), key=lambda kv: -kv[1])],
            "rows": rows, "map": _map(conn, viewer) if geometry else None}


def _map(conn: Connection, viewer: Viewer) -> list[dict]:
    """Every community of the jurisdiction with its simplified boundary, for the map."""
    return [dict(r) for r in conn.execute(sql("plan_geometry"),
                                          {"patterns": viewer.like_patterns()}).mappings()]


def _review(m: dict, staff: dict, t: Thresholds, override: dict | None, viewer: Viewer,
            streets: dict) -> dict:
    rule_decision, rule, reasons = decide(m, t)
    decision = override["decision"] if override else rule_decision
    parts = parts_for(m["households"], t.households) if decision == "split" else 1
    return {**m, "street_name": streets.get(m["street"], ""),
            "rule_decision": rule_decision, "rule": rule, "rule_name": RULE_NAMES[rule],
            "reasons": reasons, "override": override, "decision": decision, "parts": parts,
            "households_per_part": round(m["households"] / parts),
            "workers": staff["workers"], "workers_needed": staff["workers_needed"],
            "workers_shortfall": staff["workers_shortfall"],
            "may_split": viewer.may_edit_boundary(m["street"])}


def _street_names(conn: Connection, viewer: Viewer) -> dict:
    return dict(conn.execute(text(
        "SELECT code, name FROM area WHERE level = 2 AND retired_at IS NULL AND code LIKE ANY(:p)"),
        {"p": [p[:9] + "%" for p in viewer.like_patterns()]}).all())


def _overrides(conn: Connection, viewer: Viewer) -> dict:
    rows = conn.execute(sql("plan_overrides"), {"p": viewer.like_patterns()}).mappings()
    return {r["community_code"]: {k: r[k] for k in ("decision", "reason", "username", "decided_at")}
            for r in rows}


# --- overrides ---------------------------------------------------------------------------

def _require_overrider(conn: Connection, viewer: Viewer, code: str) -> None:
    """Those who would split the community (its street's supervisors and above) decide."""
    viewer.require_login()
    if conn.execute(text("SELECT 1 FROM area WHERE code = :c AND level = 3 AND retired_at IS NULL"),
                    {"c": code}).first() is None:
        raise NotFound(f"没有编码为 {code} 的社区 (no current community with code {code})", code=code)
    if not viewer.may_edit_boundary(code[:9]):
        raise Forbidden(f"无权调整 {code} 的拆分结论 (only supervisors of its street may decide)", code=code)


def set_override(conn: Connection, viewer: Viewer, code: str, decision: str, reason: str) -> dict:
    """Replace the rule's decision for one community, with a reason; audited."""
    if decision not in DECISION_ZH:
        raise BadInput("decision 必须是 split 或 keep (decision must be split or keep)", field="decision")
    _require_overrider(conn, viewer, code)
    row = conn.execute(sql("plan_override_set"), {
        "c": code, "d": decision, "r": reason, "u": viewer.user_id, "n": viewer.username}).mappings().one()
    audit.record(conn, viewer, "plan.override", code, decision=decision, reason=reason)
    return dict(row)


def clear_override(conn: Connection, viewer: Viewer, code: str, reason: str) -> dict:
    """Return one community to the rule's decision; audited."""
    _require_overrider(conn, viewer, code)
    gone = conn.execute(text("DELETE FROM plan_override WHERE community_code = :c RETURNING decision"),
                        {"c": code}).scalar()
    if gone is None:
        raise NotFound(f"{code} 没有人工调整 (no override for {code})", code=code)
    audit.record(conn, viewer, "plan.override.clear", code, was=gone, reason=reason)
    return {"community_code": code, "cleared": gone}


# --- export ------------------------------------------------------------------------------

def export_rows(plan: dict) -> list[dict]:
    """The review as flat rows of the export columns (EXPORT_FIELDS), then a total row."""
    out = []
    for r in plan["rows"]:
        o = r["override"]
        out.append({**{k: r.get(k) for k in EXPORT_FIELDS},
                    "rule_decision_zh": DECISION_ZH[r["rule_decision"]],
                    "reasons_text": "；".join(r["reasons"]), "decision_zh": DECISION_ZH[r["decision"]],
                    "override_text": f"{o['username']}：{o['reason']}" if o else ""})
    out.append({"code": "合计", "name": f"社区 {plan['communities']} → {plan['after_split']}",
                "households": plan["households"], "workers": plan["workers"],
                "workers_needed": plan["workers_needed"], "workers_shortfall": plan["workers_to_add"]})
    return out

"""The records behind a number: for one subject, indicator and period, the cases, visits,
answers, demands or tasks that make its numerator and denominator, within the viewer's
rights (cases they may see; households' colours and residents' comments only to those
with a duty toward them)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ..accounts.access import Viewer
from ..accounts.small_counts import shown, threshold
from ..cases.report import visibility_sql
from ..errors import BadInput, Forbidden
from .indicators import INDICATORS, Period, _table_exists, sql, visit_figures

# Which rows make the denominator and the numerator of each case indicator.
CASE_FLAGS = {
    "case_closure": ("registered", "closed"),
    "case_on_time": ("closed", "on_time"),
    "case_rework": ("handled", "reworked"),
}
# The subject test per source when the subject is a worker (areas are a code prefix).
WORKER_TEST = {
    "drill_cases": "c.assignee_person_id = CAST(:person AS bigint)",
    "drill_satisfaction": "s.person_id = CAST(:person AS bigint)",
    "drill_visits": "v.person_id = CAST(:person AS bigint)",
    "drill_topics": "t.owner_person_id = CAST(:person AS bigint)",
    "drill_demands": "false",
}


def records(
    conn: Connection,
    viewer: Viewer,
    level: str,
    subject: str,
    indicator: str,
    period: Period,
    today: date,
) -> dict:
    """{indicator, subject, rows: [...], numerator, denominator} for staff."""
    if viewer.is_public:
        raise Forbidden("明细仅限工作人员查看 (the records are for staff)")
    if indicator not in INDICATORS:
        raise BadInput(f"未知指标 {indicator} (unknown indicator)", field="indicator")
    scope, params = _subject(level, subject)
    params.update({"scope": scope, **period.params()})
    out = {
        "level": level,
        "subject": subject,
        "indicator": indicator,
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
    }
    if indicator in CASE_FLAGS:
        out["rows"] = _cases(conn, viewer, level, indicator, params)
    elif indicator == "visit_completion":
        out.update(_visits(conn, viewer, level, subject, period, today, params))
    elif indicator == "satisfaction":
        out["rows"] = _answers(conn, viewer, level, params)
    else:
        name, table = (
            ("drill_demands", "demand")
            if indicator == "demand_on_time"
            else ("drill_topics", "topic_task")
        )
        out["rows"] = _run(conn, name, level, params) if _table_exists(conn, table) else []
    if "rows" in out and indicator not in ("visit_completion",):
        out["numerator"] = sum(1 for r in out["rows"] if r.get("counted"))
        out["denominator"] = sum(1 for r in out["rows"] if r.get("in_denominator", True))
    return out


def _subject(level: str, subject: str) -> tuple[str, dict]:
    if level == "worker":
        if not subject.isdigit() or len(subject) > 18:
            raise BadInput(
                "worker 的 subject 是人员编号 (subject must be a person id)", field="subject"
            )
        return "", {"person": int(subject)}
    n = {"community": 12, "grid": 15}.get(level)
    if n is None:
        raise BadInput("level 必须是 community、grid 或 worker (unknown level)", field="level")
    if not (subject.isdigit() and len(subject) == n):
        raise BadInput(
            f"subject 必须是 {n} 位区域编码 (subject must be an area code)", field="subject"
        )
    return subject, {}


def _run(conn: Connection, name: str, level: str, params: dict, **fmt) -> list[dict]:
    subject = WORKER_TEST[name] if level == "worker" else "true"
    stmt = text(sql(name).text.format(subject=subject, **fmt))
    rows = [dict(r) for r in conn.execute(stmt, params).mappings()]
    for r in rows:
        if "on_time" in r:
            r["counted"] = r["on_time"]
    return rows


def _cases(conn: Connection, viewer: Viewer, level: str, indicator: str, params: dict) -> list:
    visible, vis_params = visibility_sql(viewer)
    den, num = CASE_FLAGS[indicator]
    rows = _run(conn, "drill_cases", level, {**params, **vis_params}, visible=visible)
    out = []
    for r in rows:
        if r[den] or r[num]:
            out.append({**r, "in_denominator": r[den], "counted": r[num]})
    return out


def _answers(conn: Connection, viewer: Viewer, level: str, params: dict) -> list[dict]:
    rows = _run(conn, "drill_satisfaction", level, params)
    for r in rows:
        r["counted"] = r["satisfied"]
        # A resident's own words: only for those with a duty toward the area's households.
        if not (r["area_code"] and viewer.may_see_household(r["area_code"])):
            r["comment"] = None
    return rows


def _visits(
    conn: Connection,
    viewer: Viewer,
    level: str,
    subject: str,
    period: Period,
    today: date,
    params: dict,
) -> dict:
    """Visits due and done per colour; the visits themselves to those with a duty."""
    figs = visit_figures(conn, level, params["scope"], period, today)
    fig = figs.get(subject, {"done": 0, "expected": 0, "by_colour": {}})
    area = params["scope"] or None
    duty = area is not None and viewer.has_duty_toward(area)
    small = threshold()
    if duty or level == "community":
        by_colour = {
            c: {k: shown(v, duty, small) for k, v in f.items()} for c, f in fig["by_colour"].items()
        }
    else:
        by_colour = {}  # no colour breakdown below the community without a duty
    out = {"numerator": fig["done"], "denominator": fig["expected"], "by_colour": by_colour}
    if level == "worker" or duty:
        mine = level == "worker" and viewer.person_id == params.get("person")
        if level != "worker" or mine or viewer.may_see_personal_data():
            out["rows"] = _visit_rows(conn, viewer, level, params)
    return out


def _visit_rows(conn: Connection, viewer: Viewer, level: str, params: dict) -> list[dict]:
    rows = _run(conn, "drill_visits", level, params)
    return [r for r in rows if r["area_code"] and viewer.may_see_household(r["area_code"])]

"""Case evaluation: registered, closed, closure and on-time rates, rework, overdue, median time."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ..accounts.access import Viewer
from ..errors import BadInput
from ..queries import loader
from .report import visibility_sql

sql = loader(__package__)

# Group keys: a whitelist of SQL expressions, so no identifier comes from the request.
GROUPS = {
    "total": "'total'",
    "area": "left(c.area_code, :child_len)",
    "worker": "c.assignee_person_id::text",
    "day": "to_char(c.reported_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')",
    "week": "to_char(date_trunc('week', c.reported_at AT TIME ZONE 'Asia/Shanghai'), 'YYYY-MM-DD')",
    "month": "to_char(c.reported_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')",
}


def parse_period(since: str | None, until: str | None) -> tuple[str, str]:
    """[since, until) as ISO strings; default the last 30 days."""
    try:
        end = datetime.fromisoformat(until) if until else datetime.combine(date.today() + timedelta(days=1),
                                                                          datetime.min.time())
        start = datetime.fromisoformat(since) if since else end - timedelta(days=30)
    except ValueError:
        raise BadInput("from and to must be ISO 8601 dates", field="from") from None
    if start >= end:
        raise BadInput("from must be before to", field="from")
    return start.isoformat(), end.isoformat()


def case_stats(conn: Connection, viewer: Viewer, area: str, group: str, since: str, until: str) -> list[dict]:
    """One row of evaluation figures per group."""
    if group not in GROUPS:
        raise BadInput(f"group must be one of {', '.join(GROUPS)}", field="group")
    visible, params = visibility_sql(viewer)
    stmt = text(sql("case_stats").text.format(group_expr=GROUPS[group], visible=visible))
    rows = conn.execute(stmt, {**params, "area": area, "since": since, "until": until,
                               "child_len": min(len(area) + 3, 18)}).mappings().all()
    out = [_rates(dict(r)) for r in rows]
    return _label(conn, group, out)


def _rates(r: dict) -> dict:
    def ratio(a, b):
        return round(a / b, 4) if b else None
    r["closure_rate"] = ratio(r["closed"], r["registered"])
    r["on_time_rate"] = ratio(r["closed_on_time"], r["closed"])
    r["rework_rate"] = ratio(r["reworked"], r["handled"])
    if r["median_hours_to_close"] is not None:
        r["median_hours_to_close"] = round(float(r["median_hours_to_close"]), 2)
    return r


def _label(conn: Connection, group: str, rows: list[dict]) -> list[dict]:
    keys = [r["grp"] for r in rows if r["grp"]]
    names = {}
    if group == "area" and keys:
        # An area is named by its path: "第3网格" alone is ambiguous (sql/140_area_path.sql).
        names = dict(conn.execute(text("SELECT code, area_path(id) FROM area WHERE code = ANY(:k)"),
                                  {"k": keys}).all())
    elif group == "worker" and keys:
        names = {str(k): v for k, v in conn.execute(
            text("SELECT id, name FROM person WHERE id = ANY(CAST(:k AS bigint[]))"), {"k": keys}).all()}
    for r in rows:
        r["label"] = names.get(r["grp"], r["grp"] or "未分派")
    return rows

"""Runs: an assessment computed for a period and kept, published (公示) with an appeal
window; appeals by the assessed, decided by a supervisor above them; the score
recalculated; every step written to the audit log (actions assessment.*)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ..accounts import audit
from ..accounts.access import Viewer
from ..errors import BadInput, Conflict, Forbidden, NotFound
from .indicators import INDICATORS, Period, sql
from .scores import load_scheme, rank_and_grade, score, scoreboard

# Who creates and publishes runs and decides appeals (inside their jurisdiction).
RUN_ROLES = ("city_admin", "district_supervisor", "street_supervisor")
# Who may appeal for an area they cover (community and grid levels).
APPEAL_ROLES = ("community_supervisor", "grid_leader", "grid_worker")


def require_manager(viewer: Viewer, scope: str) -> None:
    viewer.require_login()
    if viewer.role not in RUN_ROLES or not (viewer.citywide or viewer.covers(scope or "-")):
        raise Forbidden("只有该范围的上级主管可以管理考核 (only a supervisor of this scope)")


def create_run(
    conn: Connection, viewer: Viewer, level: str, scope: str, period: Period, today: date
) -> dict:
    """Compute the scoreboard and keep it as a draft run; audited."""
    require_manager(viewer, scope)
    scheme = load_scheme(conn, level)
    board = scoreboard(conn, level, scope, period, today, scheme)
    run_id = conn.execute(
        sql("run_insert"),
        {
            "l": level,
            "s": scope,
            "f": period.start,
            "t": period.end,
            "u": viewer.username,
            "scheme": json.dumps({k: scheme[k] for k in ("weights", "quotas", "appeal_days")}),
        },
    ).scalar()
    rows = [
        (r["subject"], k, v["numerator"], v["denominator"], v["value"])
        for r in board["results"]
        for k, v in r["items"].items()
    ]
    conn.execute(
        sql("run_items_insert"),
        {"run": run_id, **_columns(rows, ("subjects", "indicators", "nums", "dens", "vals"))},
    )
    _write_results(conn, run_id, board["results"])
    audit.record(
        conn,
        viewer,
        "assessment.run.create",
        f"run:{run_id}",
        level=level,
        scope=scope,
        period=[period.start.isoformat(), period.end.isoformat()],
        subjects=len(board["results"]),
    )
    return as_json(get_run(conn, run_id))


def _columns(rows: list[tuple], names: tuple[str, ...]) -> dict:
    return {name: [r[i] for r in rows] for i, name in enumerate(names)}


def _write_results(conn: Connection, run_id: int, results: list[dict]) -> None:
    rows = [
        (r["subject"], r["label"], r["area_code"], r["score"], r["rank"], r["grade"])
        for r in results
    ]
    conn.execute(
        sql("run_results_upsert"),
        {
            "run": run_id,
            **_columns(rows, ("subjects", "labels", "areas", "scores", "ranks", "grades")),
        },
    )


def get_run(conn: Connection, run_id: int, for_update: bool = False) -> dict:
    row = (
        conn.execute(
            text(
                "SELECT * FROM assessment_run WHERE id = :id"
                + (" FOR UPDATE" if for_update else "")
            ),
            {"id": run_id},
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"没有编号为 {run_id} 的考核 (no such run)")
    return dict(row)


def as_json(run: dict) -> dict:
    """The period's days as ISO dates (JSON would give them as midnight timestamps)."""
    return {
        **run,
        "period_from": run["period_from"].isoformat(),
        "period_to": run["period_to"].isoformat(),
    }


def may_read(viewer: Viewer, run: dict) -> bool:
    """Published runs are public (worker runs: to staff); drafts to their managers."""
    if run["state"] == "published":
        return run["level"] != "worker" or not viewer.is_public
    return viewer.role in RUN_ROLES and (viewer.citywide or viewer.covers(run["scope"] or "-"))


def run_results(conn: Connection, viewer: Viewer, run_id: int) -> dict:
    run = get_run(conn, run_id)
    if not may_read(viewer, run):
        raise NotFound(f"没有编号为 {run_id} 的考核 (no such run)")
    rows = conn.execute(sql("run_results"), {"run": run_id, "patterns": None}).mappings()
    return {"run": as_json(run), "results": [dict(r) for r in rows]}


def publish(conn: Connection, viewer: Viewer, run_id: int) -> dict:
    """公示: the run becomes public and open to appeal for the scheme's days; audited."""
    run = get_run(conn, run_id, for_update=True)
    require_manager(viewer, run["scope"])
    if run["state"] != "draft":
        raise Conflict("该考核已公示 (the run is already published)", state=run["state"])
    days = int(run["scheme"].get("appeal_days") or 7)
    conn.execute(
        sql("run_publish"),
        {"d": days, "id": run_id},
    )
    audit.record(conn, viewer, "assessment.run.publish", f"run:{run_id}", appeal_days=days)
    return as_json(get_run(conn, run_id))


def _item(conn: Connection, run_id: int, subject: str, indicator: str) -> dict:
    row = (
        conn.execute(
            sql("run_item"),
            {"r": run_id, "s": subject, "i": indicator},
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound("该考核中没有这一项 (no such item in the run)")
    return dict(row)


def may_appeal(viewer: Viewer, run: dict, subject: str, area_code: str | None) -> bool:
    """The assessed: the worker themself; for an area, its supervisor or grid staff."""
    if viewer.is_public:
        return False
    if run["level"] == "worker":
        return viewer.person_id is not None and str(viewer.person_id) == subject
    return viewer.role in APPEAL_ROLES and bool(area_code) and viewer.covers(area_code)


def file_appeal(
    conn: Connection, viewer: Viewer, run_id: int, subject: str, indicator: str, reason: str
) -> dict:
    """申诉: one item of a published run, during its appeal window; audited."""
    viewer.require_login()
    run = get_run(conn, run_id, for_update=True)
    if indicator not in INDICATORS:
        raise BadInput(f"未知指标 {indicator} (unknown indicator)", field="indicator")
    item = _item(conn, run_id, subject, indicator)
    if not may_appeal(viewer, run, subject, item["area_code"]):
        raise Forbidden("只有被考核人或被考核社区可以申诉 (only the assessed may appeal)")
    if run["state"] != "published" or datetime.now(timezone.utc) >= run["appeal_until"]:
        raise Conflict(
            "不在申诉期内 (outside the appeal window)",
            state=run["state"],
            appeal_until=run["appeal_until"],
        )
    open_one = conn.execute(
        sql("appeal_open_of_item"),
        {"r": run_id, "s": subject, "i": indicator},
    ).scalar()
    if open_one is not None:
        raise Conflict("该项已有待处理的申诉 (an appeal of this item is open)", appeal_id=open_one)
    appeal_id = conn.execute(
        sql("appeal_insert"),
        {"r": run_id, "s": subject, "i": indicator, "reason": reason, "u": viewer.username},
    ).scalar()
    audit.record(
        conn,
        viewer,
        "assessment.appeal.file",
        f"appeal:{appeal_id}",
        run=run_id,
        subject=subject,
        indicator=indicator,
        reason=reason,
    )
    return get_appeal(conn, appeal_id)


def get_appeal(conn: Connection, appeal_id: int) -> dict:
    row = (
        conn.execute(text("SELECT * FROM assessment_appeal WHERE id = :id"), {"id": appeal_id})
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"没有编号为 {appeal_id} 的申诉 (no such appeal)")
    return dict(row)


def appeals(conn: Connection, viewer: Viewer, run_id: int) -> list[dict]:
    run = get_run(conn, run_id)
    if viewer.is_public or not may_read(viewer, run):
        raise NotFound(f"没有编号为 {run_id} 的考核 (no such run)")
    rows = conn.execute(
        sql("appeals_of_run"),
        {"r": run_id},
    ).mappings()
    return [dict(r) for r in rows if _sees_appeal(viewer, r)]


def _sees_appeal(viewer: Viewer, appeal) -> bool:
    """The appellant, and staff whose jurisdiction holds the assessed area."""
    return (
        viewer.citywide
        or str(viewer.person_id) == appeal["subject"]
        or bool(appeal["area_code"])
        and viewer.covers(appeal["area_code"])
    )


def decide(
    conn: Connection,
    viewer: Viewer,
    appeal_id: int,
    upheld: bool,
    corrected: float | None,
    note: str,
) -> dict:
    """A supervisor above the assessed upholds (with the corrected value) or rejects an
    appeal; an upheld one changes the item and the run's scores, ranks and grades."""
    appeal = get_appeal(conn, appeal_id)
    run = get_run(conn, appeal["run_id"], for_update=True)
    item = _item(conn, run["id"], appeal["subject"], appeal["indicator"])
    require_manager(viewer, item["area_code"] or run["scope"])
    if appeal["state"] != "open":
        raise Conflict("该申诉已处理 (the appeal is decided)", state=appeal["state"])
    if appeal["filed_by"] == viewer.username:
        raise Forbidden("不能处理自己提出的申诉 (you filed this appeal)")
    before = _score_of(conn, run["id"], appeal["subject"])
    if upheld:
        conn.execute(
            sql("item_correct"),
            {"v": corrected, "r": run["id"], "s": appeal["subject"], "i": appeal["indicator"]},
        )
        recalculate(conn, run)
    after = _score_of(conn, run["id"], appeal["subject"])
    conn.execute(
        sql("appeal_decide"),
        {
            "st": "upheld" if upheld else "rejected",
            "u": viewer.username,
            "n": note,
            "v": corrected if upheld else None,
            "b": before,
            "a": after,
            "id": appeal_id,
        },
    )
    audit.record(
        conn,
        viewer,
        "assessment.appeal.decide",
        f"appeal:{appeal_id}",
        run=run["id"],
        subject=appeal["subject"],
        indicator=appeal["indicator"],
        upheld=upheld,
        corrected_value=corrected,
        score_before=before,
        score_after=after,
        note=note,
    )
    return get_appeal(conn, appeal_id)


def _score_of(conn: Connection, run_id: int, subject: str) -> float | None:
    return conn.execute(
        text("SELECT score FROM assessment_result WHERE run_id = :r AND subject = :s"),
        {"r": run_id, "s": subject},
    ).scalar()


def recalculate(conn: Connection, run: dict) -> None:
    """Scores from the run's items and scheme; then ranks and grades over the whole run."""
    rows = conn.execute(sql("run_results"), {"run": run["id"], "patterns": None}).mappings()
    results = []
    for r in rows:
        values = {k: v["value"] for k, v in r["items"].items()}
        results.append(
            {
                "subject": r["subject"],
                "label": r["label"],
                "area_code": r["area_code"],
                "items": r["items"],
                "score": score(values, run["scheme"]["weights"]),
            }
        )
    _write_results(conn, run["id"], rank_and_grade(results, run["scheme"]["quotas"]))


def list_runs(conn: Connection, viewer: Viewer, level: str | None) -> list[dict]:
    rows = conn.execute(
        sql("runs_list"),
        {"l": level},
    ).mappings()
    return [as_json(dict(r)) for r in rows if may_read(viewer, r)]


def month_period(month: str) -> Period:
    """A month 'YYYY-MM' as a period."""
    try:
        start = date.fromisoformat(month + "-01")
    except (TypeError, ValueError):
        raise BadInput("month 必须是 YYYY-MM (month must be YYYY-MM)", field="month") from None
    end = (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return Period(start, end)

"""The assessment's API and pages: scheme, live scoreboard (JSON, CSV, Excel), trend,
drill-down, runs with publication and appeal, the choropleth of scores, and the public
receipt and satisfaction pages."""

from __future__ import annotations

import math

from flask import current_app, jsonify, render_template, request

from .. import db
from ..accounts import audit
from ..accounts.web_auth import current_viewer
from ..errors import BadInput, Forbidden, NotFound
from ..households.visit_stats import parse_period
from ..households.visits import china_today
from ..web.jsonbody import parse_json_body
from ..web.pages import default_area, login_first
from ..web.params import parse_code, parse_int
from ..web.table_export import csv_response, xlsx_response
from . import bp, drill, runs, satisfaction
from .indicators import INDICATORS, LEVELS, Period
from .scores import load_scheme, parse_scheme, save_scheme, scoreboard
from .trend import choropleth, trend

NAMES_ZH = {
    "case_closure": "案件结案率",
    "case_on_time": "按时办结率",
    "case_rework": "返工率",
    "visit_completion": "走访完成率",
    "demand_on_time": "诉求按时办结率",
    "topic_followup": "协商事项落实率",
    "satisfaction": "群众满意率",
}
EXPORT_FIELDS = {
    "rank": "排名",
    "label": "名称",
    "subject": "编码",
    "score": "得分",
    "grade": "等次",
    **{f"{k}_pct": f"{v}(%)" for k, v in NAMES_ZH.items()},
}


def _body() -> dict:
    body = parse_json_body(request, current_app.config["MAX_CONTENT_LENGTH"])
    if not isinstance(body, dict):
        raise BadInput("请求体必须是 JSON 对象 (body must be a JSON object)")
    return body


def _level(raw: str | None) -> str:
    if raw not in LEVELS:
        raise BadInput(f"level 必须是 {', '.join(LEVELS)} 之一 (unknown level)", field="level")
    return raw


def _period(args) -> Period:
    if args.get("month"):
        return runs.month_period(args["month"])
    start, end = parse_period(args.get("from"), args.get("to"), china_today())
    return Period(start, end)


def _scope(viewer, raw: str | None) -> str:
    """The area to rank inside: given (within the jurisdiction) or the viewer's own."""
    viewer.require_login()
    if raw:
        code = parse_code(raw, "area")
        if not (viewer.citywide or viewer.covers(code)):
            raise Forbidden("该区域不在您的管辖范围内 (outside your jurisdiction)")
        return code
    if viewer.citywide:
        return ""
    if len(viewer.prefixes or ()) != 1:
        raise BadInput("请指定 area (area is required)", field="area")
    return viewer.prefixes[0]


@bp.get("/api/assessment/scheme")
def scheme_get():
    current_viewer().require_login()
    with db.read() as conn:
        levels = {lv: load_scheme(conn, lv) for lv in LEVELS}
    return jsonify(
        {"indicators": [{"key": k, "name_zh": NAMES_ZH[k]} for k in INDICATORS], "levels": levels}
    )


@bp.put("/api/assessment/scheme/<level>")
def scheme_put(level: str):
    """{"weights": {...}, "quotas": {"A", "B", "C"}, "appeal_days"}: city admins; audited."""
    viewer = current_viewer()
    viewer.require_role("city_admin")
    level, scheme = _level(level), parse_scheme(_body())
    with db.write() as conn:
        saved = save_scheme(conn, level, scheme, viewer.username)
        audit.record(conn, viewer, "assessment.scheme.update", f"scheme:{level}", **scheme)
    return jsonify(saved)


@bp.get("/api/assessment/scores")
def scores():
    """The live scoreboard of a level for any period: ?level=&month=|from=&to=&area=&format="""
    viewer = current_viewer()
    level, scope, period = (
        _level(request.args.get("level")),
        _scope(viewer, request.args.get("area")),
        _period(request.args),
    )
    fmt = _format()
    with db.read_replica() as conn:
        board = scoreboard(conn, level, scope, period, china_today())
    return _export(board, fmt, f"assessment-{level}-{period.start}")


def _format() -> str:
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "csv", "xlsx"):
        raise BadInput(
            "format 必须是 json、csv 或 xlsx (format must be json, csv or xlsx)", field="format"
        )
    return fmt


def _export(board: dict, fmt: str, filename: str):
    if fmt == "json":
        return jsonify(board)
    rows = [_flat(r) for r in board["results"]]
    if fmt == "csv":
        return csv_response(rows, EXPORT_FIELDS, filename)
    return xlsx_response(rows, EXPORT_FIELDS, filename, "考核排名")


def _flat(r: dict) -> dict:
    out = {k: r.get(k) for k in ("rank", "label", "subject", "score", "grade")}
    for k, item in r["items"].items():
        v = item["value"]
        out[f"{k}_pct"] = None if v is None else round(100 * v, 1)
    return out


@bp.get("/api/assessment/trend")
def trend_view():
    """A subject's score month by month: ?level=&subject=&to=YYYY-MM&months=6"""
    viewer = current_viewer()
    viewer.require_login()
    level, subject = _level(request.args.get("level")), request.args.get("subject") or ""
    months = parse_int(request.args.get("months"), "months", 6, 1, 12)
    last = runs.month_period(request.args.get("to") or china_today().isoformat()[:7])
    with db.read_replica() as conn:
        return jsonify(trend(conn, viewer, level, subject, last.start, months, china_today()))


@bp.get("/api/assessment/drill")
def drill_view():
    """The records behind one number: ?level=&subject=&indicator=&month=|from=&to="""
    viewer = current_viewer()
    level, period = _level(request.args.get("level")), _period(request.args)
    with db.read_replica() as conn:
        return jsonify(
            drill.records(
                conn,
                viewer,
                level,
                request.args.get("subject") or "",
                request.args.get("indicator") or "",
                period,
                china_today(),
            )
        )


@bp.get("/api/assessment/choropleth")
def choropleth_view():
    """Community scores of a month as GeoJSON, for the wall: ?month=YYYY-MM&area="""
    viewer = current_viewer()
    scope = _scope(viewer, request.args.get("area"))
    period = runs.month_period(request.args.get("month") or china_today().isoformat()[:7])
    with db.read_replica() as conn:
        return jsonify(choropleth(conn, scope, period, china_today()))


@bp.get("/api/assessment/runs")
def runs_list():
    level = request.args.get("level") or None
    if level is not None:
        level = _level(level)
    with db.read() as conn:
        return jsonify({"runs": runs.list_runs(conn, current_viewer(), level)})


@bp.post("/api/assessment/runs")
def runs_create():
    """{"level", "month" | "from", "to", "area"}: a draft run (supervisors above); audited."""
    viewer, body = current_viewer(), _body()
    viewer.require_login()
    level, scope = _level(body.get("level")), _scope(viewer, body.get("area"))
    period = _period({k: body.get(k) for k in ("month", "from", "to") if body.get(k)})
    with db.write() as conn:
        run = runs.create_run(conn, viewer, level, scope, period, china_today())
    return jsonify(run), 201


@bp.get("/api/assessment/runs/<int:run_id>")
def run_get(run_id: int):
    fmt = _format()
    with db.read() as conn:
        out = runs.run_results(conn, current_viewer(), run_id)
    if fmt == "json":
        return jsonify(out)
    board = {"results": out["results"]}
    return _export(board, fmt, f"assessment-run-{run_id}")


@bp.post("/api/assessment/runs/<int:run_id>/publish")
def run_publish(run_id: int):
    with db.write() as conn:
        return jsonify(runs.publish(conn, current_viewer(), run_id))


@bp.get("/api/assessment/runs/<int:run_id>/drill")
def run_drill(run_id: int):
    """The records behind an item of a run, over the run's period."""
    viewer = current_viewer()
    with db.read() as conn:
        run = runs.get_run(conn, run_id)
        if not runs.may_read(viewer, run):
            raise NotFound(f"没有编号为 {run_id} 的考核 (no such run)")
        return jsonify(
            drill.records(
                conn,
                viewer,
                run["level"],
                request.args.get("subject") or "",
                request.args.get("indicator") or "",
                Period(run["period_from"], run["period_to"]),
                china_today(),
            )
        )


@bp.get("/api/assessment/runs/<int:run_id>/appeals")
def appeals_list(run_id: int):
    with db.read() as conn:
        return jsonify({"appeals": runs.appeals(conn, current_viewer(), run_id)})


@bp.post("/api/assessment/runs/<int:run_id>/appeals")
def appeal_file(run_id: int):
    """{"subject", "indicator", "reason"}: the assessed appeal an item; audited."""
    body = _body()
    reason = body.get("reason")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 1000:
        raise BadInput("请填写申诉理由（最多 1000 字）(reason is required)", field="reason")
    subject, indicator = body.get("subject"), body.get("indicator")
    if not isinstance(subject, str) or not isinstance(indicator, str):
        raise BadInput("subject 和 indicator 必须是字符串 (subject and indicator)", field="subject")
    with db.write() as conn:
        appeal = runs.file_appeal(
            conn, current_viewer(), run_id, subject, indicator, reason.strip()
        )
    return jsonify(appeal), 201


@bp.post("/api/assessment/appeals/<int:appeal_id>/decision")
def appeal_decide(appeal_id: int):
    """{"decision": "upheld"|"rejected", "corrected_value": 0..1, "note"}; audited."""
    body = _body()
    decision, note = body.get("decision"), body.get("note") or ""
    if decision not in ("upheld", "rejected"):
        raise BadInput("decision 必须是 upheld 或 rejected", field="decision")
    if not isinstance(note, str) or len(note) > 1000:
        raise BadInput("note 最多 1000 字 (note at most 1000 characters)", field="note")
    value = body.get("corrected_value")
    if decision == "upheld" and not (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and 0 <= value <= 1
    ):
        raise BadInput(
            "维持申诉须给出更正值 0 到 1 (corrected_value 0..1)", field="corrected_value"
        )
    with db.write() as conn:
        return jsonify(
            runs.decide(
                conn,
                current_viewer(),
                appeal_id,
                decision == "upheld",
                value if decision == "upheld" else None,
                note,
            )
        )


@bp.get("/api/receipts/<code>")
def receipt_api(code: str):
    with db.read() as conn:
        return jsonify(satisfaction.receipt(conn, code))


@bp.get("/api/satisfaction/<token>")
def satisfaction_link(token: str):
    """What the link is about, and whether it is open, used or expired."""
    with db.read() as conn:
        return jsonify(satisfaction.invite(conn, token))


@bp.post("/api/satisfaction/<token>")
def satisfaction_answer(token: str):
    """{"score": 1..5, "comment"}: the reporter's answer through the single-use link."""
    score, comment = satisfaction.parse_answer(_body())
    with db.write() as conn:
        return jsonify(satisfaction.answer(conn, token, score, comment)), 201


@bp.post("/api/visits/<int:visit_id>/satisfaction")
def visit_satisfaction(visit_id: int):
    """{"score": 1..5, "comment"}: the household's satisfaction, given on a visit."""
    viewer = current_viewer()
    score, comment = satisfaction.parse_answer(_body())
    with db.write() as conn:
        return jsonify(satisfaction.record_for_visit(conn, viewer, visit_id, score, comment)), 201


@bp.get("/assessment")
def scoreboard_page():
    """考核: the scoreboard with ranking, trend, distribution, drill-down, runs and appeals."""
    viewer = current_viewer()
    if viewer.is_public:
        return login_first(keep_query=False)
    default = default_area(viewer)
    return render_template(
        "assessment/scoreboard.html",
        default_area=default,
        month=china_today().isoformat()[:7],
        names=NAMES_ZH,
        manager=viewer.role in runs.RUN_ROLES,
    )


@bp.get("/assessment/published")
def published_page():
    """考核公示: published runs and their rankings, open to everyone."""
    return render_template("assessment/published.html")


@bp.get("/receipt/<code>")
def receipt_page(code: str):
    """办理进度: the public reporter's view of their case, and the satisfaction link."""
    return render_template("assessment/receipt.html", code=code)


@bp.get("/satisfaction/<token>")
def satisfaction_page(token: str):
    """满意度评价: one question, one answer, through the single-use link."""
    return render_template("assessment/satisfaction.html", token=token)

"""Staffing analysis: GET /api/staffing (JSON, CSV) and the /staffing page with charts."""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request

from .. import db
from ..accounts.web_auth import current_viewer
from ..errors import BadInput
from ..web.pages import default_area, login_first
from ..web.params import parse_code
from ..web.table_export import csv_response
from .staffing import CODE_LENGTH, SUMMED, staffing

bp = Blueprint("staffing", __name__)
CSV_FIELDS = ("code", "name") + SUMMED


@bp.get("/api/staffing")
def staffing_api():
    """Households, staff on duty, staff needed and the shortfall per community or grid."""
    current_viewer().require_login()
    args = request.args
    level = args.get("level") or "community"
    if level not in CODE_LENGTH:
        raise BadInput("level must be community or grid", field="level")
    area = parse_code(args["area"], "area") if args.get("area") else None
    if area and len(area) > CODE_LENGTH[level]:
        raise BadInput(f"area {area} lies below level {level}", field="level")
    fmt = args.get("format", "json")
    if fmt not in ("json", "csv"):
        raise BadInput("format must be json or csv", field="format")
    with db.read_replica() as conn:
        result = staffing(conn, level, area)
    if fmt == "csv":
        return csv_response(
            [*result["rows"], {"code": "total", "name": "合计", **result["totals"]}],
            CSV_FIELDS,
            f"staffing-{level}",
        )
    return jsonify(result)


@bp.get("/staffing")
def staffing_page():
    """人员配备分析: the shortfall per community or grid, with charts."""
    viewer = current_viewer()
    if viewer.is_public:
        return login_first(keep_query=False)
    default = default_area(viewer)
    return render_template("staffing/index.html", default_area=default)

"""Staffing analysis: GET /api/staffing (JSON, CSV) and the /staffing page with charts."""
from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, jsonify, redirect, render_template, request, url_for

from .. import db
from ..accounts.web_auth import current_viewer
from ..areas.features import parse_code
from ..errors import BadInput
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
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(result["rows"])
        writer.writerow({"code": "total", "name": "合计", **result["totals"]})
        return Response("\ufeff" + buf.getvalue(), mimetype="text/csv",
                        headers={"Content-Disposition": f"attachment; filename=staffing-{level}.csv"})
    return jsonify(result)


@bp.get("/staffing")
def staffing_page():
    """人员配备分析: the shortfall per community or grid, with charts."""
    viewer = current_viewer()
    if viewer.is_public:
        return redirect(url_for("auth.login_form", next=request.path), code=303)
    default = "" if viewer.citywide else (viewer.prefixes[0] if viewer.prefixes else "")
    return render_template("staffing/index.html", default_area=default)

"""Coverage analysis: GET /api/coverage (JSON table, CSV, GeoJSON map layer) and the /coverage page."""
from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, current_app, jsonify, render_template, request

from .. import db
from ..accounts import audit
from ..accounts.small_counts import threshold
from ..accounts.web_auth import current_viewer
from ..areas.features import parse_int
from ..errors import BadInput
from ..households.records import COLOURS
from ..live.views_wall import _basemap as basemap_config  # the same base map as the wall, if any
from .coverage import as_geojson, coverage, gap_households, parse_query, protect
from .registry import kinds

bp = Blueprint("coverage", __name__)
FORMATS = ("json", "csv", "geojson")
CSV_FIELDS = ("code", "name", "households", "gaps", "gap_share")


@bp.get("/api/coverage")
def coverage_api():
    """Households farther than `distance` metres from every facility of `kind`, per area."""
    fmt = request.args.get("format", "json")
    if fmt not in FORMATS:
        raise BadInput(f"format must be one of {', '.join(FORMATS)}", field="format")
    viewer = current_viewer()
    q = parse_query(request.args, viewer)
    with db.read_replica() as conn:
        result = protect(coverage(conn, q), viewer, threshold())
        if fmt == "geojson":
            return jsonify(as_geojson(conn, result))
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(result["rows"])
        name = f"coverage-{q.kind}-{int(q.distance_m)}m-{q.level}.csv"
        return Response("\ufeff" + buf.getvalue(), mimetype="text/csv",
                        headers={"Content-Disposition": f"attachment; filename={name}"})
    return jsonify(result)


@bp.get("/api/coverage/households")
def coverage_households():
    """The gap households as GeoJSON points, only inside the viewer's household duties (audited)."""
    viewer = current_viewer()
    viewer.require_login()
    q = parse_query(request.args, viewer)
    limit = parse_int(request.args.get("limit"), "limit", 5000, 1, 5000)
    with db.write() as conn:
        fc = gap_households(conn, viewer, q, limit)
        if fc["features"]:
            audit.record(conn, viewer, "read.households", q.area, count=len(fc["features"]),
                         via="coverage", kind=q.kind, distance=q.distance_m)
    return jsonify(fc)


@bp.get("/coverage")
def coverage_page():
    """服务覆盖分析: the gaps on a map and the areas ranked."""
    with db.read_replica() as conn:
        kind_names = kinds(conn)
    viewer = current_viewer()
    return render_template("coverage/index.html", kinds=kind_names, colours=COLOURS,
                           staff=viewer.may_count_special_groups(),
                           household_points=viewer.may_see_personal_data(),
                           basemap=basemap_config(current_app.config))

"""The demands API (see docs/demands.md): raise, list, count, read, settle, follow by receipt."""
from __future__ import annotations

from flask import current_app, jsonify, request

from .. import db
from ..accounts import audit, auth
from ..accounts.web_auth import current_viewer
from ..errors import BadInput, Forbidden
from ..web.jsonbody import parse_json_body
from ..web.table_export import csv_response
from . import bp
from .categories import categories
from .flow import parse_params, transition
from .lists import (CSV_HEADERS, count_demands, get_demand, list_demands, parse_filters,
                    public_status)
from .raising import load_demand, parse_demand, parse_receipt, raise_demand

FORMATS = ("json", "geojson", "csv")


@bp.get("/api/demand-categories")
def demand_categories():
    """The demand categories the forms offer, and the case category each becomes."""
    with db.read() as conn:
        return jsonify({"categories": categories(conn)})


def _body() -> dict:
    if (request.mimetype or "") in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return request.form.to_dict()
    body = parse_json_body(request, current_app.config["MAX_CONTENT_LENGTH"])
    if not isinstance(body, dict):
        raise BadInput("body must be a JSON object")
    return body


@bp.post("/api/demands")
def create_demand():
    """Raise a demand: the public (rate-limited, answered with a receipt) or staff."""
    viewer = current_viewer()
    if viewer.role == "wall_viewer":
        raise Forbidden("大屏账号不能登记诉求 (a wall screen cannot raise demands)")
    demand = parse_demand(_body())
    source = "public" if viewer.is_public else "staff"
    with db.write() as conn:
        if viewer.is_public:
            auth.hit_rate_limit(conn, f"demand:{request.remote_addr}",
                                current_app.config["PUBLIC_DEMANDS_PER_MINUTE"])
        demand_id, created = raise_demand(conn, viewer, demand, source)
        if created:
            audit.record(conn, viewer, "demand.raise", str(demand_id), source=source)
        status = public_status(conn, load_demand(conn, demand_id)["receipt"])
        full = None if viewer.is_public else get_demand(conn, viewer, demand_id)
    body = {"receipt": status, "created": created}
    if full is not None:
        body["demand"] = full
    return jsonify(body), 201 if created else 200


@bp.get("/api/demands")
def demands_list():
    """Staff: demands in their jurisdiction (?area=&from=&to=&state=&category=&format=)."""
    viewer = current_viewer()
    viewer.require_login()
    fmt = request.args.get("format", "json")
    if fmt not in FORMATS:
        raise BadInput(f"format must be one of {', '.join(FORMATS)}", field="format")
    filters = parse_filters(request.args)
    if fmt != "json" and "limit" not in request.args:
        filters["limit"] = 5000
    with db.read() as conn:
        total, rows = list_demands(conn, viewer, filters)
    if fmt == "csv":
        return csv_response(rows, CSV_HEADERS, "demands")
    if fmt == "geojson":
        return jsonify({"type": "FeatureCollection", "total": total, "features": [
            {"type": "Feature", "id": r["id"],
             "geometry": {"type": "Point", "coordinates": [r["lng"], r["lat"]]},
             "properties": {k: v for k, v in r.items() if k not in ("lng", "lat")}}
            for r in rows]})
    return jsonify({"total": total, "limit": filters["limit"], "offset": filters["offset"],
                    "demands": rows})


@bp.get("/api/demands/counts")
def demands_counts():
    """Counts per child area and state for a period (?area=&from=&to=&category=)."""
    viewer = current_viewer()
    viewer.require_login()
    filters = parse_filters(request.args)
    with db.read() as conn:
        areas = count_demands(conn, viewer, filters)
    keys = ("total", "open", "overdue", "case", "topic", "answered", "declined", "on_time")
    return jsonify({"area": filters["area"], "areas": areas,
                    "total": {k: sum(a[k] for a in areas) for k in keys}})


@bp.get("/api/demands/<int:demand_id>")
def demand_detail(demand_id: int):
    """One demand with its history and the actions the caller may take (404 if not visible)."""
    viewer = current_viewer()
    with db.read() as conn:
        return jsonify(get_demand(conn, viewer, demand_id))


@bp.post("/api/demands/<int:demand_id>/actions/<action>")
def demand_action(demand_id: int, action: str):
    """Settle an open demand: to_case, to_topic, answer or decline (whole_group optional)."""
    viewer = current_viewer()
    viewer.require_login()
    params = parse_params(action, _body())
    with db.write() as conn:
        settled = transition(conn, viewer, demand_id, action, params)
        demand = get_demand(conn, viewer, demand_id)
    return jsonify({"demand": demand, "settled": [d["id"] for d in settled]})


@bp.get("/api/demands/receipt/<code>")
def demand_by_receipt(code: str):
    """Anyone with the receipt: the demand's state, deadline and answer; never who raised it."""
    receipt = parse_receipt(code)
    with db.read() as conn:
        return jsonify(public_status(conn, receipt))

"""Facilities: /api/facilities (list, create, read, change, delete), nearest, and the /facilities page."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, request

from .. import db
from ..accounts import audit
from ..accounts.access import SUPERVISORS
from ..accounts.web_auth import current_viewer
from ..areas.features import parse_bbox, parse_code, parse_int
from ..errors import BadInput
from ..households.records import get_household
from ..live.views_wall import _basemap as basemap_config  # the same base map as the wall, if any
from ..web.jsonbody import parse_json_body
from .registry import (
    MAX_NEAREST,
    create_facility,
    delete_facility,
    get_facility,
    kinds,
    list_facilities,
    nearest,
    parse_point,
    update_facility,
)

bp = Blueprint("facilities", __name__)


@bp.get("/api/facility-kinds")
def facility_kinds():
    """Facility kinds (key and Chinese name)."""
    with db.read() as conn:
        return jsonify({"kinds": [{"kind": k, "name_zh": v} for k, v in kinds(conn).items()]})


@bp.get("/api/facilities")
def facilities_list():
    """Facilities the viewer may see, by kind, area code and bbox (JSON or GeoJSON)."""
    args = request.args
    kind = args.get("kind") or None
    area = parse_code(args["area"], "area") if args.get("area") else None
    bbox = parse_bbox(args.get("bbox"))
    limit = parse_int(args.get("limit"), "limit", 500, 1, 5000)
    offset = parse_int(args.get("offset"), "offset", 0, 0, 10**9)
    fmt = args.get("format", "json")
    if fmt not in ("json", "geojson"):
        raise BadInput("format must be json or geojson", field="format")
    with db.read_replica() as conn:
        rows = list_facilities(conn, current_viewer(), kind, area, bbox, limit, offset)
    if fmt == "geojson":
        return jsonify({"type": "FeatureCollection", "numberReturned": len(rows), "features": [
            {"type": "Feature", "id": r["id"],
             "geometry": {"type": "Point", "coordinates": [r["lng"], r["lat"]]},
             "properties": {k: v for k, v in r.items() if k not in ("lng", "lat")}}
            for r in rows]})
    return jsonify({"facilities": rows, "count": len(rows), "limit": limit, "offset": offset})


@bp.post("/api/facilities")
def facilities_create():
    """Register a facility (supervisors, inside their jurisdiction)."""
    body = parse_json_body(request, current_app.config["MAX_CONTENT_LENGTH"])
    with db.write() as conn:
        row = create_facility(conn, current_viewer(), body)
    return jsonify({"facility": row}), 201


@bp.get("/api/facilities/<int:facility_id>")
def facilities_read(facility_id: int):
    """One facility."""
    with db.read() as conn:
        return jsonify({"facility": get_facility(conn, current_viewer(), facility_id)})


@bp.patch("/api/facilities/<int:facility_id>")
def facilities_update(facility_id: int):
    """Change fields of a facility (supervisors, old and new place inside their jurisdiction)."""
    body = parse_json_body(request, current_app.config["MAX_CONTENT_LENGTH"])
    with db.write() as conn:
        row = update_facility(conn, current_viewer(), facility_id, body)
    return jsonify({"facility": row})


@bp.delete("/api/facilities/<int:facility_id>")
def facilities_delete(facility_id: int):
    """Remove a facility (supervisors, inside their jurisdiction)."""
    with db.write() as conn:
        delete_facility(conn, current_viewer(), facility_id)
    return "", 204


@bp.get("/api/facilities/nearest")
def facilities_nearest():
    """The facilities of a kind nearest to a point (any input crs) or to a household."""
    args = request.args
    kind = args.get("kind")
    if not kind:
        raise BadInput("missing parameter kind", field="kind")
    limit = parse_int(args.get("limit"), "limit", 5, 1, MAX_NEAREST)
    viewer = current_viewer()
    household = args.get("household")
    if household and (args.get("lng") or args.get("lat")):
        raise BadInput("give either household or lng/lat, not both", field="household")
    with db.write() as conn:
        if household:
            hid = parse_int(household, "household", 0, 1, 10**12)
            viewer.require_login()
            home = get_household(conn, viewer, hid)
            audit.record(conn, viewer, "read.household", str(hid), via="facilities.nearest")
            lng, lat = home["lng"], home["lat"]
        else:
            lng, lat = parse_point(args.get("lng"), args.get("lat"), args.get("crs"))
        rows = nearest(conn, viewer, kind, lng, lat, limit)
    return jsonify({"kind": kind, "from": {"lng": lng, "lat": lat, "crs": "wgs84"},
                    "household": int(household) if household else None, "facilities": rows})


@bp.get("/facilities")
def facilities_page():
    """设施管理: the registry on a map, with a form for supervisors."""
    viewer = current_viewer()
    with db.read() as conn:
        kind_names = kinds(conn)
    can_edit = viewer.role in SUPERVISORS      # the API still checks each place
    return render_template("facilities/index.html", kinds=kind_names, can_edit=can_edit,
                           basemap=basemap_config(current_app.config))

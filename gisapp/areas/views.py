"""GET /api/areas and /api/areas/<code>: the hierarchy as GeoJSON."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from .. import db
from ..accounts.small_counts import level_of, shown_colours, threshold
from ..accounts.web_auth import current_viewer
from ..ogc.crs import bbox_param
from .features import (
    DEFAULT_PAGE,
    MAX_PAGE,
    get_area,
    list_areas,
    parse_code,
    parse_int,
    parse_level,
)

bp = Blueprint("areas", __name__)


@bp.get("/api/areas/<code>")
def area_detail(code: str):
    code = parse_code(code)
    with db.read_replica() as conn:
        feature = get_area(conn, code)
    viewer, props = current_viewer(), feature["properties"]
    if not viewer.may_see_staff_contacts():
        props.pop("on_duty", None)     # the public sees office phones only
    props["colour_counts"] = shown_colours(props["colour_counts"], level_of(code),
                                           viewer.has_duty_toward(code), threshold())
    return jsonify(feature)


@bp.get("/api/areas")
def area_list():
    args = request.args
    level = parse_level(args.get("level"))
    parent = parse_code(args["parent"], "parent") if args.get("parent") else None
    bbox = bbox_param(args)
    zoom = parse_int(args.get("zoom"), "zoom", None, 0, 22) if args.get("zoom") else None
    limit = parse_int(args.get("limit"), "limit", DEFAULT_PAGE, 1, MAX_PAGE)
    offset = parse_int(args.get("offset"), "offset", 0, 0, 10**9)
    with db.read_replica() as conn:
        page = list_areas(conn, level, parent, bbox, zoom, limit, offset)
    page["limit"], page["offset"] = limit, offset
    return jsonify(page)

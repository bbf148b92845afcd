"""Household data behind the access rules: /api/households (JSON, GeoJSON, CSV)."""
from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, jsonify, request

from .. import audit, db
from ..areas import parse_code, parse_int
from ..errors import BadInput
from ..households import COLOUR_KEYS, aggregate, get_household, list_households
from ..web_auth import current_viewer

bp = Blueprint("households", __name__)
FORMATS = ("json", "geojson", "csv")
CSV_FIELDS = ("id", "area_code", "area_name", "building", "unit", "room", "head_name", "phone",
              "members", "colour", "tags", "lng", "lat")


@bp.get("/api/households")
def households_list():
    """Households of an area for those with a duty; everyone else gets counts only."""
    args = request.args
    area = parse_code(args.get("area"), "area")
    fmt = args.get("format", "json")
    if fmt not in FORMATS:
        raise BadInput(f"format must be one of {', '.join(FORMATS)}", field="format")
    colour = _parse_colour(args.get("colour"))
    q = args.get("q") or None
    if q is not None and len(q) > 40:
        raise BadInput("q is at most 40 characters", field="q")
    limit = parse_int(args.get("limit"), "limit", 100, 1, 5000)
    offset = parse_int(args.get("offset"), "offset", 0, 0, 10**9)
    viewer = current_viewer()
    with db.write() as conn:
        counts = aggregate(conn, area)
        rows = list_households(conn, viewer, area, colour, q, limit, offset)
        if rows:
            audit.record(conn, viewer, "read.households", area, count=len(rows), format=fmt,
                         colour=colour, q=q)
    return _render(fmt, counts, rows, limit, offset)


@bp.get("/api/households/<int:household_id>")
def household_detail(household_id: int):
    viewer = current_viewer()
    viewer.require_login()
    with db.write() as conn:
        row = get_household(conn, viewer, household_id)
        audit.record(conn, viewer, "read.household", str(household_id))
    return jsonify(row)


def _parse_colour(raw: str | None) -> int | None:
    if not raw:
        return None
    if raw not in COLOUR_KEYS:
        raise BadInput(f"colour must be one of {', '.join(COLOUR_KEYS)}", field="colour")
    return COLOUR_KEYS[raw]


def _render(fmt: str, counts: dict, rows: list[dict], limit: int, offset: int):
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, extrasaction="ignore")
        writer.writeheader()
        for r in rows:
            writer.writerow({**r, "tags": ";".join(r["tags"])})
        return Response("\ufeff" + buf.getvalue(), mimetype="text/csv",
                        headers={"Content-Disposition": "attachment; filename=households.csv"})
    if fmt == "geojson":
        return jsonify({"type": "FeatureCollection", "aggregate": counts, "features": [
            {"type": "Feature", "id": r["id"],
             "geometry": {"type": "Point", "coordinates": [r["lng"], r["lat"]]},
             "properties": {k: v for k, v in r.items() if k not in ("lng", "lat")}}
            for r in rows]})
    return jsonify({"aggregate": counts, "households": rows, "personal_data": bool(rows),
                    "limit": limit, "offset": offset})

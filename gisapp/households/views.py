"""Household data behind the access rules: /api/households (JSON, GeoJSON, CSV)."""
from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, current_app, jsonify, request

from .. import db
from ..accounts import audit
from ..accounts.access import SUPERVISORS
from ..accounts.small_counts import threshold
from ..accounts.web_auth import current_viewer
from ..errors import BadInput
from ..web.jsonbody import parse_json_body
from ..web.params import parse_code, parse_int
from ..web.uploads import body_limit
from .edit import (
    clean_fields,
    colour_history,
    parse_colour,
    parse_reason,
    parse_tags,
    register_household,
    suggest_colour,
    update_household,
)
from .file_import import import_households, read_table
from .records import COLOUR_KEYS, aggregate, get_household, list_households
from .visits import china_today, owners, unowned, unowned_counts

bp = Blueprint("households", __name__)
REFUSAL = "只有负有住户职责的人员可以登记和修改住户 (only staff with a household duty)"
FORMATS = ("json", "geojson", "csv")
MAX_IMPORT_BYTES = 10 * 1024 * 1024
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
        counts = aggregate(conn, viewer, area, threshold())
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


# --- registering and editing (issue 7) ------------------------------------------------

def _json_object() -> dict:
    body = parse_json_body(request, current_app.config["MAX_CONTENT_LENGTH"])
    if not isinstance(body, dict):
        raise BadInput("body must be a JSON object")
    return body


@bp.post("/api/households")
def household_register():
    """Register a household: building or location, unit, room, head, phone, tags, colour."""
    viewer = current_viewer()
    viewer.require_household_duty(REFUSAL)
    body = _json_object()
    fields = clean_fields(body, partial=False)
    fields["suggested"] = parse_colour(body.get("suggested"))
    with db.write() as conn:
        row = register_household(conn, viewer, fields, parse_reason(body.get("reason")))
    return jsonify(row), 201


@bp.patch("/api/households/<int:household_id>")
def household_update(household_id: int):
    """Edit a household; changing its colour needs a reason and is kept in its history."""
    viewer = current_viewer()
    viewer.require_household_duty(REFUSAL)
    body = _json_object()
    fields = clean_fields(body, partial=True)
    with db.write() as conn:
        row = update_household(conn, viewer, household_id, fields, parse_reason(body.get("reason")),
                               parse_colour(body.get("suggested")))
    return jsonify(row)


@bp.get("/api/households/<int:household_id>/colours")
def household_colours(household_id: int):
    viewer = current_viewer()
    viewer.require_household_duty(REFUSAL)
    with db.write() as conn:
        rows = colour_history(conn, viewer, household_id)
        audit.record(conn, viewer, "read.household_colours", str(household_id))
    return jsonify({"household": household_id, "changes": rows})


@bp.get("/api/households/<int:household_id>/owners")
def household_owners(household_id: int):
    """Who is responsible for visiting this household (empty: flagged as unowned)."""
    viewer = current_viewer()
    viewer.require_household_duty(REFUSAL)
    with db.write() as conn:
        get_household(conn, viewer, household_id)
        rows = owners(conn, household_id, china_today())
        audit.record(conn, viewer, "read.household_owners", str(household_id))
    return jsonify({"household": household_id, "owners": rows, "unowned": not rows})


@bp.post("/api/households/suggest-colour")
def household_suggest_colour():
    """A colour suggested from tags; it is only a suggestion, a person confirms it."""
    current_viewer().require_login()
    body = _json_object()
    return jsonify(suggest_colour(parse_tags(body.get("tags"))))


@bp.get("/api/households/unowned")
def households_unowned():
    """Coloured households nobody is responsible for visiting (for supervisors).

    District and street supervisors, who see aggregates only, get counts per community.
    """
    viewer = current_viewer()
    area = parse_code(request.args.get("area"), "area")
    if viewer.role in SUPERVISORS and not viewer.may_see_personal_data():
        with db.read() as conn:
            counts = unowned_counts(conn, viewer, area, china_today())
        return jsonify(
            {"area": area, "count": sum(c["households"] for c in counts), "counts": counts}
        )
    viewer.require_household_duty(REFUSAL)
    with db.write() as conn:
        rows = unowned(conn, viewer, area, china_today())
        audit.record(conn, viewer, "read.households_unowned", area, count=len(rows))
    return jsonify({"area": area, "count": len(rows), "households": rows})


@bp.post("/api/households/import")
@body_limit(lambda cfg: MAX_IMPORT_BYTES)
def households_import():
    """Import a CSV or .xlsx file (multipart `file`): a dry run unless commit=1."""
    viewer = current_viewer()
    viewer.require_household_duty(REFUSAL)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise BadInput("send the file as multipart field 'file'", field="file")
    commit = request.form.get("commit", request.args.get("commit", "0")) in ("1", "true", "yes")
    rows = read_table(upload.read(), upload.filename)
    with db.write() as conn:
        report = import_households(conn, viewer, rows, commit, viewer.may_see_household)
        audit.record(
            conn,
            viewer,
            "household.import" if report["committed"] else "household.import_check",
            upload.filename[:100],
            rows=report["rows"],
            errors=len(report["errors"]),
            imported=report["imported"],
        )
    return jsonify(report), 200

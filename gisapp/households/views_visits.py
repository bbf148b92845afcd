"""The visits API: what is due, logging a visit (JSON or multipart with a photo), history,
supervision figures (JSON/CSV) and the map of overdue households."""
from __future__ import annotations

import json
import re
from datetime import date, datetime, timezone
from pathlib import Path

from flask import Blueprint, current_app, jsonify, request, send_file

from .. import db
from ..accounts import audit
from ..accounts.web_auth import current_viewer
from ..areas.crs import wgs84_to_gcj02
from ..assessment.satisfaction import parse_visit_score
from ..cases import photos
from ..demands.raising import parse_visit_demand
from ..errors import BadInput, TooLarge
from ..web.jsonbody import parse_json_body
from ..web.params import optional_position, parse_client_id, parse_code, parse_int
from ..web.table_export import csv_response
from ..web.uploads import MB, body_limit
from .visit_stats import (
    FIRST_DAY,
    LAST_DAY,
    overdue_map,
    parse_period,
    require_supervision,
    visit_stats,
)
from .visits import (
    china_today,
    due_visits,
    history,
    load_visit,
    log_visit,
    outcomes,
    parse_visited_at,
    recent_visits,
    require_field_staff,
    visit_photo,
)

bp = Blueprint("visits", __name__)
VISITS_REFUSAL = "只有负有住户职责的人员可以查看走访记录 (visits are personal data)"
CSV_FIELDS = ("key", "name", "colour", "households", "expected", "done", "completion_rate",
              "overdue", "visits", "flagged")


def _parse_day(raw: str | None) -> date:
    if not raw:
        return china_today()
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        raise BadInput("day must be a date YYYY-MM-DD", field="day") from None
    if not FIRST_DAY <= value <= LAST_DAY:
        raise BadInput(f"day must lie between {FIRST_DAY} and {LAST_DAY}", field="day")
    return value


@bp.get("/api/visits/due")
def visits_due():
    """Due and overdue visits for the caller on a day, nearest first from where they stand."""
    viewer = current_viewer()
    require_field_staff(viewer)
    day = _parse_day(request.args.get("day"))
    lng, lat, _ = optional_position(request.args)
    with db.write() as conn:
        rows = due_visits(conn, viewer.person_id, day, lng, lat)
        audit.record(conn, viewer, "read.visits_due", day.isoformat(), count=len(rows))
    for r in rows:
        # For handing the destination to a phone's map app, which expects GCJ-02.
        r["gcj02"] = [round(float(v), 7) for v in wgs84_to_gcj02(r["lng"], r["lat"])]
    return jsonify({"day": day.isoformat(), "from": [lng, lat] if lng is not None else None,
                    "distance": "geodesic straight line (no walking network)",
                    "count": len(rows), "overdue": sum(r["overdue"] for r in rows), "visits": rows})


@bp.get("/api/visits/outcomes")
def visit_outcomes():
    with db.read() as conn:
        return jsonify({"outcomes": outcomes(conn)})


@bp.post("/api/visits")
@body_limit(lambda cfg: cfg["MAX_PHOTO_BYTES"] + MB)
def create_visit():
    """Log a visit; the same client_id twice stores one visit (200 the second time)."""
    viewer = current_viewer()
    require_field_staff(viewer)
    fields, upload = _read_submission()
    visit = _validate(fields)
    stored = []
    try:
        with db.write() as conn:
            if upload is not None:
                item = photos.store(Path(current_app.config["PHOTO_DIR"]), upload,
                                    current_app.config["MAX_PHOTO_BYTES"])
                stored.append(item)
                visit.update(photo_sha256=item["sha256"], photo_type=item["content_type"],
                             photo_bytes=item["bytes"])
            visit_id, created = log_visit(conn, viewer, visit)
            if not created:
                photos.discard(stored)
            result = load_visit(conn, visit_id)
    except BaseException:
        photos.discard(stored)
        raise
    return jsonify({"visit": result, "created": created}), 201 if created else 200


def _read_submission() -> tuple[dict, bytes | None]:
    if (request.mimetype or "") == "multipart/form-data":
        files = [f for f in request.files.getlist("photo") if f.filename]
        if len(files) > 1:
            raise TooLarge("one photo per visit", field="photo")
        fields = request.form.to_dict()
        if isinstance(fields.get("location"), str):
            fields["location"] = _json_field(fields["location"], "location")
        if fields.get("demand_category"):
            fields["demand"] = {"category": fields["demand_category"],
                                "body": fields.get("demand_body")}
        if fields.get("open_case_category"):
            fields["open_case"] = {"category": fields["open_case_category"],
                                   "description": fields.get("open_case_description")}
        return fields, files[0].read(current_app.config["MAX_PHOTO_BYTES"] + 1) if files else None
    body = parse_json_body(request, current_app.config["MAX_CONTENT_LENGTH"])
    if not isinstance(body, dict):
        raise BadInput("body must be a JSON object")
    return body, None


def _json_field(raw: str, name: str):
    """A multipart field that carries a JSON object as text (a form cannot nest)."""
    if raw == "":
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise BadInput(f"{name} must be JSON text in a multipart form", field=name) from None


def _validate(f: dict) -> dict:
    hid = parse_int(str(f.get("household_id", "")) if f.get("household_id") is not None else None,
                    "household_id", None, 1, 10**15)
    if hid is None:
        raise BadInput("household_id is required", field="household_id")
    outcome = f.get("outcome")
    if not isinstance(outcome, str) or not re.fullmatch(r"[a-z_]{1,30}", outcome):
        raise BadInput("outcome is required (see /api/visits/outcomes)", field="outcome")
    note = f.get("note") or ""
    if not isinstance(note, str) or len(note) > 4000:
        raise BadInput("note is text of at most 4000 characters", field="note")
    client_id = parse_client_id(f.get("client_id"))
    loc = f.get("location")
    if loc is not None and not isinstance(loc, dict):
        raise BadInput("location must be {lng, lat, crs, accuracy}", field="location")
    lng, lat, accuracy = optional_position(loc if loc is not None else f)
    return {"household_id": hid, "outcome": outcome, "note": note.strip(), "client_id": client_id,
            "lng": lng, "lat": lat, "accuracy": accuracy,
            "visited_at": parse_visited_at(f.get("visited_at"), datetime.now(timezone.utc)),
            "open_case": _open_case(f.get("open_case")),
            "demand": parse_visit_demand(f.get("demand"), note.strip()),
            "satisfaction": parse_visit_score(f.get("satisfaction"))}


def _open_case(raw) -> dict | None:
    if raw in (None, "", False):
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("category"), str) or not raw["category"]:
        raise BadInput('open_case must be {"category": ..., "description": ...}', field="open_case")
    desc = raw.get("description") or None
    if desc is not None and (not isinstance(desc, str) or len(desc) > 4000):
        raise BadInput(
            "open_case.description is text of at most 4000 characters", field="open_case"
        )
    return {"category": raw["category"], "description": desc}


@bp.get("/api/visits")
def visits_list():
    """Visits of one household (household=id), or recent visits in an area (area=code)."""
    viewer = current_viewer()
    viewer.require_household_duty(VISITS_REFUSAL)
    args = request.args
    limit = parse_int(args.get("limit"), "limit", 50, 1, 500)
    with db.write() as conn:
        if args.get("household"):
            hid = parse_int(args.get("household"), "household", None, 1, 10**15)
            rows = history(conn, viewer, hid, limit)
            audit.record(conn, viewer, "read.visits", f"household:{hid}", count=len(rows))
        else:
            area = parse_code(args.get("area"), "area")
            rows = recent_visits(conn, viewer, area, limit)
            audit.record(conn, viewer, "read.visits", area, count=len(rows))
    return jsonify({"count": len(rows), "visits": rows})


@bp.get("/api/visits/<int:visit_id>/photo")
def visit_photo_file(visit_id: int):
    """The photo a worker took on a visit, for those with a duty toward the household."""
    viewer = current_viewer()
    viewer.require_household_duty(VISITS_REFUSAL)
    with db.write() as conn:
        sha256, content_type = visit_photo(conn, viewer, visit_id)
        audit.record(conn, viewer, "read.visit_photo", str(visit_id))
    path = photos.path_for(Path(current_app.config["PHOTO_DIR"]), sha256, content_type)
    resp = send_file(path, mimetype=content_type, max_age=3600)
    resp.cache_control.public = False          # a household's photo: this browser only
    resp.cache_control.private = True
    return resp


@bp.get("/api/visits/stats")
def visits_stats():
    """Completion and overdue figures per colour and group, as JSON or CSV."""
    viewer = current_viewer()
    require_supervision(viewer)
    args = request.args
    area = _default_area(viewer, args.get("area"))
    fmt = args.get("format", "json")
    if fmt not in ("json", "csv"):
        raise BadInput("format must be json or csv", field="format")
    today = china_today()
    start, end = parse_period(args.get("from"), args.get("to"), today)
    with db.read_replica() as conn:
        result = visit_stats(conn, viewer, area, args.get("group", "total"), start, end, today)
    if fmt == "csv":
        return csv_response(result["rows"], CSV_FIELDS, "visit-stats")
    return jsonify(result)


def _default_area(viewer, raw: str | None) -> str:
    if raw:
        return parse_code(raw, "area")
    if viewer.citywide:
        return ""
    return viewer.prefixes[0] if viewer.prefixes else "-"


@bp.get("/api/visits/overdue")
def visits_overdue():
    """Overdue households as GeoJSON, for those who may see households in person."""
    viewer = current_viewer()
    viewer.require_login()
    area = _default_area(viewer, request.args.get("area"))
    day = _parse_day(request.args.get("day"))
    with db.write() as conn:
        fc = overdue_map(conn, viewer, area, day)
        audit.record(conn, viewer, "read.visits_overdue", area, count=len(fc["features"]))
    return jsonify(fc)

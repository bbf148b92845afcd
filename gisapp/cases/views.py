"""The case API: report (JSON or multipart with photos), list, read, act, merge, route."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, jsonify, request, send_file

from .. import db
from ..accounts import audit, auth
from ..accounts.web_auth import current_viewer
from ..areas.locate import accuracy_circle
from ..areas.spatial_index import index
from ..assessment.satisfaction import receipt_code
from ..errors import BadInput, Forbidden, TooLarge
from ..web.jsonbody import parse_json_body
from ..web.params import has_position, parse_accuracy, parse_client_id, parse_code, parse_lnglat
from ..web.table_export import csv_response
from ..web.uploads import MB, body_limit
from . import photos
from .attachments import case_photo_file, case_photos, store_case_photos
from .flow import allowed_actions, clock_flags, merge, replay, route_by_hand, transition
from .people import candidates
from .query import list_cases, parse_filters, render_cases
from .report import KINDS, area_path, categories, get_case, mask_for, report_with_receipt
from .stats import case_stats, parse_period
from .workhours import load_calendar

bp = Blueprint("cases", __name__)


@bp.get("/api/case-categories")
def case_categories():
    public_only = current_viewer().is_public
    with db.read() as conn:
        return jsonify({"categories": categories(conn, public_only)})


@bp.post("/api/cases")
@body_limit(lambda cfg: cfg["MAX_PHOTOS"] * cfg["MAX_PHOTO_BYTES"] + MB)
def create_case():
    """Report a case. Staff use a token or session; the public may report, rate-limited."""
    viewer = current_viewer()
    fields, uploads = _read_submission()
    report = _validate_report(fields, viewer)
    snapshot = index().snapshot()         # before the transaction: a refresh reads the database
    stored = []
    try:
        with db.write() as conn:
            if viewer.is_public:
                auth.hit_rate_limit(conn, f"report:{request.remote_addr}",
                                    current_app.config["PUBLIC_REPORTS_PER_MINUTE"])
            case, created, receipt = report_with_receipt(
                conn, viewer, report, snapshot,
                audit=audit.fields(viewer, "case.report", category=report["category"]))
            if created:
                stored = store_case_photos(conn, *_photo_store(), case["id"], uploads)
            if viewer.is_public:      # the reporter's key to the progress and satisfaction page
                receipt["receipt_code"] = receipt_code(conn, case["id"])
    except BaseException:
        photos.discard(stored)
        raise
    return jsonify({"case": {**_public_view(case, viewer), **receipt},
                    "created": created}), 201 if created else 200


def _photo_store() -> tuple[Path, int]:
    return Path(current_app.config["PHOTO_DIR"]), current_app.config["MAX_PHOTO_BYTES"]


def _public_view(case: dict, viewer) -> dict:
    """What a reporter learns back: the public gets the receipt, not the file."""
    if viewer.is_public:
        keep = ("id", "client_id", "kind", "category", "category_zh", "state", "reported_at",
                "area_code", "area_name", "lng", "lat")
        return {k: case[k] for k in keep}
    return mask_for(viewer, case)


def _read_submission() -> tuple[dict, list[bytes]]:
    if (request.mimetype or "") == "multipart/form-data":
        cfg = current_app.config
        files = request.files.getlist("photos")
        if len(files) > cfg["MAX_PHOTOS"]:
            raise TooLarge(f"at most {cfg['MAX_PHOTOS']} photos", field="photos")
        uploads = [f.read(cfg["MAX_PHOTO_BYTES"] + 1) for f in files if f.filename]
        return request.form.to_dict(), uploads
    body = parse_json_body(request, current_app.config["MAX_CONTENT_LENGTH"])
    if not isinstance(body, dict):
        raise BadInput("body must be a JSON object")
    return body, []


def _validate_report(f: dict, viewer) -> dict:
    kind, cat = f.get("kind"), f.get("category")
    if kind not in KINDS:
        raise BadInput(f"kind must be one of {', '.join(KINDS)}", field="kind")
    if not isinstance(cat, str) or not cat:
        raise BadInput("category is required", field="category")
    desc = f.get("description")
    if not isinstance(desc, str) or not desc.strip() or len(desc) > 4000:
        raise BadInput("description is required (at most 4000 characters)", field="description")
    contact = f.get("contact") or None
    if contact is not None and (not isinstance(contact, str) or len(contact) > 100):
        raise BadInput("contact is at most 100 characters", field="contact")
    client_id = parse_client_id(f.get("client_id"))
    lng, lat, ambiguous = _location(f)
    if viewer.is_public:
        _check_public_category(cat)
    return {"kind": kind, "category": cat, "description": desc.strip(), "contact": contact,
            "client_id": client_id, "lng": lng, "lat": lat, "ambiguous": ambiguous}


def _location(f: dict) -> tuple[float, float, bool]:
    loc = f.get("location") if isinstance(f.get("location"), dict) else f
    if not has_position(loc):
        raise BadInput("location is required: lng and lat", field="location")
    wlng, wlat = parse_lnglat(loc)
    accuracy = parse_accuracy(loc.get("accuracy"))
    ambiguous = False
    if accuracy:
        ambiguous = (
            len(index().snapshot().leaves_overlapping(accuracy_circle(wlng, wlat, accuracy))) > 1
        )
    return wlng, wlat, ambiguous


def _check_public_category(cat: str) -> None:
    with db.read() as conn:
        allowed = {c["key"] for c in categories(conn, public_only=True)}
    if cat not in allowed:
        raise BadInput(
            f"the public may report only: {', '.join(sorted(allowed))}", field="category"
        )


@bp.get("/api/cases")
def cases_list():
    viewer = current_viewer()
    viewer.require_login()
    filters = parse_filters(request.args, viewer)
    with db.read_replica() as conn:
        cal = load_calendar(conn)
        page = list_cases(conn, viewer, filters, cal)
    return render_cases(page, filters)


@bp.get("/api/cases/<int:case_id>")
def case_detail(case_id: int):
    viewer = current_viewer()
    with db.read() as conn:
        case = get_case(conn, viewer, case_id)
        case.update(clock_flags(case, load_calendar(conn)))
        case["events"] = replay(conn, case_id)
        case["actions"] = allowed_actions(viewer, case)
        case["photos"] = case_photos(conn, case_id)
        case["area_path"] = area_path(conn, case["area_code"])
    return jsonify(case)


@bp.get("/api/cases/<int:case_id>/candidates")
def case_candidates(case_id: int):
    """Whom this case may be dispatched to: those on duty for its area first."""
    viewer = current_viewer()
    with db.read() as conn:
        case = get_case(conn, viewer, case_id)
        if "dispatch" not in allowed_actions(viewer, {**case, "state": "registered"}):
            raise Forbidden("只有主管和网格长可以派遣案件 (only those who dispatch see candidates)")
        people = candidates(conn, viewer, case)
    return jsonify({"case": case_id, "area_code": case["area_code"], "candidates": people})


@bp.get("/api/cases/<int:case_id>/photos/<int:photo_id>")
def case_photo(case_id: int, photo_id: int):
    viewer = current_viewer()
    with db.read() as conn:
        get_case(conn, viewer, case_id)            # access check
        path, content_type = case_photo_file(conn, Path(current_app.config["PHOTO_DIR"]),
                                             case_id, photo_id)
    return send_file(path, mimetype=content_type, max_age=3600)


@bp.post("/api/cases/<int:case_id>/actions/<action>")
@body_limit(lambda cfg: cfg["MAX_PHOTOS"] * cfg["MAX_PHOTO_BYTES"] + MB)
def case_action(case_id: int, action: str):
    """One step of the closed loop; `handle` may come as multipart with photos of the work."""
    viewer = current_viewer()
    params, uploads = _action_submission(action)
    stored = []
    try:
        with db.write() as conn:
            changes = transition(conn, viewer, case_id, action, params, load_calendar(conn))
            event_id = changes.pop("event_id")
            stored = store_case_photos(conn, *_photo_store(), case_id, uploads, event_id)
            audit.record(conn, viewer, f"case.{action}", str(case_id),
                         **({"photos": len(stored)} if stored else {}))
    except BaseException:
        photos.discard(stored)
        raise
    with db.read() as conn:
        case = get_case(conn, viewer, case_id)
        case.update(clock_flags(case, load_calendar(conn)))
    return jsonify({"case": case, "changed": sorted(changes)})


def _action_submission(action: str) -> tuple[dict, list[bytes]]:
    """The action's parameters, and photos if it came as multipart (handle only)."""
    if (request.mimetype or "") != "multipart/form-data":
        return _action_params(), []
    if action != "handle":
        raise BadInput("only handle takes photos (multipart); send JSON", field="photos")
    form, uploads = _read_submission()
    params = {"note": form.get("note") or None}
    if form.get("version"):
        if not (
            form["version"].isascii() and form["version"].isdigit() and len(form["version"]) < 10
        ):
            raise BadInput("version must be an integer", field="version")
        params["version"] = int(form["version"])
    return _checked_params(params), uploads


def _action_params() -> dict:
    if not request.get_data(cache=True):
        return {}
    body = parse_json_body(request, current_app.config["MAX_CONTENT_LENGTH"])
    if not isinstance(body, dict):
        raise BadInput("body must be a JSON object")
    return _checked_params(body)


def _checked_params(body: dict) -> dict:
    note = body.get("note")
    if note is not None and (not isinstance(note, str) or len(note) > 2000):
        raise BadInput("note must be text of at most 2000 characters", field="note")
    version = body.get("version")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        raise BadInput("version must be an integer", field="version")
    person = body.get("assignee_person_id")
    if person is not None and (not isinstance(person, int) or isinstance(person, bool)
                               or not 0 < person < 2**62):
        raise BadInput("assignee_person_id must be a person's id", field="assignee_person_id")
    return body


@bp.post("/api/cases/<int:case_id>/merge")
def case_merge(case_id: int):
    viewer = current_viewer()
    viewer.require_login()
    body = _action_params()
    into = body.get("into")
    if not isinstance(into, int) or isinstance(into, bool):
        raise BadInput("into must be the id of the case to keep", field="into")
    with db.write() as conn:
        merge(conn, viewer, case_id, into, body.get("note") or "")
        audit.record(
            conn, viewer, "case.merge", str(case_id), into=into, reason=body["note"].strip()
        )
    return jsonify({"merged": case_id, "into": into})


@bp.post("/api/cases/<int:case_id>/route")
def case_route(case_id: int):
    viewer = current_viewer()
    viewer.require_login()
    body = _action_params()
    code = parse_code(body.get("area") if isinstance(body.get("area"), str) else None, "area")
    reason = body.get("note") or ""
    with db.write() as conn:
        moved = route_by_hand(conn, viewer, case_id, code, reason)
        audit.record(conn, viewer, "case.route", str(case_id), area=code, **moved,
                     reason=reason.strip() or None)
    return jsonify({"routed": case_id, "area": code, "from": moved["from"]})


@bp.get("/api/cases/stats")
def cases_stats():
    """Evaluation per area, worker or period, as JSON or CSV."""
    viewer = current_viewer()
    viewer.require_login()
    args = request.args
    area = parse_code(args["area"], "area") if args.get("area") else ""
    since, until = parse_period(args.get("from"), args.get("to"))
    group = args.get("group", "area")
    fmt = args.get("format", "json")
    if fmt not in ("json", "csv"):
        raise BadInput("format must be json or csv", field="format")
    with db.read_replica() as conn:
        rows = case_stats(conn, viewer, area, group, since, until)
    if fmt == "csv":
        return _stats_csv(rows)
    return jsonify({"area": area or None, "group": group, "from": since, "to": until, "rows": rows})


STATS_FIELDS = (
    "grp",
    "label",
    "reported",
    "registered",
    "closed",
    "closure_rate",
    "closed_on_time",
    "on_time_rate",
    "reworked",
    "rework_rate",
    "overdue_unhandled",
    "median_hours_to_close",
)


def _stats_csv(rows: list[dict]):
    return csv_response(rows, STATS_FIELDS, "case-stats")

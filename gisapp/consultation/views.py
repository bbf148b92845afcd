"""The consultation API: topics, their six steps, opinions, the deliberation's tasks."""

from __future__ import annotations

import json
from pathlib import Path

from flask import current_app, jsonify, request, send_file

from .. import db
from ..accounts.web_auth import current_viewer
from ..cases.photos import discard
from ..errors import BadInput, NotFound, TooLarge
from ..web.jsonbody import parse_json_body
from ..web.params import parse_code
from ..web.uploads import MB, body_limit
from . import attachments, bp, deliberation, listing, opinions, topics, workflow

INT_FIELDS = ("step", "building_id", "demand_id")
JSON_FIELDS = ("participants", "tasks")


# Every multipart body of the blueprint may carry attachments (web.uploads.body_limit).
body_limit(lambda cfg: cfg["MAX_PHOTOS"] * cfg["TOPIC_MAX_ATTACHMENT_BYTES"] + MB)(bp)


def read_submission() -> tuple[dict, list[tuple[str, bytes, str]]]:
    """The fields (JSON, or a multipart form with files under "attachments"), files checked."""
    cfg = current_app.config
    if (request.mimetype or "") != "multipart/form-data":
        body = parse_json_body(request, cfg["MAX_CONTENT_LENGTH"])
        if not isinstance(body, dict):
            raise BadInput("body must be a JSON object")
        return body, []
    limit, count = cfg["TOPIC_MAX_ATTACHMENT_BYTES"], cfg["MAX_PHOTOS"]
    files = [f for f in request.files.getlist("attachments") if f.filename]
    if len(files) > count:
        raise TooLarge(f"at most {count} attachments", field="attachments")
    uploads = [(f.filename, f.read(limit + 1)) for f in files]
    return _form_fields(request.form.to_dict()), attachments.check(uploads, limit)


def _form_fields(form: dict) -> dict:
    fields = dict(form)
    for name in INT_FIELDS:
        if fields.get(name) not in (None, ""):
            if not fields[name].isdigit():
                raise BadInput(f"{name} must be a number", field=name)
            fields[name] = int(fields[name])
    for name in JSON_FIELDS:
        if fields.get(name):
            try:
                fields[name] = json.loads(fields[name])
            except ValueError:
                raise BadInput(f"{name} must be JSON", field=name) from None
    return fields


def _root() -> Path:
    return Path(current_app.config["PHOTO_DIR"])


def _staff():
    viewer = current_viewer()
    viewer.require_login()
    return viewer


@bp.get("/api/topics")
def topic_list():
    """Topics by area, state and level; GeoJSON with ?format=geojson (the wall's layer)."""
    args = request.args
    area = parse_code(args["area"], "area") if args.get("area") else ""
    with db.read() as conn:
        rows = listing.topics(
            conn, area, args.get("state") or None, args.get("level") or None, args.get("limit")
        )
    if args.get("format") == "geojson":
        return jsonify(listing.as_geojson(rows))
    return jsonify({"topics": rows})


@bp.post("/api/topics")
def topic_open():
    """Open a consultation topic (step 1) at a street, community, courtyard or building."""
    viewer = _staff()
    fields, checked = read_submission()
    stored: list[dict] = []
    try:
        with db.write() as conn:
            topic_id = workflow.open_topic(conn, viewer, fields, checked, _root(), stored)
            topic = workflow.staff_view(conn, viewer, topic_id)
    except BaseException:
        discard(stored)
        raise
    return jsonify(topic), 201


@bp.get("/api/topics/<int:topic_id>")
def topic_detail(topic_id: int):
    """A topic for staff: its log, opinions, deliberation and what the caller may do."""
    viewer = _staff()
    with db.read() as conn:
        return jsonify(workflow.staff_view(conn, viewer, topic_id))


@bp.post("/api/topics/<int:topic_id>/steps")
def topic_step(topic_id: int):
    """Take a topic to its next step (2-6) with the step's record and attachments."""
    viewer = _staff()
    fields, checked = read_submission()
    stored: list[dict] = []
    try:
        with db.write() as conn:
            workflow.take_step(conn, viewer, topic_id, fields, checked, _root(), stored)
            topic = workflow.staff_view(conn, viewer, topic_id)
    except BaseException:
        discard(stored)
        raise
    return jsonify(topic)


@bp.post("/api/topics/<int:topic_id>/drop")
def topic_drop(topic_id: int):
    """End an open topic without a result, with a reason."""
    viewer = _staff()
    fields, _ = read_submission()
    with db.write() as conn:
        topics.drop(conn, viewer, topic_id, fields)
        return jsonify(workflow.staff_view(conn, viewer, topic_id))


@bp.post("/api/topics/<int:topic_id>/opinions")
def topic_staff_opinion(topic_id: int):
    """A staff entry among the topic's opinions."""
    viewer = _staff()
    fields, _ = read_submission()
    with db.write() as conn:
        topic = topics.get_topic(conn, topic_id, lock=True)
        opinion_id = opinions.add_staff(conn, viewer, topic, fields)
    return jsonify({"id": opinion_id}), 201


@bp.post("/api/topics/<int:topic_id>/tasks")
def topic_add_tasks(topic_id: int):
    """Add follow-up tasks after the deliberation."""
    viewer = _staff()
    fields, _ = read_submission()
    with db.write() as conn:
        topic = topics.get_topic(conn, topic_id, lock=True)
        ids = deliberation.add_tasks(conn, viewer, topic, fields.get("tasks"))
    return jsonify({"tasks": ids}), 201


@bp.post("/api/topics/<int:topic_id>/tasks/<int:task_id>/done")
def topic_task_done(topic_id: int, task_id: int):
    """Mark a follow-up task done."""
    viewer = _staff()
    with db.write() as conn:
        topic = topics.get_topic(conn, topic_id, lock=True)
        deliberation.mark_done(conn, viewer, topic, task_id)
    return jsonify({"task": task_id, "done": True})


@bp.post("/api/topics/<int:topic_id>/tasks/<int:task_id>/case")
def topic_task_case(topic_id: int, task_id: int):
    """Make a follow-up task a case (reported by the viewer at the topic's place)."""
    viewer = _staff()
    fields, _ = read_submission()
    with db.write() as conn:
        topic = topics.get_topic(conn, topic_id, lock=True)
        case = deliberation.to_case(conn, viewer, topic, task_id, fields.get("category"))
    return jsonify({"task": task_id, "case_id": case["id"], "case_state": case["state"]}), 201


@bp.get("/api/topics/<int:topic_id>/attachments/<int:attachment_id>")
def topic_attachment(topic_id: int, attachment_id: int):
    """A file of a step (staff)."""
    _staff()
    return send_attachment(topic_id, attachment_id, public=False)


def send_attachment(topic_id: int, attachment_id: int, public: bool):
    with db.read() as conn:
        row = listing.attachment(conn, topic_id, attachment_id)
    # The public sees the files of the announcement and of the report back only.
    if row is None or (public and row["step"] not in workflow.PUBLIC_FILE_STEPS):
        raise NotFound("no such attachment")
    path = attachments.path_for(_root(), row["sha256"], row["content_type"])
    if not path.exists():
        raise NotFound("attachment file is missing")
    return send_file(
        path,
        mimetype=row["content_type"],
        download_name=row["filename"],
        as_attachment=row["content_type"] == "application/pdf",
        max_age=3600,
    )

"""Consultation pages: the topics list and a topic for staff; the public page of a topic,
reached by its link or QR code, where residents give their opinion without an account."""

from __future__ import annotations

import io

import segno
from flask import (
    Response,
    current_app,
    jsonify,
    render_template,
    request,
    url_for,
)

from .. import db
from ..accounts import auth
from ..accounts.web_auth import current_viewer
from ..web.pages import default_area, login_first
from . import bp, opinions, rules, topics, workflow
from .views import read_submission, send_attachment


@bp.get("/topics")
def topics_page():
    """The topics list and the form to open one (staff)."""
    viewer = current_viewer()
    if viewer.is_public:
        return login_first()
    default = default_area(viewer)
    return render_template(
        "consultation/list.html",
        default_area=default,
        levels=rules.LEVEL_NAMES,
        states=rules.STATE_NAMES,
        may_open=viewer.role in rules.STEP_ROLES[1],
    )


@bp.get("/topics/<int:topic_id>")
def topic_page(topic_id: int):
    """One topic with the next step's form (staff)."""
    if current_viewer().is_public:
        return login_first()
    return render_template(
        "consultation/detail.html",
        topic_id=topic_id,
        steps=rules.STEP_NAMES,
        kinds=rules.PARTICIPANT_KINDS,
    )


@bp.get("/t/<token>")
def public_page(token: str):
    """议事协商 for residents: the topic, its progress and outcome, and an opinion form."""
    with db.read() as conn:
        topic = workflow.public_view(conn, topics.topic_id_for_token(conn, token))
    return render_template(
        "consultation/public.html", topic=topic, token=token, steps=rules.STEP_NAMES
    )


@bp.get("/api/public/topics/<token>")
def public_topic(token: str):
    """The public page's data: progress, plan, outcome, opinions (no names)."""
    with db.read() as conn:
        return jsonify(workflow.public_view(conn, topics.topic_id_for_token(conn, token)))


@bp.post("/api/public/topics/<token>/opinions")
def public_opinion(token: str):
    """A resident's opinion: rate-limited per address; the name is optional and never shown."""
    fields, _ = read_submission()
    with db.write() as conn:
        auth.hit_rate_limit(
            conn, f"opinion:{request.remote_addr}", current_app.config["PUBLIC_OPINIONS_PER_MINUTE"]
        )
        topic = topics.get_topic(conn, topics.topic_id_for_token(conn, token), lock=True)
        opinions.add_public(conn, topic, fields)
    return jsonify({"received": True, "message": "感谢您的意见，我们会认真研究。"}), 201


@bp.get("/t/<token>/qr.<kind>")
def public_qr(token: str, kind: str):
    """The QR code of the topic's public page (SVG for posters, PNG for chat groups)."""
    if kind not in ("svg", "png"):
        return jsonify({"error": "not_found", "message": "QR code is svg or png"}), 404
    with db.read() as conn:
        topics.topic_id_for_token(conn, token)
    qr = segno.make(url_for("consultation.public_page", token=token, _external=True), error="m")
    out = io.BytesIO()
    if kind == "svg":
        qr.save(out, kind="svg", scale=6, border=2, title="议题二维码")
    else:
        qr.save(out, kind="png", scale=8, border=2)
    return Response(
        out.getvalue(),
        mimetype="image/svg+xml" if kind == "svg" else "image/png",
        headers={"Cache-Control": "public, max-age=3600"},
    )


@bp.get("/t/<token>/files/<int:attachment_id>")
def public_attachment(token: str, attachment_id: int):
    """A file of the announcement or the report back, for the public."""
    with db.read() as conn:
        topic_id = topics.topic_id_for_token(conn, token)
    return send_attachment(topic_id, attachment_id, public=True)

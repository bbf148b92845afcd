"""GET /api/events: Server-Sent Events of case and boundary changes, per viewer's rights."""
from __future__ import annotations

import re

from flask import Blueprint, Response, current_app, request

from ..accounts.web_auth import current_viewer
from .hub import hub
from .stream import stream

bp = Blueprint("events", __name__)


@bp.get("/api/events")
def events():
    """A text/event-stream; reconnecting clients send Last-Event-ID to get what they missed."""
    viewer = current_viewer()
    viewer.require_login()
    live = hub(current_app)
    live.ensure_started()
    cfg = current_app.config
    body = stream(live, viewer, _last_id(), cfg["SSE_HEARTBEAT_SECONDS"], cfg["SSE_RETRY_MS"])
    resp = Response(body, mimetype="text/event-stream")
    resp.headers["Cache-Control"] = "no-cache"
    resp.headers["X-Accel-Buffering"] = "no"      # proxies must not hold events back
    return resp


def _last_id() -> int | None:
    raw = request.headers.get("Last-Event-ID") or request.args.get("lastEventId") or ""
    return int(raw) if re.fullmatch(r"[0-9]{1,18}", raw.strip()) else None

"""Health and a trivial endpoint (the baseline every benchmark is measured against)."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy.exc import SQLAlchemyError

from .. import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Whether the database is reachable and the schema is current (for load balancers)."""
    body = {"status": "ok", "database": {"reachable": False, "schema_current": False}}
    try:
        with db.read() as conn:
            status = db.schema_status(conn, current_app.config["SQL_DIR"])
        body["database"] = {"reachable": True, "schema_current": status["current"],
                            "pending": status["pending"]}
    except SQLAlchemyError as exc:
        body["database"]["error"] = type(exc).__name__
    healthy = body["database"]["reachable"] and body["database"]["schema_current"]
    body["status"] = "ok" if healthy else "unhealthy"
    resp = jsonify(body)
    if not healthy:
        resp.headers["Retry-After"] = "5"
    return resp, 200 if healthy else 503


@bp.get("/api/ping")
def ping():
    """A trivial JSON answer: the floor for benchmark ratios."""
    return jsonify({"ok": True})

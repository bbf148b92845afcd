"""Login, logout, who am I, and the audit log query for city admins."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, make_response, redirect, render_template, request

from .. import db
from ..areas.features import parse_int
from ..errors import RateLimited
from . import audit, auth
from .access import Viewer
from .web_auth import SESSION_COOKIE, credential_cache, current_viewer

bp = Blueprint("auth", __name__)


def _safe_next(raw: str | None) -> str:
    # Only same-site paths: never redirect a login to another host.
    if raw and raw.startswith("/") and not raw.startswith("//") and "\\" not in raw:
        return raw
    return "/"


@bp.get("/login")
def login_form():
    return render_template("auth/login.html", next=_safe_next(request.args.get("next")), error=None)


@bp.post("/login")
def login():
    username = (request.form.get("username") or "").strip().lower()[:40]
    password = request.form.get("password") or ""
    nxt = _safe_next(request.form.get("next"))
    try:
        user_id = _attempt(username, password)
    except RateLimited as exc:
        return render_template("auth/login.html", next=nxt, error=exc.message), 429
    if user_id is None:
        return render_template("auth/login.html", next=nxt, error="用户名或密码错误"), 401
    with db.write() as conn:
        cookie, _ = auth.create_session(conn, user_id, current_app.config["SESSION_HOURS"],
                                        request.remote_addr, request.user_agent.string)
        audit.record(conn, auth.viewer_for_user(conn, user_id), "login.ok")
    resp = make_response(redirect(nxt, code=303))
    resp.set_cookie(SESSION_COOKIE, cookie, httponly=True, samesite="Lax", path="/",
                    secure=current_app.config["COOKIE_SECURE"],
                    max_age=current_app.config["SESSION_HOURS"] * 3600)
    return resp


def _attempt(username: str, password: str) -> int | None:
    """Check a login; failures are counted and audited even though the request fails."""
    with db.write() as conn:
        auth.hit_rate_limit(conn, f"login:{request.remote_addr}",
                            current_app.config["LOGIN_ATTEMPTS_PER_MINUTE"])
    with db.write() as conn:
        user_id = auth.check_login(conn, username, password)
        if user_id is None:
            audit.record(conn, Viewer.public(), "login.failed", username)
    return user_id


@bp.post("/logout")
def logout():
    cookie = request.cookies.get(SESSION_COOKIE)
    viewer = current_viewer()
    if cookie:
        with db.write() as conn:
            auth.end_session(conn, cookie)
            if not viewer.is_public:
                audit.record(conn, viewer, "logout")
        credential_cache().clear()          # other workers follow within AUTH_CACHE_SECONDS
    resp = make_response(redirect("/login", code=303))
    resp.delete_cookie(SESSION_COOKIE, path="/")
    # Nothing personal stays on the device: the field page's outbox, due list and caches.
    resp.headers["Clear-Site-Data"] = '"cache", "storage"'

    return resp


@bp.get("/api/me")
def me():
    v = current_viewer()
    return jsonify({"authenticated": not v.is_public, "username": v.username, "role": v.role,
                    "jurisdiction": None if v.citywide else list(v.prefixes or ()),
                    "citywide": v.citywide and not v.is_public})


@bp.get("/api/csrf")
def csrf():
    """The CSRF token scripts send back in X-CSRF-Token (pages also carry it in a meta tag)."""
    from .web_auth import csrf_token
    return jsonify({"csrf_token": csrf_token()})


@bp.get("/api/audit")
def audit_log():
    """The audit log, for city admins only."""
    viewer = current_viewer()
    viewer.require_role("city_admin")
    args = request.args
    limit = parse_int(args.get("limit"), "limit", 100, 1, 1000)
    offset = parse_int(args.get("offset"), "offset", 0, 0, 10**9)
    with db.read() as conn:
        rows = audit.query(conn, args.get("user"), args.get("action"), _since(args.get("since")),
                           limit, offset)
    return jsonify({"entries": rows, "limit": limit, "offset": offset})


def _since(raw: str | None) -> str | None:
    from datetime import datetime

    from ..errors import BadInput
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw).isoformat()
    except ValueError:
        raise BadInput("since must be an ISO 8601 time", field="since") from None

"""Per-request identity: who is asking (session cookie, bearer token or the public), CSRF.

The viewer is resolved once per request, lazily: anonymous requests with no cookie
and no token never touch the database, so public lookups stay fast.
"""
from __future__ import annotations

import secrets

from flask import Flask, Response, current_app, g, request
from werkzeug.http import parse_cookie

from .. import db
from ..errors import Forbidden, Unauthenticated
from . import auth
from .access import Viewer
from .credential_cache import CredentialCache, credential_key

SESSION_COOKIE = "gisapp_session"
ANON_CSRF_COOKIE = "gisapp_csrf"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain")


def current_viewer() -> Viewer:
    """The Viewer behind this request (the public if nobody is logged in)."""
    if "viewer" not in g:
        g.viewer, g.csrf = _resolve()
    return g.viewer


def credential_of(environ) -> tuple[str, str] | None:
    """The credential a request carries: ("token", secret), ("session", cookie), or None
    for the public; Unauthenticated for an Authorization header that is not a bearer
    token. The one reading of "who is asking", for the views and the tile fast path."""
    header = environ.get("HTTP_AUTHORIZATION", "")
    if header:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise Unauthenticated("Authorization must be 'Bearer <token>'")
        return "token", secret.strip()
    cookie = environ.get("HTTP_COOKIE")
    session = parse_cookie(cookie).get(SESSION_COOKIE) if cookie else None   # as request.cookies
    return ("session", session) if session else None


def known_viewer(cache: CredentialCache, credential: tuple[str, str]) -> Viewer | None:
    """The viewer a credential resolved to in this process, if it is still cached."""
    kind, secret = credential
    value = cache.get(credential_key(kind, secret))[0]
    return value[0] if kind == "session" and value is not None else value


def _resolve() -> tuple[Viewer, str | None]:
    environ = request.environ
    if "HTTP_AUTHORIZATION" not in environ and "HTTP_COOKIE" not in environ:
        return Viewer.public(), None      # most lookups: no credentials to parse at all
    credential = credential_of(environ)
    if credential is None:
        return Viewer.public(), None
    kind, secret = credential
    if kind == "token":
        return _from_token(secret), None
    found = _cached("session", secret, _session_from_db)
    return found if found is not None else (Viewer.public(), None)


def _session_from_db(cookie: str):
    with db.read() as conn:
        found = auth.session_user(conn, cookie)
        viewer = auth.viewer_for_user(conn, found[0]) if found else None
    return ((viewer, found[1]), found[2]) if viewer is not None else None


def _from_token(secret: str) -> Viewer:
    viewer = _cached("token", secret, _token_from_db)
    if viewer is None:
        raise Unauthenticated("API token is invalid, expired or revoked")
    return viewer


def _token_from_db(secret: str):
    with db.write() as conn:
        found = auth.token_user(conn, secret)
        viewer = auth.viewer_for_user(conn, found[0], via_token=True) if found else None
    return (viewer, found[1]) if viewer is not None else None


def _cached(kind: str, secret: str, resolve):
    """What a credential resolves to, from this process's cache or else the database."""
    cache = credential_cache()
    key = credential_key(kind, secret)
    value, stamp = cache.get(key)
    if value is None:
        found = resolve(secret)
        if found is None:
            return None
        value, expires_at = found
        cache.put(key, value, expires_at, stamp)
    return value


def credential_cache(app: Flask | None = None) -> CredentialCache:
    return (app or current_app).extensions["gisapp_credentials"]


def csrf_token() -> str:
    """The token forms and scripts must send back: the session's, or an anonymous one."""
    current_viewer()
    if g.get("csrf"):
        return g.csrf
    if "anon_csrf" not in g:
        g.anon_csrf = request.cookies.get(ANON_CSRF_COOKIE) or secrets.token_urlsafe(24)
    return g.anon_csrf


def _check_csrf() -> None:
    if request.method not in UNSAFE:
        return
    viewer = current_viewer()
    if viewer.via_token:
        return            # bearer tokens are not ambient credentials: no CSRF risk
    is_form = (request.mimetype or "") in FORM_TYPES
    if viewer.is_public and not is_form:
        return            # no credentials and not a form: nothing to forge
    expected = g.csrf if not viewer.is_public else request.cookies.get(ANON_CSRF_COOKIE)
    given = request.headers.get("X-CSRF-Token") or (request.form.get("csrf_token") if is_form else None)
    if not auth.csrf_matches(expected, given):
        raise Forbidden("CSRF 校验失败，请刷新页面后重试 (missing or wrong CSRF token)")


def _set_anon_cookie(resp: Response) -> Response:
    if g.get("anon_csrf") and not request.cookies.get(ANON_CSRF_COOKIE):
        resp.set_cookie(ANON_CSRF_COOKIE, g.anon_csrf, httponly=True, samesite="Strict",
                        secure=current_app.config["COOKIE_SECURE"], path="/")
    return resp


def init_app(app: Flask) -> None:
    app.extensions["gisapp_credentials"] = CredentialCache(
        app.extensions["gisapp_engine"], app.config["AUTH_CACHE_SECONDS"])
    app.before_request(_check_csrf)
    app.after_request(_set_anon_cookie)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["current_viewer"] = current_viewer

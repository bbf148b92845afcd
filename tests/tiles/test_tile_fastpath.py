"""Cached tiles served before Flask (gisapp/tiles/fastpath.py) answer as the view would."""
from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import text
from werkzeug.test import EnvironBuilder, run_wsgi_app

from gisapp.accounts import auth
from gisapp.tiles.service import tile_cache

from ..accounts.test_accounts import login
from ..wall_support import GRID_WORKER_HOME, OTHER_WORKER_HOME, close_app, make_app, tile_at, url

# Tiles of every kind of layer around the two workers' homes.
TILES = [("community", tile_at(*GRID_WORKER_HOME, 12)),
         ("microgrid", tile_at(*GRID_WORKER_HOME, 15)),
         ("cases", tile_at(*GRID_WORKER_HOME, 16)), ("cases", tile_at(*OTHER_WORKER_HOME, 10)),
         ("hazards", tile_at(*GRID_WORKER_HOME, 13)),
         ("facilities", tile_at(*GRID_WORKER_HOME, 14)),
         ("households", tile_at(*GRID_WORKER_HOME, 17)),
         ("households", tile_at(*GRID_WORKER_HOME, 12))]
IGNORED = {"date", "server", "content-length"}


@pytest.fixture(scope="module")
def app(db_url):
    # A sync interval as in production: with 0 (wall_support's default) every request
    # would have to catch up first, and the fast path would never answer.
    app = make_app(db_url, TILE_SYNC_SECONDS=60.0, CORS_ORIGINS="http://dashboard.test")
    yield app
    close_app(app)


def _environ(path, headers):
    return EnvironBuilder(path=path.split("?")[0], query_string=path.partition("?")[2],
                          headers=headers).get_environ()


def _via_view(app, path, headers):
    """The Flask view's answer, the fast path bypassed."""
    body, status, hdrs = run_wsgi_app(app.wsgi_app.wsgi_app, _environ(path, headers))
    return status, {(k.lower(), v) for k, v in hdrs.items()
                    if k.lower() not in IGNORED}, b"".join(body)


def _via_fast_path(app, path, headers):
    with app.app_context():
        found = app.wsgi_app.cached(_environ(path, headers))
    if found is None:
        return None
    status, hdrs, body = found
    return status, {(k.lower(), v) for k, v in hdrs if k.lower() not in IGNORED}, body


def _session_headers(app, username):
    client = app.test_client()
    login(client, username)
    cookie = client.get_cookie("gisapp_session")
    return {"Cookie": f"gisapp_session={cookie.value}; other=1"}


def test_both_paths_answer_alike_for_every_viewer(app, as_user):
    viewers = {"public": {}, "admin": as_user("admin"), "wall": as_user("wall"),
               "grid_worker": as_user("grid_worker"), "community_sup": as_user("community_sup"),
               "session": _session_headers(app, "grid_worker"),
               # CORS: a page elsewhere, without and with credentials, listed or not.
               "public elsewhere": {"Origin": "http://elsewhere.test"},
               "admin elsewhere": {**as_user("admin"), "Origin": "http://elsewhere.test"},
               "admin listed": {**as_user("admin"), "Origin": "http://dashboard.test"}}
    served_fast = 0
    for who, headers in viewers.items():
        for layer, zxy in TILES:
            path = url(layer, *zxy)
            view = _via_view(app, path, headers)             # renders and caches if allowed
            fast = _via_fast_path(app, path, headers)
            if fast is None:
                continue                                     # not certain: the view answers
            served_fast += 1
            assert fast[0].split()[0] == view[0].split()[0], (who, path)
            assert fast[1] == view[1], (who, path)
            assert fast[2] == view[2], (who, path)
            tagged = {**headers, "If-None-Match": dict(view[1])["etag"]}
            assert _via_fast_path(app, path, tagged)[0].startswith("304")
            assert _via_view(app, path, tagged)[0].startswith("304")
            with_g = _via_fast_path(app, path + "?g=0", headers)
            assert with_g is not None and with_g[2] == view[2]
    assert served_fast >= 30


def test_what_the_fast_path_leaves_to_the_view(app, as_user, engine):
    worker = as_user("grid_worker")
    personal = url("households", *tile_at(*GRID_WORKER_HOME, 17))
    assert _via_view(app, personal, worker)[0].startswith("200")
    assert _via_fast_path(app, personal, worker) is None        # audited: always the view
    client = app.test_client()
    with engine.connect() as conn:
        before = conn.execute(
            text("SELECT count(*) FROM audit_log WHERE action = 'read.household_tile'")).scalar()
    for _ in range(3):
        assert client.get(personal, headers=worker).status_code == 200
    with engine.connect() as conn:
        after = conn.execute(
            text("SELECT count(*) FROM audit_log WHERE action = 'read.household_tile'")).scalar()
    assert after == before + 3

    cases = url("cases", *tile_at(*GRID_WORKER_HOME, 16))
    assert _via_fast_path(app, cases, {}) is None                 # the public: 401 from the view
    assert client.get(cases).status_code == 401
    assert _via_fast_path(app, cases, {"Authorization": "Bearer nope"}) is None
    assert client.get(cases, headers={"Authorization": "Bearer nope"}).status_code == 401
    with app.app_context():
        ahead = tile_cache(app).applied + 1000
    assert _via_fast_path(app, cases + f"?g={ahead}", as_user("admin")) is None
    for odd in ("?x=1", "?g=abc", "?g=1&g=2"):
        assert _via_fast_path(app, cases + odd, as_user("admin")) is None
    for path in ("/tiles/cases/16/1/1", "/tiles/cases/99/1/1.pbf", "/tiles/nope/10/1/1.pbf",
                 "/tiles/cases/16/99999999/1.pbf", "/tiles/cases/1６/1/1.pbf"):
        assert _via_fast_path(app, path, as_user("admin")) is None
        assert client.get(path, headers=as_user("admin")).status_code in (400, 404)


def test_a_revoked_token_is_refused_at_once(app):
    with app.extensions["gisapp_engine"].begin() as conn:
        secret = auth.issue_token(conn, "wall", days=1)
    headers = {"Authorization": f"Bearer {secret}"}
    path = url("community", *tile_at(*GRID_WORKER_HOME, 12))
    client = app.test_client()
    assert client.get(path, headers=headers).status_code == 200
    assert _via_fast_path(app, path, headers) is not None
    with app.extensions["gisapp_engine"].begin() as conn:
        conn.execute(text("UPDATE api_token SET revoked_at = now() WHERE revoked_at IS NULL "
                          "AND token_hash = :h"),
                     {"h": hashlib.sha256(secret.encode()).hexdigest()})
    assert _via_fast_path(app, path, headers) is None
    assert client.get(path, headers=headers).status_code == 401


def test_a_new_case_is_never_served_stale(app, as_user):
    """The fast path serves only what the cache holds, and the cache drops what a change touched."""
    client = app.test_client()
    admin = as_user("admin")
    path = url("cases", *tile_at(*GRID_WORKER_HOME, 18))
    first = client.get(path, headers=admin)
    assert _via_fast_path(app, path, admin) is not None
    resp = client.post("/api/cases", headers=as_user("grid_worker"), json={
        "kind": "incident", "category": "rubbish", "description": "快速路径",
        "location": {"lng": GRID_WORKER_HOME[0], "lat": GRID_WORKER_HOME[1]}})
    assert resp.status_code == 201
    with app.app_context(), app.extensions["gisapp_engine"].connect() as conn:
        tile_cache(app).sync(conn)
    assert _via_fast_path(app, path, admin) is None
    again = client.get(path, headers=admin)
    assert again.data != first.data

"""The read URL: lookups, lists and statistics may read a replica; a report's read-back and
case actions stay on the primary; a write that reaches a demoted node is a 503.

A second copy of the tiny city stands in for a replica that has not yet replayed the
newest report (a real one lags by milliseconds; this one lags forever, so the routing
shows). scripts/faults --cluster runs the real replica behind HAProxy.
"""
from __future__ import annotations

import math
import uuid

import pytest
from sqlalchemy import text

from gisapp import create_app

from ..conftest import fresh_database

WEST_POINT = (121.5125, 38.9875)


def _report(client, headers) -> dict:
    body = {"kind": "hazard", "category": "fire_exit", "description": "消防通道被占 (replica test)",
            "client_id": str(uuid.uuid4()),
            "location": {"lng": WEST_POINT[0], "lat": WEST_POINT[1]}}
    resp = client.post("/api/cases", json=body, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["case"]


@pytest.fixture(scope="module")
def split_app(cluster, template_db):
    app = create_app({"TESTING": True, "INDEX_REFRESH_SECONDS": 0.0, "AUTH_CACHE_SECONDS": 0.0,
                      "DATABASE_URL": fresh_database(cluster, template_db),
                      "READ_DATABASE_URL": fresh_database(cluster, template_db)})
    yield app
    app.extensions["gisapp_engine"].dispose()
    app.extensions["gisapp_read_engine"].dispose()


@pytest.fixture(scope="module")
def headers(split_app):
    from gisapp.accounts import auth
    with split_app.extensions["gisapp_engine"].begin() as conn:
        return _auth(auth.issue_token(conn, "grid_worker", days=1))


def _auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_report_read_back_and_actions_use_the_primary_lists_the_replica(split_app, headers):
    client = split_app.test_client()
    primary = headers
    case = _report(client, primary)
    # Read-your-writes: the case itself, right after the report, from the primary.
    assert client.get(f"/api/cases/{case['id']}", headers=primary).status_code == 200
    # The list reads the replica, which has not seen the report yet.
    listed = client.get("/api/cases?limit=500", headers=primary).get_json()["cases"]
    assert case["id"] not in [c["id"] for c in listed]


def test_without_a_read_url_everything_reads_the_primary(app, client, as_user):
    case = _report(client, as_user("grid_worker"))
    listed = client.get("/api/cases?limit=500", headers=as_user("grid_worker")).get_json()["cases"]
    assert case["id"] in [c["id"] for c in listed]


def test_statistics_read_the_replica(split_app, headers):
    client = split_app.test_client()
    with split_app.extensions["gisapp_read_engine"].begin() as conn:
        conn.execute(text("UPDATE area SET name = name || '（副本）' WHERE code = '210204001001'"))
    try:
        resp = client.get("/api/areas/210204001001", headers=headers)
        assert resp.status_code == 200
        assert "（副本）" in resp.get_data(as_text=True)
    finally:
        with split_app.extensions["gisapp_read_engine"].begin() as conn:
            conn.execute(text("UPDATE area SET name = replace(name, '（副本）', '') "
                              "WHERE code = '210204001001'"))


def _tile_at(lng: float, lat: float, z: int) -> tuple[int, int]:
    n = 2 ** z
    x = int((lng + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def test_tiles_render_on_a_replica_that_has_caught_up(split_app, headers, tmp_path):
    # The stand-in replica lives in the same PostgreSQL, so it has "replayed" every WAL
    # position of the primary: the tile is rendered there and shows the replica's name.
    split_app.config["TILE_CACHE_DIR"] = str(tmp_path)
    with split_app.extensions["gisapp_read_engine"].begin() as conn:
        conn.execute(text("UPDATE area SET name = name || '（副本）' WHERE code = '210204001001'"))
    try:
        x, y = _tile_at(*WEST_POINT, 14)
        resp = split_app.test_client().get(f"/tiles/community/14/{x}/{y}.pbf", headers=headers)
        assert resp.status_code == 200
        assert "（副本）".encode() in resp.data
    finally:
        with split_app.extensions["gisapp_read_engine"].begin() as conn:
            conn.execute(text("UPDATE area SET name = replace(name, '（副本）', '') "
                              "WHERE code = '210204001001'"))


def test_write_on_a_demoted_node_is_503_with_retry_after(cluster, template_db):
    url = fresh_database(cluster, template_db)
    app = create_app({"TESTING": True, "DATABASE_URL": url, "INDEX_REFRESH_SECONDS": 0.0})
    eng = app.extensions["gisapp_engine"]
    with eng.begin() as conn:
        from gisapp.accounts import auth
        token = auth.issue_token(conn, "grid_worker", days=1)
        # What a write meets on a node that was primary a moment ago and is a standby now.
        conn.execute(text(f"ALTER DATABASE {url.rsplit('/', 1)[1]} "
                          "SET default_transaction_read_only = on"))
    eng.dispose()
    try:
        body = {"kind": "hazard", "category": "fire_exit", "description": "只读 (read-only)",
                "client_id": str(uuid.uuid4()),
                "location": {"lng": WEST_POINT[0], "lat": WEST_POINT[1]}}
        resp = app.test_client().post("/api/cases", json=body, headers=_auth(token))
        assert resp.status_code == 503, resp.get_json()
        assert resp.headers["Retry-After"]
        assert resp.get_json()["error"] == "database_unavailable"
    finally:
        eng.dispose()

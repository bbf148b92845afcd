"""Reporting in one round trip (sql/081_case_report.sql): the in-memory assignment must
give what the database would, a stale index must never decide, retries and duplicates."""
from __future__ import annotations

import io

import numpy as np
import pytest
from sqlalchemy import text

from gisapp.areas.spatial_index import index
from gisapp.cases.report import load_case, report_and_load
from gisapp.errors import BadInput

FIELDS = ("area_code", "assignee_person_id", "department", "ambiguous", "state", "duplicate_of")


def a_report(lng, lat, category="rubbish", kind="incident", client_id=None):
    return {"kind": kind, "category": category, "description": "测试", "contact": None,
            "client_id": client_id, "lng": lng, "lat": lat, "ambiguous": False}


def points():
    """Random points over the tiny city and beyond, some exactly on grid lines and vertices."""
    rng = np.random.default_rng(4)
    x, y = rng.uniform(121.48, 121.62, 150), rng.uniform(38.88, 39.02, 150)
    x[:30] = rng.choice([121.5, 121.525, 121.55, 121.575, 121.6], 30)
    y[15:45] = rng.choice([38.9, 38.925, 38.95, 38.975, 39.0], 30)
    return list(zip(x.tolist(), y.tolist()))


@pytest.mark.parametrize("category,kind", [("rubbish", "incident"), ("gas", "hazard")])
def test_memory_assignment_agrees_with_sql(app, conn, viewer, category, kind):
    """The same areas, handler and department from the index as from locate_leaf."""
    with app.app_context():
        snap = index().snapshot()
    assert snap.generations.get("boundaries") is not None
    found = 0
    for lng, lat in points():
        by_memory, _ = report_and_load(conn, viewer, a_report(lng, lat, category, kind), snap)
        by_sql, _ = report_and_load(conn, viewer, a_report(lng, lat, category, kind), None)
        assert ({k: by_memory[k] for k in FIELDS[:4]}
                == {k: by_sql[k] for k in FIELDS[:4]}), (lng, lat)
        found += by_sql["area_code"] is not None
    assert 50 < found < 150          # both inside and outside the city were tried


def test_stale_index_never_decides(app, engine, viewer, conn):
    """A boundary committed after the snapshot was read: the database locates the point."""
    with app.app_context():
        snap = index().snapshot()
    lng, lat = 121.51, 38.99
    leaf = snap.leaf_at(lng, lat)
    assert snap.areas[leaf].code == "210204001001001001"
    with engine.begin() as other:      # the micro-grid moves far out to sea
        other.execute(text("""
            WITH old AS (UPDATE area_version SET valid_to = now()
                         WHERE area_id = :a AND valid_to IS NULL RETURNING area_id, version)
            INSERT INTO area_version (area_id, version, geom, author, reason)
            SELECT area_id, version + 1,
                   ST_Multi(ST_MakeEnvelope(121.9, 38.5, 121.91, 38.51, 4326)), """
                           """'test', 'stale index'
            FROM old"""), {"a": leaf})
    try:
        case, created = report_and_load(conn, viewer, a_report(lng, lat), snap)
        assert created and case["area_code"] != "210204001001001001"
        by_sql, _ = report_and_load(conn, viewer, a_report(lng, lat), None)
        assert case["area_code"] == by_sql["area_code"]
    finally:
        with engine.begin() as other:
            other.execute(text("DELETE FROM area_version WHERE area_id = :a AND valid_to IS NULL"),
                          {"a": leaf})
            other.execute(text("""UPDATE area_version SET valid_to = NULL WHERE id = (
                SELECT max(id) FROM area_version WHERE area_id = :a)"""), {"a": leaf})


def test_retry_returns_the_same_case(app, conn, viewer):
    with app.app_context():
        snap = index().snapshot()
    first, created = report_and_load(conn, viewer, a_report(121.51, 38.99, client_id="retry-0001"),
                                     snap)
    again, created_again = report_and_load(conn, viewer,
                                           a_report(121.52, 38.98, client_id="retry-0001"), snap)
    assert created and not created_again
    assert again == first == load_case(conn, first["id"])
    assert conn.execute(text("SELECT count(*) FROM case_event WHERE case_id = :c"),
                        {"c": first["id"]}).scalar() == 1


def test_duplicates_are_found_and_recorded_once(app, conn, viewer):
    with app.app_context():
        snap = index().snapshot()
    a, _ = report_and_load(conn, viewer, a_report(121.51, 38.99, "parking"), snap)
    b, _ = report_and_load(conn, viewer, a_report(121.5103, 38.99, "parking"), snap)    # ~26 m
    # another category
    c, _ = report_and_load(conn, viewer, a_report(121.5103, 38.99, "noise"), snap)
    far, _ = report_and_load(conn, viewer, a_report(121.52, 38.98, "parking"), snap)
    assert a["id"] in b["duplicate_of"] and a["id"] not in c["duplicate_of"]
    assert far["duplicate_of"] == [] or a["id"] not in far["duplicate_of"]
    detail = conn.execute(text("SELECT detail FROM case_event WHERE case_id = :c"),
                          {"c": b["id"]}).scalar()
    assert detail == {"duplicates": b["duplicate_of"]}
    # The row is written once, with its duplicates: one version, no UPDATE behind it.
    assert conn.execute(text("SELECT version FROM case_file WHERE id = :c"),
                        {"c": b["id"]}).scalar() == 1


@pytest.mark.parametrize("category,kind", [("no_such", "incident"), ("gas", "incident")])
def test_bad_category_is_bad_input(app, conn, viewer, category, kind):
    with pytest.raises(BadInput) as err:
        report_and_load(conn, viewer, a_report(121.51, 38.99, category, kind), None)
    assert err.value.details["field"] == "category"


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_every_new_report_has_one_audit_row(client, as_user, engine):
    """Written by the report statement itself; with photos or from the public as well."""
    def audit_rows(case_id):
        with engine.connect() as c:
            return c.execute(text("""SELECT username, role, detail, method, path FROM audit_log
                                     WHERE action = 'case.report' AND target = :t"""),
                             {"t": str(case_id)}).mappings().all()
    body = {"kind": "incident", "category": "rubbish", "description": "审计",
            "client_id": "audit-one-0001", "location": {"lng": 121.51, "lat": 38.99}}
    h = as_user("grid_worker")
    first = client.post("/api/cases", json=body, headers=h)
    again = client.post("/api/cases", json=body, headers=h)
    assert first.status_code == 201 and again.status_code == 200
    rows = audit_rows(first.get_json()["case"]["id"])
    assert [dict(r) for r in rows] == [{"username": "grid_worker", "role": "grid_worker",
                                        "detail": {"category": "rubbish"}, "method": "POST",
                                        "path": "/api/cases?"}]
    with_photo = client.post("/api/cases", headers=h, content_type="multipart/form-data", data={
        "kind": "incident", "category": "rubbish", "description": "有照片", "lng": "121.51",
        "lat": "38.99", "photos": (io.BytesIO(PNG), "a.png")})
    assert with_photo.status_code == 201, with_photo.get_json()
    assert len(audit_rows(with_photo.get_json()["case"]["id"])) == 1
    public = client.post("/api/cases", json={**body, "client_id": None, "kind": "hazard",
                                             "category": "fire_exit"})
    assert public.status_code == 201, public.get_json()
    with engine.connect() as c:
        last = c.execute(text("SELECT username, target FROM audit_log WHERE action = 'case.report' "
                              "ORDER BY id DESC LIMIT 1")).one()
    assert last.username is None and last.target is not None


def test_lost_connection_is_a_database_error_and_not_pooled(app, engine, viewer):
    """The report runs on the driver's cursor: a dead backend still surfaces as SQLAlchemy's
    OperationalError (503 in errors.py) and the connection is dropped from the pool."""
    from sqlalchemy.exc import OperationalError
    with engine.connect() as victim:
        pid = victim.execute(text("SELECT pg_backend_pid()")).scalar()
        with engine.connect() as killer:
            killer.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        with pytest.raises(OperationalError):
            report_and_load(victim, viewer, a_report(121.51, 38.99), None)
        assert victim.invalidated
    with engine.connect() as fresh:           # the pool hands out a working connection
        assert fresh.execute(text("SELECT 1")).scalar() == 1


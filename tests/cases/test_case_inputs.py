"""Case actions with their inputs, and routing within the rules of reading.

Each refusal is a 4xx JSON error and changes nothing: the case's version, state and
fields are compared before and after.
"""
from __future__ import annotations

import io
import json
from email.utils import parsedate_to_datetime

import pytest
from sqlalchemy import text

from .test_cases import EAST, NW, PNG, SEA, act, report

NW_LEAF = "210204001001001001"          # community_sup's community, grid_worker's grid
NW_SIBLING = "210204001001001002"       # the same grid's other micro-grid
EAST_LEAF = "210204002002002002"        # other_worker's grid, another street


def person_of(engine, username):
    with engine.connect() as conn:
        return conn.execute(text("SELECT person_id FROM app_user WHERE username = :u"),
                            {"u": username}).scalar()


def fields(engine, case_id):
    with engine.connect() as conn:
        row = conn.execute(text("""SELECT version, state, area_code, assignee_person_id, """
                                """deadline_at,
                                          evaluation, cancel_reason FROM case_file """
                                """WHERE id = :id"""),
                           {"id": case_id}).mappings().first()
        events = conn.execute(text("SELECT count(*) FROM case_event WHERE case_id = :id"),
                              {"id": case_id}).scalar()
    return {**row, "events": events}


def new(client, as_user, where=NW, who="grid_worker", steps=()):
    resp = report(client, as_user(who), location={"lng": where[0], "lat": where[1]})
    assert resp.status_code == 201, resp.get_json()
    case = resp.get_json()["case"]
    for step, body in steps:
        resp = act(client, as_user("community_sup"), case["id"], step, **body)
        assert resp.status_code == 200, (step, resp.get_json())
    return case["id"]


def refused(resp, status, field=None):
    assert resp.status_code == status, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["error"] and body["message"]
    if field:
        assert body.get("field") == field, body


TO_CLOSED = [("register", {}), ("dispatch", {}), ("accept", {}), ("handle", {"note": "好了"}),
             ("verify", {}), ("close", {})]
TO_DISPATCHED = [("register", {}), ("dispatch", {})]


# --- dispatch, evaluate, extend: bad inputs ----------------------------------------------

def test_dispatch_to_a_chosen_person_and_the_candidates(client, as_user, engine):
    case_id = new(client, as_user, steps=[("register", {})])
    h = as_user("community_sup")
    listed = client.get(f"/api/cases/{case_id}/candidates", headers=h).get_json()["candidates"]
    worker = person_of(engine, "grid_worker")
    on_duty = [c for c in listed if c["on_duty"]]
    assert listed[:len(on_duty)] == on_duty and worker in [c["person_id"] for c in on_duty]
    assert person_of(engine, "other_worker") not in [c["person_id"] for c in listed]
    first = next(c for c in listed if c["person_id"] == worker)
    assert first["role_zh"] == "网格员" and first["area_path"].endswith("网格01001")
    assert len({c["person_id"] for c in listed}) == len(listed)
    resp = act(client, h, case_id, "dispatch", assignee_person_id=worker)
    assert resp.status_code == 200 and resp.get_json()["case"]["assignee"] == "用户grid_worker"
    events = client.get(f"/api/cases/{case_id}", headers=h).get_json()["events"]
    assert events[-1]["assignee"] == "用户grid_worker（网格员）"
    assert events[-1]["actor"] == "用户community_sup（社区主管）"


@pytest.mark.parametrize("person", [999_999_999, -1, 0, "abc", 2.5, True, 2**70, "other_worker"])
def test_dispatch_to_an_unknown_person_is_refused(client, as_user, engine, person):
    case_id = new(client, as_user, steps=[("register", {})])
    if person == "other_worker":       # exists, but outside the dispatcher's jurisdiction
        person = person_of(engine, "other_worker")
    before = fields(engine, case_id)
    refused(act(client, as_user("community_sup"), case_id, "dispatch", assignee_person_id=person),
            400, "assignee_person_id")
    assert fields(engine, case_id) == before


@pytest.mark.parametrize("score", [0, 6, -1, "5", 2.5, None, True, 10**20])
def test_evaluate_needs_a_score_from_1_to_5(client, as_user, engine, score):
    case_id = new(client, as_user, steps=TO_CLOSED)
    before = fields(engine, case_id)
    refused(act(client, as_user("community_sup"), case_id, "evaluate", score=score, note="好"),
            400, "score")
    assert fields(engine, case_id) == before and before["state"] == "closed"


def test_evaluate_keeps_score_and_comment(client, as_user, engine):
    case_id = new(client, as_user, steps=TO_CLOSED)
    resp = act(client, as_user("community_sup"), case_id, "evaluate", score=4,
               note="处理及时，居民满意")
    assert resp.status_code == 200 and resp.get_json()["case"]["evaluation"] == 4
    last = client.get(f"/api/cases/{case_id}",
                      headers=as_user("community_sup")).get_json()["events"][-1]
    assert last["note"] == "处理及时，居民满意" and last["detail"]["evaluation"] == 4


@pytest.mark.parametrize("hours", [-8, 0, 401, 1e9, "8", "abc", None, float("nan")])
def test_extend_needs_sensible_hours(client, as_user, engine, hours):
    case_id = new(client, as_user, steps=TO_DISPATCHED)
    before = fields(engine, case_id)
    body = {"hours": hours, "note": "材料未到"}
    resp = client.post(f"/api/cases/{case_id}/actions/extend", headers=as_user("community_sup"),
                       data=json.dumps(body),
                       content_type="application/json")
    assert 400 <= resp.status_code < 500 and resp.get_json()["error"]
    assert fields(engine, case_id) == before


def test_extend_moves_the_deadline(client, as_user, engine):
    case_id = new(client, as_user, steps=TO_DISPATCHED)
    before = fields(engine, case_id)
    assert act(client, as_user("community_sup"), case_id, "extend", hours=8,
               note="等待配件").status_code == 200
    assert fields(engine, case_id)["deadline_at"] > before["deadline_at"]


@pytest.mark.parametrize("body", [{}, {"note": "  "}, {"note": 5}])
def test_cancel_and_merge_need_a_reason(client, as_user, engine, body):
    case_id = new(client, as_user)
    other = new(client, as_user)
    before = fields(engine, case_id)
    h = as_user("community_sup")
    refused(act(client, h, case_id, "cancel", **body), 400, "note")
    refused(client.post(f"/api/cases/{case_id}/merge", json={"into": other, **body}, headers=h),
            400, "note")
    assert fields(engine, case_id) == before


def test_handle_with_a_note_and_photos(client, as_user, engine, app, tmp_path):
    app.config["PHOTO_DIR"] = str(tmp_path)
    case_id = new(client, as_user, steps=TO_DISPATCHED)
    h = as_user("grid_worker")
    assert act(client, h, case_id, "accept").status_code == 200
    refused(client.post(f"/api/cases/{case_id}/actions/accept", headers=h,
                        content_type="multipart/form-data",
                        data={"note": "x", "photos": (io.BytesIO(PNG), "a.png")}), 400, "photos")
    refused(client.post(f"/api/cases/{case_id}/actions/handle", headers=h,
                        content_type="multipart/form-data",
                        data={"note": "x", "photos": (io.BytesIO(b"MZ not an image"), "a.exe")}),
            400, "photos")
    assert fields(engine, case_id)["state"] == "in_progress"
    resp = client.post(f"/api/cases/{case_id}/actions/handle", headers=h,
                       content_type="multipart/form-data",
                       data={"note": "已清理完毕", "photos": (io.BytesIO(PNG), "after.png")})
    assert resp.status_code == 200, resp.get_json()
    detail = client.get(f"/api/cases/{case_id}", headers=h).get_json()
    assert detail["state"] == "handled" and len(detail["photos"]) == 1
    last = detail["events"][-1]
    assert last["action"] == "handle" and last["note"] == "已清理完毕" and last["photos"] == 1
    assert detail["photos"][0]["event_id"] == last["id"]
    assert last["actor"] == "用户grid_worker（网格员）"


def test_history_names_the_public_reporter_anonymously(client, as_user):
    client.environ_base["REMOTE_ADDR"] = "198.51.100.77"
    resp = client.post("/api/cases", json={"kind": "hazard", "category": "fire_exit",
                                           "description": "楼道堆物",
                                           "location": {"lng": NW[0], "lat": NW[1]}})
    case_id = resp.get_json()["case"]["id"]
    detail = client.get(f"/api/cases/{case_id}", headers=as_user("community_sup")).get_json()
    assert detail["events"][0]["actor"] == "公众（匿名）"
    assert detail["area_path"] == "测试社区01001 测试网格01001 测试微网格01001"


# --- routing -------------------------------------------------------------------------------
# Role by role, routing is in the matrix of tests/accounts/test_access.py (CASE_MATRIX).

def test_supervisor_cannot_take_another_communitys_case(client, as_user, engine):
    """The bug in the issue: routing a case one cannot read into one's own area."""
    case_id = new(client, as_user, where=EAST, who="other_worker")
    before = fields(engine, case_id)
    h = as_user("community_sup")
    assert client.get(f"/api/cases/{case_id}", headers=h).status_code == 404
    for body in ({"area": NW_LEAF}, {"area": NW_LEAF, "note": "我来处理"}):
        refused(client.post(f"/api/cases/{case_id}/route", json=body, headers=h), 404)
    assert fields(engine, case_id) == before
    assert client.get(f"/api/cases/{case_id}", headers=h).status_code == 404


def test_rerouting_needs_both_areas_and_a_reason(client, as_user, engine):
    case_id = new(client, as_user)
    before = fields(engine, case_id)
    # The street supervisor reads the case but has no jurisdiction over the east street.
    refused(client.post(f"/api/cases/{case_id}/route", json={"area": EAST_LEAF, "note": "越界"},
                        headers=as_user("street_sup")), 403)
    # The district supervisor has both, but must give a reason.
    h = as_user("district_sup")
    refused(client.post(f"/api/cases/{case_id}/route", json={"area": EAST_LEAF}, headers=h),
            400, "note")
    refused(client.post(f"/api/cases/{case_id}/route", json={"area": EAST_LEAF, "note": " "},
                        headers=h),
            400, "note")
    refused(client.post(f"/api/cases/{case_id}/route", json={"area": "2102049", "note": "x"},
                        headers=h),
            400)
    assert fields(engine, case_id) == before
    resp = client.post(f"/api/cases/{case_id}/route",
                       json={"area": EAST_LEAF, "note": "实际在东侧小区"}, headers=h)
    assert resp.status_code == 200 and resp.get_json()["from"] == NW_LEAF
    with engine.connect() as conn:
        audit = conn.execute(text("SELECT username, detail FROM audit_log "
                                  "WHERE action = 'case.route' "
                                  "AND target = :t ORDER BY id DESC LIMIT 1"),
                             {"t": str(case_id)}).first()
    assert audit.username == "district_sup"
    assert audit.detail == {"area": EAST_LEAF, "from": NW_LEAF, "to": EAST_LEAF,
                            "reason": "实际在东侧小区"}
    # Now the community supervisor has lost it, and the east's worker reads it.
    assert client.get(f"/api/cases/{case_id}", headers=as_user("community_sup")).status_code == 404
    assert client.get(f"/api/cases/{case_id}", headers=as_user("other_worker")).status_code == 200


def test_unassigned_cases_are_routed_without_a_reason_by_whoever_reads_them(client, as_user,
                                                                            engine):
    case_id = new(client, as_user, where=SEA)
    # Outside every area: only citywide roles (and the reporter) read it.
    refused(client.post(f"/api/cases/{case_id}/route", json={"area": NW_LEAF},
                        headers=as_user("district_sup")), 404)
    resp = client.post(f"/api/cases/{case_id}/route", json={"area": NW_LEAF},
                       headers=as_user("admin"))
    assert resp.status_code == 200 and resp.get_json()["from"] is None
    assert fields(engine, case_id)["area_code"] == NW_LEAF


def test_finished_cases_are_not_routed(client, as_user, engine):
    case_id = new(client, as_user, steps=[("cancel", {"note": "无效"})])
    before = fields(engine, case_id)
    refused(client.post(f"/api/cases/{case_id}/route", json={"area": NW_SIBLING, "note": "x"},
                        headers=as_user("community_sup")), 409)
    assert fields(engine, case_id) == before


# --- the list: search, sort, paging, area paths ------------------------------------------

def test_search_by_id_text_category_and_address(client, as_user, engine):
    case_id = new(client, as_user)
    with engine.begin() as conn:
        conn.execute(text("""INSERT INTO building (name, address, geom, area_id)
                             VALUES ('9号楼', '沙河口区测试路9号', """
                          """ST_SetSRID(ST_MakePoint(:x, :y), 4326),
                                     (SELECT id FROM area WHERE code = :c))"""),
                     {"x": NW[0] + 0.0001, "y": NW[1], "c": NW_LEAF})
    h = as_user("community_sup")

    def found(q, **more):
        resp = client.get("/api/cases", query_string={"q": q, "limit": 500, **more}, headers=h)
        assert resp.status_code == 200, resp.get_json()
        return resp.get_json()["cases"]

    assert [c["id"] for c in found(str(case_id))] == [case_id]
    assert [c["id"] for c in found(f"#{case_id}")] == [case_id]
    assert case_id in [c["id"] for c in found("垃圾堆放三天")]          # the description
    assert case_id in [c["id"] for c in found("垃圾堆放")]              # the category's name
    by_address = found("测试路9号")
    assert case_id in [c["id"] for c in by_address]
    row = next(c for c in by_address if c["id"] == case_id)
    assert row["address"] == "沙河口区测试路9号"
    assert row["area_path"] == "测试社区01001 测试网格01001 测试微网格01001"
    assert found("100%_不存在") == [] and found("99999999999999999999") == []
    # Search stays inside what the viewer may read.
    assert client.get("/api/cases", query_string={"q": str(case_id)},
                      headers=as_user("other_worker")).get_json()["cases"] == []


def test_sort_by_deadline_and_bad_list_parameters(client, as_user):
    a = new(client, as_user, steps=TO_DISPATCHED)
    h = as_user("community_sup")
    assert client.post(f"/api/cases/{a}/actions/extend", json={"hours": 300, "note": "等待"},
                       headers=h).status_code == 200
    b = new(client, as_user, steps=TO_DISPATCHED)
    listed = client.get("/api/cases?sort=deadline&state=dispatched&limit=5000",
                        headers=h).get_json()["cases"]
    order = [c["id"] for c in listed]
    assert order.index(b) < order.index(a)
    deadlines = [parsedate_to_datetime(c["deadline_at"]) for c in listed if c["deadline_at"]]
    assert deadlines == sorted(deadlines)
    for bad in ("sort=priority", "q=" + "x" * 101, "limit=0", "offset=-1", "limit=abc"):
        refused(client.get(f"/api/cases?{bad}", headers=h), 400)


def test_stats_name_areas_by_their_path(client, as_user):
    new(client, as_user)
    rows = client.get("/api/cases/stats?area=210204001001&group=area",
                      headers=as_user("community_sup")).get_json()["rows"]
    labels = {r["grp"]: r["label"] for r in rows}
    assert labels["210204001001001"] == "测试社区01001 测试网格01001"

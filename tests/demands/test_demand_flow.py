"""Every transition rule of a demand, for every role: who may settle an open demand as a
case, a consultation topic, an answer or a refusal, inside or outside their jurisdiction.
A refusal (401/403/404/409/400) writes nothing; a success is logged in demand_event."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from .support import NW, demand_id, raise_one, written

USERS = ("admin", "wall", "district_sup", "street_sup", "community_sup", "grid_leader",
         "grid_worker", "info_officer", "volunteer", "other_worker", None)
SUPERVISORS = {"admin", "district_sup", "street_sup", "community_sup"}
FIELD = {"grid_leader", "grid_worker", "info_officer"}
# Who may do what to a demand in the north-west micro-grid (the tiny city's users hold
# their duties there, except other_worker, whose grid is in the south-east).
ALLOWED = {"to_case": SUPERVISORS | FIELD, "to_topic": SUPERVISORS,
           "answer": SUPERVISORS | FIELD, "decline": SUPERVISORS | {"grid_leader"}}
END = {"to_case": "case", "to_topic": "topic", "answer": "answered", "decline": "declined"}


@pytest.fixture(scope="module")
def topic_id(engine):
    """A consultation topic of the north-west community (consult's table, or a stand-in
    with the contract's columns while that branch is not merged)."""
    with engine.begin() as conn:
        if not conn.execute(text("SELECT to_regclass('topic') IS NOT NULL")).scalar():
            conn.execute(text("CREATE TABLE topic (id bigserial PRIMARY KEY, level text, "
                              "area_id bigint REFERENCES area, area_code text, title text, "
                              "step smallint DEFAULT 1, state text DEFAULT 'open', "
                              "public_token text UNIQUE, geom geometry(Point, 4326), "
                              "created_at timestamptz DEFAULT now())"))
        return conn.execute(text("""
            INSERT INTO topic (level, area_id, area_code, title, step, state, public_token, geom)
            SELECT 'community', a.id, a.code, '停车位规划', 1, 'open', 'tok-demand-flow-test',
                   ST_PointOnSurface(v.geom)
            FROM area a JOIN area_version v ON v.area_id = a.id AND v.valid_to IS NULL
            WHERE a.code = '210204001001' RETURNING id""")).scalar()


def _params(action, topic_id):
    return {"to_case": {"case_category": "parking"}, "to_topic": {"topic_id": topic_id},
            "answer": {"answer": "已联系物业，本周内划线增加车位"},
            "decline": {"reason": "属于业主私人事务，不在社区职责范围"}}[action]


def _state(engine, did):
    with engine.connect() as conn:
        return conn.execute(text("SELECT state, case_id, topic_id, answer, decline_reason, "
                                 "closed_at IS NOT NULL FROM demand WHERE id = :id"),
                            {"id": did}).one()


@pytest.mark.parametrize("action", list(ALLOWED))
@pytest.mark.parametrize("user", USERS)
def test_transition_rules(client, engine, as_user, topic_id, action, user):
    did = demand_id(engine, raise_one(client)["receipt"]["receipt"])
    before = written(engine)
    r = client.post(f"/api/demands/{did}/actions/{action}",
                    headers=as_user(user) if user else {}, json=_params(action, topic_id))
    if user in ALLOWED[action]:
        assert r.status_code == 200, r.get_json()
        state = _state(engine, did)
        assert state[0] == END[action] and state[5]
        with engine.connect() as conn:
            ev = conn.execute(text("SELECT action, from_state, to_state, u.username FROM "
                                   "demand_event e JOIN app_user u ON u.id = e.actor_user_id "
                                   "WHERE demand_id = :id ORDER BY e.id DESC LIMIT 1"),
                              {"id": did}).one()
        assert ev == (action, "open", END[action], user)
        # An ended demand ends once: the same action again is a conflict.
        again = client.post(f"/api/demands/{did}/actions/{action}", headers=as_user(user),
                            json=_params(action, topic_id))
        assert again.status_code == 409
    else:
        expected = 401 if user is None else 404 if user == "other_worker" else 403
        assert r.status_code == expected, (user, r.get_json())
        assert r.get_json()["error"] in ("unauthenticated", "forbidden", "not_found")
        assert written(engine) == before and _state(engine, did)[0] == "open"


def test_to_case_creates_a_linked_case(client, engine, as_user):
    did = demand_id(engine, raise_one(client, body="楼下车辆乱停，消防通道被堵",
                                      reporter_contact="13700000000")["receipt"]["receipt"])
    r = client.post(f"/api/demands/{did}/actions/to_case", headers=as_user("grid_worker"), json={})
    assert r.status_code == 200, r.get_json()
    case_id = r.get_json()["demand"]["case_id"]
    case = client.get(f"/api/cases/{case_id}", headers=as_user("community_sup")).get_json()
    assert case["category"] == "parking"             # the demand category's default
    assert "消防通道被堵" in case["description"] and case["area_code"] == "210204001001001001"
    assert case["contact"] == "13700000000"
    status = client.get(f"/api/demands/receipt/{r.get_json()['demand']['receipt']}").get_json()
    assert status["state"] == "case" and status["case_state"] == case["state"]


def test_a_category_without_a_case_category_needs_one(client, engine, as_user):
    did = demand_id(engine, raise_one(client, category="policy")["receipt"]["receipt"])
    before = written(engine)
    r = client.post(f"/api/demands/{did}/actions/to_case", headers=as_user("grid_worker"), json={})
    assert r.status_code == 400 and r.get_json()["field"] == "case_category"
    r = client.post(f"/api/demands/{did}/actions/to_case", headers=as_user("grid_worker"),
                    json={"case_category": "no_such"})
    assert r.status_code == 400 and r.get_json()["field"] == "category"
    assert written(engine) == before


@pytest.mark.parametrize("action,body,status,field", [
    ("reopen", {}, 400, "action"),
    ("answer", {}, 400, "answer"),
    ("answer", {"answer": "长" * 2001}, 400, "answer"),
    ("decline", {"reason": "   "}, 400, "reason"),
    ("to_topic", {"topic_id": "7"}, 400, "topic_id"),
    ("to_topic", {"topic_id": 99999999}, 404, "topic_id"),
    ("answer", {"answer": "好", "version": 99}, 409, None),
])
def test_bad_actions_write_nothing(client, engine, as_user, topic_id, action, body, status, field):
    did = demand_id(engine, raise_one(client)["receipt"]["receipt"])
    before = written(engine)
    r = client.post(f"/api/demands/{did}/actions/{action}", headers=as_user("community_sup"),
                    json=body)
    assert r.status_code == status, r.get_json()
    if field:
        assert r.get_json()["field"] == field
    assert written(engine) == before and _state(engine, did)[0] == "open"


def test_unknown_demand_is_404(client, as_user):
    r = client.post("/api/demands/987654321/actions/answer", headers=as_user("admin"),
                    json={"answer": "好"})
    assert r.status_code == 404 and r.get_json()["error"] == "not_found"


def test_a_topic_of_another_community_is_refused(client, engine, as_user, topic_id):
    did = demand_id(engine, raise_one(client, point=(121.5875, 38.9125))["receipt"]["receipt"])
    r = client.post(f"/api/demands/{did}/actions/to_topic", headers=as_user("admin"),
                    json={"topic_id": topic_id})
    assert r.status_code == 400 and r.get_json()["field"] == "topic_id"


def test_a_dropped_topic_takes_no_demand(client, engine, as_user, topic_id):
    with engine.begin() as conn:
        dropped = conn.execute(text("""
            INSERT INTO topic (level, area_id, area_code, title, step, state, public_token, geom)
            SELECT level, area_id, area_code, '已撤销的议题', step, 'open',
                   'tok-demand-flow-dropped', geom FROM topic WHERE id = :id
            RETURNING id"""), {"id": topic_id}).scalar()
        conn.execute(text("UPDATE topic SET state = 'dropped', drop_reason = '重复' WHERE id = :id"
                          if _has_drop_reason(conn) else
                          "UPDATE topic SET state = 'dropped' WHERE id = :id"), {"id": dropped})
    did = demand_id(engine, raise_one(client)["receipt"]["receipt"])
    before = written(engine)
    r = client.post(f"/api/demands/{did}/actions/to_topic", headers=as_user("community_sup"),
                    json={"topic_id": dropped})
    assert r.status_code == 409 and r.get_json()["field"] == "topic_id"
    assert written(engine) == before


def _has_drop_reason(conn) -> bool:
    return bool(conn.execute(text(
        "SELECT 1 FROM information_schema.columns "
        "WHERE table_name = 'topic' AND column_name = 'drop_reason'")).scalar())


def test_whole_group_is_answered_at_once(client, engine, as_user):
    a = demand_id(engine, raise_one(client, body="小区希望增设电动车充电桩",
                                    category="facilities")["receipt"]["receipt"])
    b = demand_id(engine, raise_one(client, body="小区希望增设电动车充电桩，没地方充电",
                                    category="facilities",
                                    point=(NW[0] + 0.001, NW[1]))["receipt"]["receipt"])
    assert _group(engine, b) == _group(engine, a) == a
    r = client.post(f"/api/demands/{b}/actions/answer", headers=as_user("community_sup"),
                    json={"answer": "充电桩已列入今年计划", "whole_group": True})
    assert r.status_code == 200 and sorted(r.get_json()["settled"]) == sorted([a, b])
    assert _state(engine, a)[0] == _state(engine, b)[0] == "answered"


def _group(engine, did):
    with engine.connect() as conn:
        return conn.execute(text("SELECT group_id FROM demand WHERE id = :id"),
                            {"id": did}).scalar()

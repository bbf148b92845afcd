"""Every transition rule of the six steps, for every role of the tiny city, at each level.

The expected table is written out here, apart from gisapp/consultation/rules.py, so a
change of the rules shows up as a failing cell. A refused step leaves everything as it was.
"""

from __future__ import annotations

import pytest

from ..tiny_city import TINY_USERS
from .support import STEP_FIELDS, add_building, open_topic, snapshot, topic_at

SUPERVISORS = {"admin", "district_sup", "street_sup", "community_sup"}
GRID = {"grid_leader", "grid_worker", "info_officer", "volunteer"}
# Who may take each step, per level; everyone else gets 403.
MAY = {
    "street": {s: {"admin", "district_sup", "street_sup"} for s in range(1, 7)},
    "community": {s: SUPERVISORS for s in range(1, 7)},
    "courtyard": {
        1: SUPERVISORS | GRID,
        2: SUPERVISORS,
        3: SUPERVISORS | {"grid_leader"},
        4: SUPERVISORS | {"grid_leader"},
        5: SUPERVISORS,
        6: SUPERVISORS,
    },
}
MAY["building"] = MAY["courtyard"]
CELLS = [(level, step, user) for level in MAY for step in range(1, 7) for user in TINY_USERS]


@pytest.fixture(scope="module")
def building(engine):
    return add_building(engine)


@pytest.mark.parametrize("level,step,user", CELLS)
def test_who_may_take_each_step(engine, client, as_user, building, level, step, user):
    allowed = user in MAY[level][step]
    if step == 1:
        resp = open_topic(client, as_user(user), level, building)
        assert resp.status_code == (201 if allowed else 403), resp.get_json()
        if allowed:
            assert resp.get_json()["step"] == 1 and len(resp.get_json()["steps"]) == 1
        return
    topic_id = topic_at(engine, client, as_user("admin"), level, step - 1, building)
    before = snapshot(engine, topic_id)
    resp = client.post(
        f"/api/topics/{topic_id}/steps",
        headers=as_user(user),
        json={"step": step, "note": f"第{step}步", **STEP_FIELDS.get(step, {})},
    )
    if allowed:
        assert resp.status_code == 200, resp.get_json()
        body = resp.get_json()
        assert body["step"] == step and body["steps"][-1]["actor_name"] == user
        assert body["state"] == ("reported" if step == 6 else "open")
    else:
        assert resp.status_code == 403 and resp.get_json()["error"] == "forbidden"
        assert snapshot(engine, topic_id) == before


@pytest.mark.parametrize("at,asked", [(1, 3), (1, 1), (2, 2), (3, 5), (4, 6), (5, 4), (6, 6)])
def test_a_step_out_of_order_is_refused_and_changes_nothing(engine, client, as_user, at, asked):
    topic_id = topic_at(engine, client, as_user("admin"), "community", at)
    before = snapshot(engine, topic_id)
    resp = client.post(
        f"/api/topics/{topic_id}/steps",
        headers=as_user("community_sup"),
        json={"step": asked, **STEP_FIELDS.get(asked, {})},
    )
    assert resp.status_code in (400, 409), resp.get_json()
    assert resp.get_json()["error"] in ("conflict", "bad_input")
    assert snapshot(engine, topic_id) == before


def test_a_reported_or_dropped_topic_takes_no_more_steps(engine, client, as_user):
    dropped = topic_at(engine, client, as_user("admin"), "community", 3)
    resp = client.post(
        f"/api/topics/{dropped}/drop",
        headers=as_user("community_sup"),
        json={"reason": "居民已自行解决"},
    )
    assert resp.status_code == 200 and resp.get_json()["state"] == "dropped"
    before = snapshot(engine, dropped)
    for path, body in (
        (f"/api/topics/{dropped}/steps", {"step": 4, "announcement": "x"}),
        (f"/api/topics/{dropped}/drop", {"reason": "again"}),
    ):
        resp = client.post(path, headers=as_user("community_sup"), json=body)
        assert resp.status_code == 409, resp.get_json()
    assert snapshot(engine, dropped) == before


@pytest.mark.parametrize("user", sorted(TINY_USERS))
def test_who_may_drop(engine, client, as_user, user):
    topic_id = topic_at(engine, client, as_user("admin"), "courtyard", 2)
    before = snapshot(engine, topic_id)
    resp = client.post(
        f"/api/topics/{topic_id}/drop", headers=as_user(user), json={"reason": "重复"}
    )
    if user in SUPERVISORS:
        assert resp.status_code == 200, resp.get_json()
    else:
        assert resp.status_code == 403
        assert snapshot(engine, topic_id) == before


@pytest.mark.parametrize(
    "step,missing",
    [(3, "plan"), (4, "announcement"), (5, "decision"), (5, "participants"), (6, "outcome")],
)
def test_a_step_without_its_record_is_refused(engine, client, as_user, step, missing):
    topic_id = topic_at(engine, client, as_user("admin"), "community", step - 1)
    before = snapshot(engine, topic_id)
    body = {"step": step, **STEP_FIELDS[step]}
    body.pop(missing)
    resp = client.post(f"/api/topics/{topic_id}/steps", headers=as_user("community_sup"), json=body)
    assert resp.status_code == 400 and resp.get_json()["field"] == missing
    assert snapshot(engine, topic_id) == before


def test_the_public_may_take_no_step(engine, client, as_user):
    topic_id = topic_at(engine, client, as_user("admin"), "community", 1)
    before = snapshot(engine, topic_id)
    assert client.post(f"/api/topics/{topic_id}/steps", json={"step": 2}).status_code == 401
    assert open_topic(client, {}, "community").status_code == 401
    assert snapshot(engine, topic_id) == before

"""Cases: reporting, assignment, idempotency, the closed loop and its rules, listing."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import text

from gisapp.cases.flow import RULES

NW = (121.51, 38.99)           # grid_worker's grid 210204001001001
EAST = (121.59, 38.91)         # other_worker's grid area 210204002002002
SEA = (121.70, 38.86)


def report(client, headers=None, **over):
    body = {"kind": "incident", "category": "rubbish", "description": "楼下垃圾堆放三天",
            "location": {"lng": NW[0], "lat": NW[1]}}
    body.update(over)
    return client.post("/api/cases", json=body, headers=headers or {})


def act(client, headers, case_id, action, **body):
    return client.post(f"/api/cases/{case_id}/actions/{action}", json=body, headers=headers)


@pytest.fixture()
def new_case(client, as_user):
    def make(**over):
        resp = report(client, as_user("grid_worker"), **over)
        assert resp.status_code == 201, resp.get_json()
        return resp.get_json()["case"]
    return make


def test_report_assigns_areas_and_handler(new_case):
    case = new_case()
    assert case["area_code"] == "210204001001001001" and case["state"] == "reported"
    assert case["assignee"]            # the grid worker on duty
    assert case["department"] is None


def test_department_routing(new_case):
    case = new_case(kind="hazard", category="gas", description="闻到燃气味")
    assert case["department"] == "燃气集团" and case["assignee"] is None


def test_point_outside_every_area_is_kept_unassigned(client, as_user):
    resp = report(client, as_user("grid_worker"), location={"lng": SEA[0], "lat": SEA[1]})
    assert resp.status_code == 201
    case = resp.get_json()["case"]
    assert case["area_code"] is None
    # The admin finds it among the unassigned and routes it by hand.
    listed = client.get("/api/cases?unassigned=1", headers=as_user("admin")).get_json()["cases"]
    assert case["id"] in [c["id"] for c in listed]
    resp = client.post(f"/api/cases/{case['id']}/route", json={"area": "210204002002002002"},
                       headers=as_user("admin"))
    assert resp.status_code == 200
    assert client.get(f"/api/cases/{case['id']}",
                      headers=as_user("admin")).get_json()["area_code"] \
        == "210204002002002002"


def test_gcj02_location_and_ambiguity(new_case):
    from gisapp.areas.crs import wgs84_to_gcj02
    x, y = wgs84_to_gcj02(121.5249, 38.99)
    case = new_case(location={"lng": float(x), "lat": float(y), "crs": "gcj02", "accuracy": 100})
    assert case["area_code"].startswith("210204001001001")
    assert case["ambiguous"] is True


def test_client_id_makes_submission_idempotent(client, as_user, engine):
    h = as_user("grid_worker")
    first = report(client, h, client_id="phone-1234-abcd")
    again = report(client, h, client_id="phone-1234-abcd")
    assert first.status_code == 201 and again.status_code == 200
    assert first.get_json()["case"]["id"] == again.get_json()["case"]["id"]
    with engine.connect() as conn:
        n = conn.execute(
            text("SELECT count(*) FROM case_file WHERE client_id = 'phone-1234-abcd'")).scalar()
    assert n == 1


def test_possible_duplicates_are_suggested_and_merged(client, as_user, new_case):
    a = new_case(category="parking", description="乱停车")
    b = new_case(category="parking", description="又是乱停车",
                 location={"lng": NW[0] + 0.0003, "lat": NW[1]})        # ~26 m east
    far = new_case(category="parking", description="别处", location={"lng": 121.52, "lat": 38.98})
    h = as_user("community_sup")
    detail = client.get(f"/api/cases/{b['id']}", headers=h).get_json()
    assert a["id"] in detail["duplicate_of"]
    assert client.get(f"/api/cases/{far['id']}", headers=h).get_json()["duplicate_of"] == []
    assert client.post(f"/api/cases/{b['id']}/merge", json={"into": a["id"]},
                       headers=as_user("grid_worker")).status_code == 403
    assert client.post(f"/api/cases/{b['id']}/merge", json={"into": a["id"]},
                       headers=h).status_code == 400
    assert client.post(f"/api/cases/{b['id']}/merge", json={"into": a["id"], "note": "同一辆车"},
                       headers=h).status_code == 200
    merged = client.get(f"/api/cases/{b['id']}", headers=h).get_json()
    assert merged["state"] == "cancelled" and merged["merged_into"] == a["id"]


def run(client, as_user, case_id, steps):
    for who, action, body in steps:
        resp = act(client, as_user(who), case_id, action, **body)
        assert resp.status_code == 200, (action, resp.get_json())
    return resp.get_json()["case"]


def test_full_closed_loop_with_rework(client, as_user, new_case):
    case = new_case()
    final = run(client, as_user, case["id"], [
        ("community_sup", "register", {}),
        ("community_sup", "dispatch", {}),
        ("grid_worker", "accept", {}),
        ("grid_worker", "handle", {"note": "已清理"}),
        ("community_sup", "send_back", {"note": "仍有残留"}),
        ("grid_worker", "handle", {"note": "已彻底清理"}),
        ("community_sup", "verify", {}),
        ("community_sup", "close", {}),
        ("community_sup", "evaluate", {"score": 5}),
    ])
    assert final["state"] == "evaluated" and final["rework_count"] == 1 and final["evaluation"] == 5
    events = client.get(f"/api/cases/{case['id']}",
                        headers=as_user("community_sup")).get_json()["events"]
    assert [e["action"] for e in events] == ["report", "register", "dispatch", "accept", "handle",
                                             "send_back", "handle", "verify", "close", "evaluate"]
    assert events[5]["note"] == "仍有残留" and events[5]["actor_name"] == "community_sup"


@pytest.mark.parametrize("action", sorted(RULES))
def test_every_transition_rule(client, as_user, new_case, action):
    """Each action works from its allowed states by its roles, and nowhere else."""
    rule = RULES[action]
    body = {"note": "理由", "score": 4, "level": "street", "hours": 2}
    # Walk a case to each state once and try the action there.
    paths = {
        "reported": [], "registered": ["register"], "dispatched": ["register", "dispatch"],
        "in_progress": ["register", "dispatch", "accept"],
        "handled": ["register", "dispatch", "accept", "handle"],
        "verified": ["register", "dispatch", "accept", "handle", "verify"],
        "closed": ["register", "dispatch", "accept", "handle", "verify", "close"],
        "escalated": ["register", "escalate"],
    }
    for state, path in paths.items():
        case = new_case()
        if action == "resume" and state in RULES["suspend"].from_states:
            path = path + ["suspend"]          # resume needs a suspended clock
        for step in path:
            assert act(client, as_user("community_sup"), case["id"], step,
                       **body).status_code == 200
        # The community supervisor holds every role set; roles are checked in the next test.
        resp = act(client, as_user("community_sup"), case["id"], action, **body)
        if state in rule.from_states:
            assert resp.status_code == 200, (action, state, resp.get_json())
        else:
            assert resp.status_code == 409, (action, state, resp.get_json())


@pytest.mark.parametrize("action,who,status", [
    ("register", "grid_worker", 403), ("register", "volunteer", 403), ("register", "wall", 403),
    ("register", "other_worker", 404), ("register", "district_sup", 200),
    ("cancel", "grid_leader", 403),
])
def test_roles_per_transition(client, as_user, new_case, action, who, status):
    case = new_case()
    assert act(client, as_user(who), case["id"], action, note="理由").status_code == status


def test_cancel_needs_a_reason(client, as_user, new_case):
    case = new_case()
    resp = act(client, as_user("community_sup"), case["id"], "cancel")
    assert resp.status_code == 400 and resp.get_json()["field"] == "note"
    resp = act(client, as_user("community_sup"), case["id"], "cancel", note="无效举报")
    assert resp.get_json()["case"]["cancel_reason"] == "无效举报"


def test_stale_version_is_409(client, as_user, new_case):
    case = new_case()
    h = as_user("community_sup")
    assert act(client, h, case["id"], "register", version=case["version"]).status_code == 200
    resp = act(client, h, case["id"], "dispatch", version=case["version"])
    assert resp.status_code == 409 and resp.get_json()["current_version"] == case["version"] + 1


def test_clock_starts_at_dispatch_and_suspension_extends_it(client, as_user, new_case, engine):
    case = new_case()
    h = as_user("community_sup")
    run(client, as_user, case["id"], [("community_sup", "register", {})])
    assert client.get(f"/api/cases/{case['id']}", headers=h).get_json()["deadline_at"] is None
    dispatched = act(client, h, case["id"], "dispatch").get_json()["case"]
    assert dispatched["deadline_at"] is not None and dispatched["overdue"] is False
    # Make it overdue, then check the flag and the overdue filter.
    with engine.begin() as conn:
        conn.execute(text(
            "UPDATE case_file SET deadline_at = now() - interval '3 days' WHERE id = :i"),
                     {"i": case["id"]})
    detail = client.get(f"/api/cases/{case['id']}", headers=h).get_json()
    assert detail["overdue"] is True
    ext = act(client, h, case["id"], "extend", hours=400, note="需要协调").get_json()["case"]
    assert ext["overdue"] is False


def test_every_change_is_in_the_outbox_and_nothing_notifies(client, as_user, new_case, engine):
    """The live feed reads case_event rows of ended transactions (gisapp.live.outbox); the write
    transaction no longer NOTIFYs (it held the notify-queue lock until its commit)."""
    from gisapp.live import outbox
    with engine.connect() as conn:
        start = outbox.snapshot(conn)[0] - 1
        functions = conn.execute(text("SELECT array_agg(proname) FROM pg_proc WHERE prosrc "
                                      "ILIKE '%pg_notify(%'")).scalar()
    case = new_case()
    act(client, as_user("community_sup"), case["id"], "register")
    with engine.connect() as conn:
        rows = outbox.read_after(conn, start).rows
    mine = [r for r in rows if r.kind == "case" and r.ref == case["id"]]
    assert len(mine) == 2                       # the report and the registration
    assert mine[0].id < mine[1].id              # in commit order
    assert all(outbox.is_event_id(r.id) for r in mine)
    assert functions is None


def test_workers_see_their_jurisdiction_only(client, as_user, new_case):
    mine = new_case()
    theirs = new_case(location={"lng": EAST[0], "lat": EAST[1]})
    ids = lambda who: {c["id"] for c in client.get("/api/cases?limit=5000",
                                                   headers=as_user(who)).get_json()["cases"]}
    assert mine["id"] in ids("grid_worker")
    assert theirs["id"] in ids("grid_worker")          # they reported it themselves
    assert theirs["id"] in ids("other_worker") and mine["id"] not in ids("other_worker")
    assert client.get(f"/api/cases/{mine['id']}",
                      headers=as_user("other_worker")).status_code == 404


def test_wall_sees_everything_masked(client, as_user, new_case):
    case = new_case(contact="13812345678")
    wall = client.get(f"/api/cases/{case['id']}", headers=as_user("wall")).get_json()
    assert wall["contact"] is None and wall["reporter"] is None
    sup = client.get(f"/api/cases/{case['id']}", headers=as_user("community_sup")).get_json()
    assert sup["contact"] == "13812345678"


def test_list_filters_and_formats(client, as_user, new_case):
    h = as_user("community_sup")
    new_case(kind="hazard", category="fire_exit", description="消防通道被占")
    hazards = client.get("/api/cases?kind=hazard&state=reported&area=210204001001",
                         headers=h).get_json()
    assert hazards["cases"] and all(c["kind"] == "hazard" for c in hazards["cases"])
    geo = client.get("/api/cases?format=geojson&bbox=121.5,38.95,121.55,39.0", headers=h).get_json()
    assert geo["type"] == "FeatureCollection" and geo["features"]
    csv_text = client.get("/api/cases?format=csv", headers=h).get_data(as_text=True)
    assert csv_text.lstrip("\ufeff").startswith("id,kind,category")
    mine = client.get("/api/cases?mine=1", headers=as_user("grid_worker")).get_json()
    assert mine["numberMatched"] >= 1


@pytest.mark.parametrize("body,field", [
    ({"kind": "incident", "category": "rubbish", "description": "x"}, "location"),
    ({"kind": "incident", "category": "no_such", "description": "x",
      "location": {"lng": 121.51, "lat": 38.99}}, "category"),
    ({"kind": "meteor", "category": "rubbish", "description": "x",
      "location": {"lng": 121.51, "lat": 38.99}}, "kind"),
    ({"kind": "incident", "category": "rubbish", "description": "",
      "location": {"lng": 121.51, "lat": 38.99}}, "description"),
    ({"kind": "incident", "category": "rubbish", "description": "x",
      "location": {"lng": "NaN", "lat": 38.99}}, "lng"),
    ({"kind": "incident", "category": "rubbish", "description": "x",
      "location": {"lng": 38.99, "lat": 121.51}}, "lat"),
    ({"kind": "hazard", "category": "rubbish", "description": "x",
      "location": {"lng": 121.51, "lat": 38.99}}, "category"),
    ({"kind": "incident", "category": "rubbish", "description": "x", "client_id": "a b",
      "location": {"lng": 121.51, "lat": 38.99}}, "client_id"),
])
def test_bad_reports_are_400_and_write_nothing(client, as_user, engine, body, field):
    with engine.connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM case_file")).scalar()
    resp = client.post("/api/cases", json=body, headers=as_user("grid_worker"))
    assert resp.status_code == 400 and resp.get_json()["field"] == field, resp.get_json()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM case_file")).scalar() == before


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_photos_are_checked_and_stored_outside_web_root(client, as_user, app, tmp_path):
    app.config["PHOTO_DIR"] = str(tmp_path)
    h = as_user("grid_worker")
    form = {"kind": "hazard", "category": "fire_exit", "description": "通道堵塞",
            "lng": str(NW[0]), "lat": str(NW[1])}
    ok = client.post("/api/cases", headers=h, content_type="multipart/form-data",
                     data={**form, "photos": (io.BytesIO(PNG), "a.png")})
    assert ok.status_code == 201, ok.get_json()
    case_id = ok.get_json()["case"]["id"]
    detail = client.get(f"/api/cases/{case_id}", headers=h).get_json()
    assert len(detail["photos"]) == 1
    img = client.get(detail["photos"][0]["url"], headers=h)
    assert img.status_code == 200 and img.data == PNG and img.mimetype == "image/png"
    assert client.get(detail["photos"][0]["url"],
                      headers=as_user("other_worker")).status_code == 404
    not_image = client.post("/api/cases", headers=h, content_type="multipart/form-data",
                            data={**form,
                                  "photos": (io.BytesIO(b"MZ\x90\x00 not an image"), "x.exe")})
    assert not_image.status_code == 400 and not_image.get_json()["field"] == "photos"
    huge = client.post("/api/cases", headers=h, content_type="multipart/form-data",
                       data={**form,
                             "photos": (io.BytesIO(PNG + b"\x00" * (50 * 1024 * 1024)), "big.png")})
    assert huge.status_code == 413
    assert len(list(tmp_path.rglob("*.png"))) == 1          # nothing left from the failures


def test_public_report_is_rate_limited_and_limited_to_public_categories(client, app):
    app.config["PUBLIC_REPORTS_PER_MINUTE"] = 2
    client.environ_base["REMOTE_ADDR"] = "198.51.100.9"
    body = {"kind": "hazard", "category": "fire_exit", "description": "楼道堆物",
            "location": {"lng": NW[0], "lat": NW[1]}}
    codes = [client.post("/api/cases", json=body).status_code for _ in range(3)]
    assert codes == [201, 201, 429]
    client.environ_base["REMOTE_ADDR"] = "198.51.100.10"
    receipt = client.post("/api/cases", json=body).get_json()["case"]
    assert "contact" not in receipt and "assignee" not in receipt
    dispute = client.post("/api/cases",
                          json={**body, "kind": "dispute", "category": "family_dispute"})
    assert dispute.status_code == 400
    app.config["PUBLIC_REPORTS_PER_MINUTE"] = 5


def test_evaluation_figures(client, as_user, new_case, engine):
    h = as_user("community_sup")
    done = new_case(description="统计用1")
    run(client, as_user, done["id"], [
        ("community_sup", "register", {}), ("community_sup", "dispatch", {}),
        ("grid_worker", "accept", {}), ("grid_worker", "handle", {}),
        ("community_sup", "send_back", {"note": "返工"}), ("grid_worker", "handle", {}),
        ("community_sup", "verify", {}), ("community_sup", "close", {})])
    late = new_case(description="统计用2")
    run(client, as_user, late["id"],
        [("community_sup", "register", {}), ("community_sup", "dispatch", {})])
    with engine.begin() as conn:
        conn.execute(text(
            "UPDATE case_file SET deadline_at = now() - interval '1 day' WHERE id = :i"),
                     {"i": late["id"]})
    body = client.get("/api/cases/stats?area=210204001001&group=total", headers=h).get_json()
    total = body["rows"][0]
    assert total["closed"] >= 1 and total["overdue_unhandled"] >= 1 and total["reworked"] >= 1
    assert 0 < total["closure_rate"] <= 1 and total["median_hours_to_close"] is not None
    by_area = client.get("/api/cases/stats?area=210204001001&group=area",
                         headers=h).get_json()["rows"]
    assert {r["grp"] for r in by_area} <= {"210204001001001", "210204001001002"}
    assert sum(r["reported"] for r in by_area) == total["reported"]
    csv_text = client.get("/api/cases/stats?area=210204001001&group=day&format=csv",
                          headers=h).get_data(as_text=True)
    assert "closure_rate" in csv_text.splitlines()[0]
    # Another grid's worker sees none of these.
    other = client.get("/api/cases/stats?area=210204001001&group=total",
                       headers=as_user("other_worker")).get_json()
    assert other["rows"] == [] or other["rows"][0]["reported"] < total["reported"]
    assert client.get("/api/cases/stats?group=planet", headers=h).status_code == 400
    assert client.get("/api/cases/stats?from=2026-02-01&to=2026-01-01",
                      headers=h).status_code == 400

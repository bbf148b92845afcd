"""Five-colour visits: ownership through duties, what is due, logging, idempotency,
distance checks, one-tap cases, supervision figures and the wall's counter.

The tiny city has one red household at the centre of each micro-grid. This module adds
a yellow, an orange and a blue household in the north-west grid, and an orange one in
the south-east grid where no grid leader serves (so nobody owns it).
"""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import text

from gisapp.areas.crs import wgs84_to_gcj02
from gisapp.households.visits import china_today, due_visits

NW_GRID = "210204001001001"
NW_COMMUNITY = "210204001001"
RED_NW = (121.5125, 38.9875)          # centre of micro-grid 210204001001001001


def _person(engine, username):
    with engine.connect() as conn:
        return conn.execute(text("SELECT person_id FROM app_user WHERE username = :u"),
                            {"u": username}).scalar()


def _add(engine, colour, lng, lat):
    with engine.begin() as conn:
        return conn.execute(text("""
            INSERT INTO household (unit, room, head_name, colour, tags, geom, area_id)
            VALUES (2, '202', '测试户', :c, ARRAY['低保'], ST_SetSRID(ST_MakePoint(:x, :y), 4326),
                    locate_leaf(ST_SetSRID(ST_MakePoint(:x, :y), 4326)))
            RETURNING id"""), {"c": colour, "x": lng, "y": lat}).scalar()


@pytest.fixture(scope="module")
def homes(engine):
    return {"yellow": _add(engine, 3, 121.513, 38.988), "orange": _add(engine, 2, 121.514, 38.989),
            "blue": _add(engine, 4, 121.512, 38.986),
            "orange_unowned": _add(engine, 2, 121.59, 38.91)}


def _red_id(engine, lng, lat):
    with engine.connect() as conn:
        return conn.execute(text("SELECT id FROM household WHERE colour = 1 AND "
                                 "ST_Equals(geom, ST_SetSRID(ST_MakePoint(:x, :y), 4326))"),
                            {"x": lng, "y": lat}).scalar()


def test_red_households_belong_to_community_leaders_through_ancestor_duties(engine, homes):
    # community_sup's duty is on the community; the households sit in its micro-grids.
    with engine.connect() as conn:
        rows = due_visits(conn, _person(engine, "community_sup"), china_today(), 121.5375, 38.9625)
    assert {r["area_code"][:12] for r in rows} == {NW_COMMUNITY}
    assert len(rows) == 4 and {r["colour_key"] for r in rows} == {"red"}
    distances = [r["distance_m"] for r in rows]
    assert distances == sorted(distances) and distances[0] < distances[-1]
    # The nearest is the micro-grid whose centre is closest to the point asked from.
    assert rows[0]["area_code"] == "210204001001002002"


def test_each_colour_goes_to_its_role(engine, homes):
    day = china_today()
    with engine.connect() as conn:
        worker = {r["id"] for r in due_visits(conn, _person(engine, "grid_worker"), day)}
        leader = {r["id"] for r in due_visits(conn, _person(engine, "grid_leader"), day)}
        officer = due_visits(conn, _person(engine, "info_officer"), day)
        other = {r["id"] for r in due_visits(conn, _person(engine, "other_worker"), day)}
    assert worker == {homes["yellow"]}
    assert leader == {homes["orange"]}
    assert officer == []                           # no colour names the info officer
    assert homes["orange_unowned"] not in other     # a grid worker does not own orange


def test_due_api_sorts_by_distance_and_accepts_gcj02(client, as_user, homes):
    gx, gy = (float(v) for v in wgs84_to_gcj02(121.5125, 38.9875))
    body = client.get(f"/api/visits/due?lng={gx}&lat={gy}&crs=gcj02",
                      headers=as_user("community_sup")).get_json()
    assert body["count"] == 4 and "geodesic" in body["distance"]
    assert body["visits"][0]["distance_m"] < 1.0       # standing at that household's door
    assert body["visits"][0]["area_code"] == "210204001001001001"


def test_due_api_rules(client, as_user):
    assert client.get("/api/visits/due").status_code == 401
    assert client.get("/api/visits/due", headers=as_user("admin")).status_code == 403
    r = client.get("/api/visits/due?day=2024-13-01", headers=as_user("grid_worker"))
    assert r.status_code == 400 and r.get_json()["error"] == "bad_input"
    r = client.get("/api/visits/due?lng=121.5", headers=as_user("grid_worker"))
    assert r.status_code == 400


def test_unowned_households_are_flagged(client, as_user, homes):
    r = client.get("/api/households/unowned?area=210204", headers=as_user("community_sup"))
    # community_sup sees only its own community, where no party member or volunteer
    # serves: the blue household is flagged; the south-east orange one is not theirs to see.
    assert r.status_code == 200
    assert [h["id"] for h in r.get_json()["households"]] == [homes["blue"]]
    with client.application.app_context():
        from gisapp import db
        from gisapp.accounts.access import Viewer
        from gisapp.households.visits import unowned
        with db.read() as conn:
            rows = unowned(conn, Viewer(1, "x", "community_supervisor", None, ("210204",)),
                           "210204", china_today())
    ids = {r["id"] for r in rows}
    assert homes["orange_unowned"] in ids
    assert homes["blue"] in ids
    assert homes["orange"] not in ids and homes["yellow"] not in ids
    # The district supervisor, who sees aggregates only, gets counts, never a household.
    r = client.get("/api/households/unowned?area=210204",
                   headers=as_user("district_sup")).get_json()
    assert "households" not in r and r["count"] == len(rows)
    assert {(c["community"], c["colour"]) for c in r["counts"]} >= {("210204002002", "orange"),
                                                                   ("210204001001", "blue")}
    r = client.get(f"/api/households/{homes['orange']}/owners", headers=as_user("grid_leader"))
    assert r.get_json()["unowned"] is False
    assert [o["role"] for o in r.get_json()["owners"]] == ["grid_leader"]


def test_log_visit_near_far_and_idempotent(client, as_user, engine, homes):
    hid = homes["yellow"]
    r = client.post("/api/visits", headers=as_user("grid_worker"), json={
        "household_id": hid, "outcome": "well", "note": "身体尚好",
        "location": {"lng": 121.51305, "lat": 38.98805}, "client_id": "test-visit-0001"})
    assert r.status_code == 201, r.get_json()
    visit = r.get_json()["visit"]
    assert 0 < visit["distance_m"] < 10 and visit["flagged_far"] is False
    again = client.post("/api/visits", headers=as_user("grid_worker"), json={
        "household_id": hid, "outcome": "well", "client_id": "test-visit-0001",
        "location": {"lng": 121.51305, "lat": 38.98805}})
    assert again.status_code == 200 and again.get_json()["visit"]["id"] == visit["id"]
    # Someone else's client id is a conflict, never their visit.
    other = client.post("/api/visits", headers=as_user("grid_leader"), json={
        "household_id": hid, "outcome": "well", "client_id": "test-visit-0001"})
    assert other.status_code == 409 and "visit" not in other.get_json()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM visit WHERE household_id = :h"),
                            {"h": hid}).scalar() == 1
    # Done today: no longer due today, due again in 15 days (yellow: half-monthly).
    with engine.connect() as conn:
        person = _person(engine, "grid_worker")
        assert due_visits(conn, person, china_today()) == []
        assert due_visits(conn, person, china_today() + timedelta(days=14)) == []
        assert ([r["id"] for r in due_visits(conn, person, china_today() + timedelta(days=15))]
                == [hid])
    far = client.post("/api/visits", headers=as_user("grid_worker"), json={
        "household_id": hid, "outcome": "well", "location": {"lng": 121.515, "lat": 38.988}})
    assert far.status_code == 201
    assert far.get_json()["visit"]["distance_m"] > 100 and far.get_json()["visit"]["flagged_far"]


def test_visit_rules(client, as_user, homes):
    hid = homes["yellow"]
    ok = {"household_id": hid, "outcome": "well", "location": {"lng": 121.513, "lat": 38.988}}
    assert client.post("/api/visits", json=ok).status_code in (401, 403)
    # Outside one's duties a household does not exist.
    r = client.post("/api/visits", headers=as_user("other_worker"), json=ok)
    assert r.status_code == 404
    for bad in ({**ok, "outcome": "teleported"}, {**ok, "household_id": "x"},
                {k: v for k, v in ok.items() if k != "household_id"},
                {**ok, "location": {"lng": 200, "lat": 38.9}}, {**ok, "client_id": "short"},
                {**ok, "note": 5}, {**ok, "visited_at": "2001-01-01T00:00:00Z"},
                {**ok, "open_case": {"category": "no_such_category"}}, {**ok, "location": [1, 2]},
                {**ok, "open_case": "yes"}, {**ok, "household_id": True}):
        r = client.post("/api/visits", headers=as_user("grid_worker"), json=bad)
        assert r.status_code == 400, (bad, r.get_json())
        assert r.get_json()["error"] == "bad_input"


def test_not_home_does_not_complete(client, as_user, engine, homes):
    hid = homes["orange"]
    r = client.post("/api/visits", headers=as_user("grid_leader"), json={
        "household_id": hid, "outcome": "not_home", "location": {"lng": 121.514, "lat": 38.989}})
    assert r.status_code == 201 and r.get_json()["visit"]["completes"] is False
    with engine.connect() as conn:
        due = due_visits(conn, _person(engine, "grid_leader"), china_today())
    assert [d["id"] for d in due] == [hid]


def test_visit_opens_a_case_in_one_tap(client, as_user, engine):
    hid = _red_id(engine, *RED_NW)
    r = client.post("/api/visits", headers=as_user("community_sup"), json={
        "household_id": hid, "outcome": "needs_help", "note": "楼道电线私拉，老人充电有危险",
        "location": {"lng": RED_NW[0], "lat": RED_NW[1]}, "client_id": "visit-case-0001",
        "open_case": {"category": "electric_hazard"}})
    assert r.status_code == 201, r.get_json()
    case_id = r.get_json()["visit"]["case_id"]
    assert case_id
    case = client.get(f"/api/cases/{case_id}", headers=as_user("community_sup")).get_json()
    assert case["category"] == "electric_hazard" and case["area_code"] == "210204001001001001"
    assert "私拉" in case["description"]
    # Retrying the same visit does not open a second case.
    again = client.post("/api/visits", headers=as_user("community_sup"), json={
        "household_id": hid, "outcome": "needs_help", "client_id": "visit-case-0001",
        "location": {"lng": RED_NW[0], "lat": RED_NW[1]},
        "open_case": {"category": "electric_hazard"}})
    assert again.status_code == 200 and again.get_json()["visit"]["case_id"] == case_id


PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
       b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
       b"\x00\x00\x00IEND\xaeB`\x82")


def test_visit_with_photo_by_multipart(client, as_user, engine, homes):
    hid = homes["blue"]
    data = {"household_id": str(hid), "outcome": "well", "lng": "121.512", "lat": "38.986",
            "crs": "wgs84", "note": "带了照片", "photo": (io.BytesIO(PNG), "door.png")}
    r = client.post("/api/visits", headers=as_user("info_officer"), data=data,
                    content_type="multipart/form-data")
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["visit"]["has_photo"] is True
    bad = {**data, "photo": (io.BytesIO(b"not an image"), "x.png")}
    r = client.post("/api/visits", headers=as_user("info_officer"), data=bad,
                    content_type="multipart/form-data")
    assert r.status_code == 400


def test_multipart_visit_takes_its_location_as_json_text(client, as_user, engine, homes):
    """A form cannot nest: the phone sends the location object as JSON text beside the photo."""
    hid = homes["blue"]
    data = {"household_id": str(hid), "outcome": "well", "note": "照片与位置",
            "client_id": "visit-multipart-json-0001",
            "location": '{"lng": 121.512, "lat": 38.986, "crs": "wgs84", "accuracy": 12}',
            "photo": (io.BytesIO(PNG), "door.png")}
    r = client.post("/api/visits", headers=as_user("info_officer"), data=data,
                    content_type="multipart/form-data")
    assert r.status_code == 201, r.get_json()
    visit = r.get_json()["visit"]
    assert visit["has_photo"] and abs(visit["lng"] - 121.512) < 1e-9 and visit["accuracy_m"] == 12
    # What the old page sent: the text "[object Object]" is refused, naming the field.
    bad = {**data, "client_id": "visit-multipart-json-0002", "location": "[object Object]",
           "photo": (io.BytesIO(PNG), "door.png")}
    r = client.post("/api/visits", headers=as_user("info_officer"), data=bad,
                    content_type="multipart/form-data")
    assert r.status_code == 400 and r.get_json()["field"] == "location"


def test_stats_count_completion_and_overdue(client, as_user, engine, homes):
    today = china_today().isoformat()
    r = client.get(f"/api/visits/stats?area={NW_COMMUNITY}&group=grid&from={today}&to={today}",
                   headers=as_user("community_sup"))
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    red = body["by_colour"]["red"]
    with engine.connect() as conn:
        reds = conn.execute(text("SELECT count(*) FROM household h JOIN area a ON a.id = h.area_id "
                                 "WHERE h.colour = 1 AND a.code LIKE :p"),
                            {"p": NW_COMMUNITY + "%"}).scalar()
        visited = conn.execute(text("""SELECT count(DISTINCT v.household_id) FROM visit v
            JOIN visit_outcome o ON o.key = v.outcome AND o.completes
            WHERE v.colour = 1 AND v.area_code LIKE :p"""), {"p": NW_COMMUNITY + "%"}).scalar()
    assert red["households"] == reds and red["done"] == visited >= 1
    assert red["expected"] == reds and red["completion_rate"] == round(visited / reds, 4)
    # A yellow household visited today: its one visit due this day is done (whole visits).
    assert body["by_colour"]["yellow"]["done"] == 1
    counts = [r[k] for r in body["rows"] + list(body["by_colour"].values())
              for k in ("expected", "done")]
    assert counts and all(isinstance(n, int) for n in counts)
    # Over a month, only the days since each household got its colour (today) count.
    month = client.get(f"/api/visits/stats?area={NW_COMMUNITY}&from="
                       f"{(china_today() - timedelta(days=29)).isoformat()}&to={today}",
                       headers=as_user("community_sup")).get_json()
    assert month["days"] == 30 and month["by_colour"]["red"]["expected"] == reds
    assert {row["key"] for row in body["rows"]} <= {NW_GRID, "210204001001002"}
    csv_body = client.get(f"/api/visits/stats?area={NW_COMMUNITY}&group=worker&format=csv",
                          headers=as_user("community_sup"))
    assert csv_body.status_code == 200 and "completion_rate" in csv_body.get_data(as_text=True)
    assert client.get("/api/visits/stats", headers=as_user("grid_worker")).status_code == 403
    assert client.get("/api/visits/stats?group=planet",
                      headers=as_user("community_sup")).status_code == 400
    assert client.get("/api/visits/stats?from=2024-02-30",
                      headers=as_user("community_sup")).status_code == 400
    for bad in ("from=0001-01-01&to=0001-02-01", "to=9999-12-31", "from=2024-03-01&to=2024-01-01",
                "from=2020-01-01&to=2024-01-01", "format=xml"):
        r = client.get(f"/api/visits/stats?{bad}", headers=as_user("community_sup"))
        assert r.status_code == 400 and r.get_json()["error"] == "bad_input", bad
    assert client.get("/api/visits/due?day=0001-01-01",
                      headers=as_user("grid_worker")).status_code == 400


def test_overdue_map_and_wall_counter(client, as_user, engine, homes):
    fc = client.get(f"/api/visits/overdue?area={NW_COMMUNITY}&day="
                    f"{(china_today() + timedelta(days=2)).isoformat()}",
                    headers=as_user("community_sup")).get_json()
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) >= 4
    assert client.get("/api/visits/overdue?area=210204",
                      headers=as_user("district_sup")).status_code == 403
    summary = client.get("/api/wall/summary", headers=as_user("admin")).get_json()
    with engine.connect() as conn:
        done = conn.execute(text("""SELECT count(DISTINCT v.household_id) FROM visit v
            JOIN visit_outcome o ON o.key = v.outcome AND o.completes JOIN household h """
                                 """ON h.id = v.household_id
            WHERE h.colour = 1 AND (v.visited_at AT TIME ZONE 'Asia/Shanghai')::date
                                   = (now() AT TIME ZONE 'Asia/Shanghai')::date""")).scalar()
    assert done >= 1 and summary["red_visits"]["done"] == done


def test_quarterly_households_in_a_monthly_report(client, as_user, engine):
    """A green household is due quarterly: over a 30-day report it counts as done if
    visited within the last 90 days (even before the period), overdue if not."""
    fresh, stale = _add(engine, 5, 121.5121, 38.9871), _add(engine, 5, 121.5122, 38.9872)
    with engine.begin() as conn:
        conn.execute(text("UPDATE household SET colour_since = now() - interval '200 days' "
                          "WHERE id = ANY(:ids)"), {"ids": [fresh, stale]})
        for hid, days in ((fresh, 40), (stale, 100)):
            conn.execute(text("""INSERT INTO visit (household_id, visited_at, outcome, geom)
                                 SELECT id, now() - make_interval(days => :d), 'well', geom
                                 FROM household WHERE id = :h"""), {"h": hid, "d": days})
    today = china_today()
    body = client.get(f"/api/visits/stats?area={NW_COMMUNITY}"
                      f"&from={(today - timedelta(days=29)).isoformat()}"
                      f"&to={today.isoformat()}", headers=as_user("community_sup")).get_json()
    green = body["by_colour"]["green"]
    # Whole visits: each is due one visit in the month (never "应访 0.33"), one was made.
    assert green["households"] == 2 and green["expected"] == 2
    assert green["done"] == 1 and green["overdue"] == 1
    assert green["completion_rate"] == 0.5
    assert green["visits"] == 0            # neither visit fell inside the period itself

def test_demo_visit_history_keeps_last_visits_consistent(runner, engine):
    """Runs last: the demo history bulk-inserts visits; each household's last visit
    (kept by a statement-level trigger) must equal its latest completing visit."""
    out = runner.invoke(args=["households", "demo-visits", "--days", "20"])
    assert out.exit_code == 0, out.output
    with engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM visit WHERE client_id IS NULL")).scalar()
        wrong = conn.execute(text("""
            SELECT count(*) FROM household h
            WHERE h.last_visit_at IS DISTINCT FROM (
                SELECT max(v.visited_at) FROM visit v JOIN visit_outcome o ON o.key = v.outcome
                WHERE o.completes AND v.household_id = h.id)""")).scalar()
        reds_unvisited = conn.execute(text("SELECT count(*) FROM household WHERE colour = 1 "
                                           "AND last_visit_at IS NULL")).scalar()
    assert n > 16 and wrong == 0 and reds_unvisited == 0
    assert "visits over 20 days" in out.output

"""Access rules: every role against every route, and household privacy through every door."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from ..tiny_city import TINY_USERS

ROLES = ["public", *TINY_USERS]
MINE = "210204001001001"          # grid_worker's grid
THEIRS = "210204002002002"        # other_worker's grid


def headers(as_user, who):
    return {} if who == "public" else as_user(who)


def household_ids(engine, grid):
    with engine.connect() as conn:
        return conn.execute(text("SELECT h.id FROM household h JOIN area a ON a.id = h.area_id "
                                 "WHERE a.code LIKE :g || '%' ORDER BY h.id"),
                            {"g": grid}).scalars().all()


# (method, path, {who: expected status}); "*" is everyone not listed.
MATRIX = [
    ("GET", "/", {"*": 200}),
    ("GET", "/login", {"*": 200}),
    ("GET", "/healthz", {"*": 200}),
    ("GET", "/api/ping", {"*": 200}),
    ("GET", "/api/me", {"*": 200}),
    ("GET", "/api/locate?lng=121.51&lat=38.99", {"*": 200}),
    ("GET", "/api/areas?level=grid", {"*": 200}),
    ("GET", "/api/areas/210204001", {"*": 200}),
    ("GET", "/api/households?area=210204", {"*": 200}),
    ("GET", "/api/households/1", {"public": 401, "*": 404, "grid_worker": 200, "grid_leader": 200,
                                  "community_sup": 200, "info_officer": 200, "volunteer": 200}),
    ("GET", "/api/audit", {"public": 401, "*": 403, "admin": 200}),
    ("GET", "/vendor/leaflet/dist/leaflet.js", {"*": 200}),
    ("GET", "/vendor/../pyproject.toml", {"*": 404}),
]


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("method,path,expected", MATRIX, ids=[m[1] for m in MATRIX])
def test_role_matrix(client, as_user, who, method, path, expected):
    resp = client.open(path, method=method, headers=headers(as_user, who))
    want = expected.get(who, expected.get("*"))
    assert resp.status_code == want, (who, path, resp.get_data(as_text=True)[:200])
    if resp.status_code >= 400:
        assert resp.is_json and resp.get_json()["error"]


# Case routes, role by role, on a fresh case reported in community 210204001001's
# north-west micro-grid: (method, path under /api/cases/<id>, JSON body, {who: status}).
# Routing obeys the rules of reading: a role that cannot read the case gets 404 and
# nothing moves; reading roles without the right get 403. Re-routing moves the case to
# its sibling micro-grid, with a reason.
CASE_MATRIX = [
    ("POST", "/route", {"area": "210204001001001002", "note": "位置在隔壁"},
     {"public": 401, "wall": 403, "admin": 200, "district_sup": 200, "street_sup": 200,
      "community_sup": 200, "grid_leader": 403, "grid_worker": 403, "info_officer": 403,
      "volunteer": 403, "other_worker": 404}),
    ("POST", "/route", {"area": "210204002002002002", "note": "改到东边"},
     {"public": 401, "wall": 403, "admin": 200, "district_sup": 200, "street_sup": 403,
      "community_sup": 403, "grid_leader": 403, "grid_worker": 403, "info_officer": 403,
      "volunteer": 403, "other_worker": 404}),
    ("GET", "/candidates", None,
     {"public": 401, "wall": 403, "admin": 200, "district_sup": 200, "street_sup": 200,
      "community_sup": 200, "grid_leader": 200, "grid_worker": 403, "info_officer": 403,
      "volunteer": 403, "other_worker": 404}),
    ("GET", "", None, {"public": 401, "other_worker": 404, "*": 200}),
]


def _case_state(engine, case_id):
    with engine.connect() as conn:
        return conn.execute(text("SELECT version, area_code, assignee_person_id FROM case_file "
                                 "WHERE id = :id"), {"id": case_id}).first()


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("method,suffix,body,expected", CASE_MATRIX,
                         ids=[f"{m[0]} {m[1] or '/'} {m[2]['area'][-6:] if m[2] else ''}"
                              for m in CASE_MATRIX])
def test_case_role_matrix(client, as_user, engine, who, method, suffix, body, expected):
    made = client.post("/api/cases", headers=as_user("grid_worker"), json={
        "kind": "incident", "category": "rubbish", "description": "垃圾堆放",
        "location": {"lng": 121.51, "lat": 38.99}})
    case_id = made.get_json()["case"]["id"]
    before = _case_state(engine, case_id)
    resp = client.open(f"/api/cases/{case_id}{suffix}", method=method, json=body,
                       headers=headers(as_user, who))
    want = expected.get(who, expected.get("*"))
    assert resp.status_code == want, (who, method, suffix, resp.get_data(as_text=True)[:200])
    if resp.status_code >= 400:
        assert resp.is_json and resp.get_json()["error"]
        assert _case_state(engine, case_id) == before          # a refusal moves nothing


def test_household_one_is_in_the_north_west(engine):
    # The matrix above relies on household 1 lying in grid_worker's grid.
    assert 1 in household_ids(engine, MINE)


@pytest.mark.parametrize("fmt", ["json", "geojson", "csv"])
def test_grid_worker_sees_only_own_grid(client, as_user, engine, fmt):
    resp = client.get(f"/api/households?area=210204&format={fmt}&limit=5000",
                      headers=as_user("grid_worker"))
    assert resp.status_code == 200
    mine = household_ids(engine, MINE)
    if fmt == "csv":
        lines = resp.get_data(as_text=True).strip().splitlines()[1:]
        ids = sorted(int(line.split(",")[0]) for line in lines)
    elif fmt == "geojson":
        ids = sorted(f["id"] for f in resp.get_json()["features"])
    else:
        ids = sorted(h["id"] for h in resp.get_json()["households"])
    assert ids == mine and len(mine) == 2


def test_grid_worker_cannot_reach_another_grid(client, as_user, engine):
    theirs = household_ids(engine, THEIRS)
    h = as_user("grid_worker")
    for hid in theirs:
        assert client.get(f"/api/households/{hid}", headers=h).status_code == 404
    body = client.get(f"/api/households?area={THEIRS}", headers=h).get_json()
    assert body["households"] == [] and body["aggregate"]["area"]["households"] == 2
    found = client.get("/api/households?area=210204&q=住户", headers=h).get_json()["households"]
    assert {x["area_code"][:15] for x in found} == {MINE}
    # The owner of that grid does see them.
    assert client.get(f"/api/households/{theirs[0]}",
                      headers=as_user("other_worker")).status_code == 200


@pytest.mark.parametrize("who", ["public", "wall", "admin", "district_sup", "street_sup"])
def test_roles_without_household_duty_get_aggregates_only(client, as_user, who):
    body = client.get("/api/households?area=210204", headers=headers(as_user, who)).get_json()
    assert body["households"] == [] and body["personal_data"] is False
    assert body["aggregate"]["area"]["households"] == 16
    assert sum(c["households"] for c in body["aggregate"]["children"]) == 16
    assert body["aggregate"]["area"]["colours"]["red"] == 16


def test_reads_of_personal_data_are_audited_per_request(client, as_user, engine):
    with engine.connect() as conn:
        before = conn.execute(
            text("SELECT count(*) FROM audit_log WHERE action = 'read.households'")).scalar()
    client.get("/api/households?area=210204", headers=as_user("community_sup"))
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT username, detail FROM audit_log "
                                 "WHERE action = 'read.households' "
                                 "ORDER BY id DESC")).all()
    assert len(rows) == before + 1
    assert rows[0].username == "community_sup" and rows[0].detail["count"] == 4


@pytest.mark.parametrize("query", [
    "area=210204' OR '1'='1", "area=210204&colour=purple", "area=210204&limit=abc",
    "area=210204&offset=-5", "area=", "area=210204&format=xml", "area=210204&q=" + "x" * 60,
    "area=210204;DROP TABLE household",
])
def test_injection_and_bad_parameters_are_400(client, as_user, engine, query):
    resp = client.get(f"/api/households?{query}", headers=as_user("community_sup"))
    assert resp.status_code == 400 and resp.get_json()["error"] == "bad_input"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM household")).scalar() == 16


def test_security_headers_on_pages(client):
    resp = client.get("/login")
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors" in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_oversized_body_is_413(client):
    resp = client.post("/api/locate", data=b"[" + b"0," * 1_100_000 + b"0]",
                       content_type="application/json")
    assert resp.status_code == 413 and resp.get_json()["error"]

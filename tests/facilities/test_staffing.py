"""Staffing analysis on the tiny city: households against community workers and information
officers.

The tiny city has 4 communities of 4 households each (one per micro-grid), a grid worker
per grid and an information officer per micro-grid, and no community workers. This module
adds 550 households to micro-grid 210204001001001001 and two community workers to its
community, so community 210204001001 has 554 households: 3 workers needed at 1 per 200,
to the nearest (2 on duty: shortfall 1), 6 to 12 information officers at 1 per 100-50 (5
on duty: the 4 of its micro-grids and the tiny users' info_officer).
"""
from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import text

COMMUNITY = "210204001001"


@pytest.fixture(scope="module", autouse=True)
def busy_community(engine):
    with engine.begin() as conn:
        conn.execute(text("""
            INSERT INTO household (geom, area_id)
            SELECT ST_SetSRID(ST_MakePoint(121.51 + i * 1e-5, 38.99), 4326), a.id
            FROM generate_series(1, 550) i, area a WHERE a.code = '210204001001001001'"""))
        ids = conn.execute(text("INSERT INTO person (name) "
                                "VALUES ('社工甲'), ('社工乙'), ('离职社工'), "
                                "('停用社工') RETURNING id")).scalars().all()
        conn.execute(text("UPDATE person SET active = false WHERE id = :p"), {"p": ids[3]})
        for person, code, ends in ((ids[0], COMMUNITY, None), (ids[1], COMMUNITY + "002", None),
                                   (ids[0], COMMUNITY + "001", None),       # the same person twice
                                   (ids[2], COMMUNITY, "2023-01-01"),       # a duty that ended
                                   (ids[3], COMMUNITY, None)):              # an inactive person
            conn.execute(text("""INSERT INTO duty (person_id, area_id, role, starts_on, ends_on)
                SELECT :p, id, 'community_worker', '2022-01-01', :e FROM area WHERE code = :c"""),
                {"p": person, "c": code, "e": ends})
        conn.execute(text("SELECT refresh_area_counts()"))


def get(client, as_user, query, user="street_sup"):
    r = client.get("/api/staffing?" + query, headers=as_user(user))
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_per_community(client, as_user):
    body = get(client, as_user, "level=community")
    rows = {r["code"]: r for r in body["rows"]}
    assert set(rows) == {"210204001001", "210204001002", "210204002001", "210204002002"}
    busy = rows[COMMUNITY]
    assert {k: busy[k] for k in ("households", "workers", "workers_needed", "workers_shortfall",
                                 "info_officers", "info_officers_needed",
                                 "info_officers_needed_max",
                                 "info_officers_shortfall", "info_officers_shortfall_max")} == {
        "households": 554, "workers": 2, "workers_needed": 3, "workers_shortfall": 1,
        "info_officers": 5, "info_officers_needed": 6, "info_officers_needed_max": 12,
        "info_officers_shortfall": 1, "info_officers_shortfall_max": 7}
    quiet = rows["210204002002"]
    assert (quiet["households"], quiet["workers"], quiet["workers_needed"],
            quiet["workers_shortfall"],
            quiet["info_officers"], quiet["info_officers_needed"]) == (4, 0, 1, 1, 4, 1)
    assert body["worker_role"] == "community_worker"
    assert body["totals"]["households"] == 566
    assert body["totals"]["workers_needed"] == 3 + 1 + 1 + 1
    assert body["totals"]["workers_shortfall"] == 1 + 1 + 1 + 1


def test_per_grid_inside_a_community(client, as_user):
    body = get(client, as_user, f"level=grid&area={COMMUNITY}")
    rows = {r["code"]: r for r in body["rows"]}
    assert set(rows) == {COMMUNITY + "001", COMMUNITY + "002"}
    g = rows[COMMUNITY + "001"]
    # 552 households; grid workers: the tiny city's and the tiny users' grid_worker.
    assert ((g["households"], g["workers"], g["workers_needed"], g["workers_shortfall"])
            == (552, 2, 3, 1))
    # Information officers: two micro-grids' and the tiny users' info_officer.
    assert (g["info_officers"], g["info_officers_needed"], g["info_officers_shortfall"],
            g["info_officers_shortfall_max"]) == (3, 6, 3, 9)
    assert body["worker_role"] == "grid_worker" and body["totals"]["households"] == 554


def test_csv_has_a_total_row(client, as_user):
    r = client.get("/api/staffing?level=community&format=csv", headers=as_user("admin"))
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0]["code"] == COMMUNITY and rows[0]["workers_shortfall"] == "1"
    assert rows[-1]["code"] == "total" and rows[-1]["households"] == "566"


def test_needs_login_and_names_nobody(client, as_user):
    assert client.get("/api/staffing").status_code == 401
    body = get(client, as_user, "level=community", user="grid_worker")
    assert "社工甲" not in str(body)


@pytest.mark.parametrize("query, status", [
    ("level=street", 400), ("level=microgrid", 400), ("area=12ab", 400), ("area=210204009", 404),
    ("level=community&area=210204001001001", 400), ("format=xml", 400),
])
def test_bad_input(client, as_user, query, status):
    r = client.get("/api/staffing?" + query, headers=as_user("admin"))
    assert r.status_code == status, (query, r.get_json())

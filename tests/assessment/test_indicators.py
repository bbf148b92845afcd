"""The assessment's indicators against a straightforward reference query, over several
periods and viewers; scores, ranks, grades and quotas; exports; refusals."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import text

from gisapp.assessment.indicators import Period
from gisapp.assessment.scores import rank_and_grade, score

from .support import add_answer, add_case, add_demand, add_task, china

REFERENCE = text((Path(__file__).parent / "indicators_reference.sql").read_text())
RESIDENTS = text((Path(__file__).parent / "residents_reference.sql").read_text())
# (month, from, to): a month, a window inside it, and the month before.
PERIODS = [
    ("2026-10", "2026-10-01", "2026-10-31"),
    (None, "2026-10-05", "2026-10-14"),
    ("2026-09", "2026-09-01", "2026-09-30"),
]


@pytest.fixture(scope="module")
def data(engine):
    with engine.begin() as conn:
        plan = [
            ("210204001001", "2026-10-03", "closed", False, 0),
            ("210204001001", "2026-10-06", "closed", True, 1),
            ("210204001001", "2026-10-09", "dispatched", False, 0),
            ("210204001001", "2026-10-20", "reported", False, 0),
            ("210204001002", "2026-10-07", "closed", False, 0),
            ("210204001002", "2026-10-12", "handled", False, 2),
            ("210204002001", "2026-09-15", "closed", True, 0),
            ("210204002001", "2026-10-30", "evaluated", False, 0),
            ("210204002002", "2026-10-01", "cancelled", False, 0),
        ]
        ids = [add_case(conn, c, d, s, late, rw)["id"] for c, d, s, late, rw in plan]
        add_answer(conn, ids[0], 5, "2026-10-08")
        add_answer(conn, ids[1], 2, "2026-10-10")
        add_answer(conn, ids[4], 4, "2026-10-20")
        add_answer(conn, ids[6], 3, "2026-09-20")
        for code, deadline, closed in [
            ("210204001001", "2026-10-05", "2026-10-04"),
            ("210204001001001", "2026-10-08", "2026-10-09"),
            ("210204001002", "2026-10-20", None),
            ("210204002001", "2026-09-10", "2026-09-01"),
        ]:
            add_demand(conn, code, deadline, closed)
        for code, deadline, done in [
            ("210204001001", "2026-10-10", "2026-10-09"),
            ("210204001001", "2026-10-12", None),
            ("210204001", "2026-10-12", "2026-10-01"),
            ("210204002002001", "2026-10-25", "2026-10-26"),
        ]:
            add_task(conn, code, deadline, done)
        # The red households are due daily since September; a few visits in October.
        conn.execute(text("UPDATE household SET colour_since = '2026-09-01 00:00+08'"))
        conn.execute(
            text("""INSERT INTO visit (household_id, visited_at, recorded_at, outcome)
                             SELECT h.id, d, d, 'well' FROM household h,
                                    generate_series(timestamptz '2026-10-02 10:00+08',
                                                    '2026-10-11 10:00+08', '3 days') d
                             WHERE h.id IN (SELECT min(id) FROM household)""")
        )
    return ids


def _query(month, start, end):
    return f"month={month}" if month else f"from={start}&to={end}"


def _reference(engine, start, end, n, scope="", query=REFERENCE):
    with engine.connect() as conn:
        rows = conn.execute(
            query,
            {
                "from_ts": china(start, 0),
                "n": n,
                "scope": scope,
                "to_ts": china(end, 0) + __import__("datetime").timedelta(days=1),
            },
        )
        return {r["code"]: dict(r) for r in rows.mappings()}


def _ratio(num, den):
    return round(min(num / den, 1.0), 4) if den else None


@pytest.mark.parametrize("month,start,end", PERIODS)
@pytest.mark.parametrize(
    "user,level,area,n",
    [
        ("admin", "community", "", 12),
        ("street_sup", "community", "210204001", 12),
        ("district_sup", "grid", "210204", 15),
    ],
)
def test_indicators_match_the_reference(
    client, as_user, engine, data, month, start, end, user, level, area, n
):
    url = f"/api/assessment/scores?level={level}&{_query(month, start, end)}"
    resp = client.get(url + (f"&area={area}" if area else ""), headers=as_user(user))
    assert resp.status_code == 200, resp.get_json()
    got = {r["subject"]: r["items"] for r in resp.get_json()["results"]}
    want = _reference(engine, start, end, n, area)
    assert set(got) == set(want)
    for code, ref in want.items():
        items = got[code]
        assert items["case_closure"]["value"] == _ratio(ref["closed"], ref["registered"]), code
        assert items["case_on_time"]["value"] == _ratio(ref["on_time"], ref["closed"]), code
        assert items["case_rework"]["value"] == _ratio(ref["reworked"], ref["handled"]), code
        assert items["satisfaction"]["value"] == _ratio(ref["satisfied"], ref["answers"]), code
    for code, ref in _reference(engine, start, end, n, area, RESIDENTS).items():
        items = got[code]
        assert items["demand_on_time"]["value"] == _ratio(
            ref["demands_on_time"], ref["demands_due"]
        )
        assert items["topic_followup"]["value"] == _ratio(ref["tasks_done"], ref["tasks_due"])


def test_visit_completion_matches_the_visit_statistics(client, as_user, data):
    q = "from=2026-10-01&to=2026-10-31"
    board = client.get(f"/api/assessment/scores?level=community&{q}", headers=as_user("admin"))
    stats = client.get(
        f"/api/visits/stats?group=community&{q}", headers=as_user("admin")
    ).get_json()
    done, due = {}, {}
    for r in stats["rows"]:
        done[r["key"]] = done.get(r["key"], 0) + r["done"]
        due[r["key"]] = due.get(r["key"], 0) + r["expected"]
    for r in board.get_json()["results"]:
        item = r["items"]["visit_completion"]
        assert (item["numerator"], item["denominator"]) == (done[r["subject"]], due[r["subject"]])
        assert due[r["subject"]] > 0  # the tiny city's red households are due daily


def test_scores_weigh_and_grades_follow_the_quotas():
    weights = {"case_closure": 10, "case_rework": 10, "satisfaction": 40}
    # Rework counts against: 25% rework is 75 points. Indicators without data drop out.
    assert score({"case_closure": 0.5, "case_rework": 0.25, "satisfaction": None}, weights) == 62.5
    assert score({"case_closure": None}, weights) is None
    results = [{"subject": str(i), "score": s} for i, s in enumerate([90, 80, 80, 70, 60, None])]
    graded = rank_and_grade(results, {"A": 0.2, "B": 0.4, "C": 0.2})
    assert [(r["rank"], r["grade"]) for r in graded] == [
        (1, "A"),
        (2, "B"),
        (2, "B"),
        (4, "C"),
        (5, "D"),
        (None, None),
    ]


def test_the_drill_down_lists_the_records_behind_the_number(client, as_user, data):
    q = "level=community&subject=210204001001&month=2026-10"
    d = client.get(f"/api/assessment/drill?{q}&indicator=case_closure", headers=as_user("admin"))
    body = d.get_json()
    assert (body["numerator"], body["denominator"]) == (2, 3)
    assert {r["id"] for r in body["rows"]} == set(data[:3])
    s = client.get(
        f"/api/assessment/drill?{q}&indicator=satisfaction", headers=as_user("community_sup")
    ).get_json()
    assert (s["numerator"], s["denominator"]) == (1, 2)
    # The residents' comments only to those with a duty toward the households.
    wall = client.get(f"/api/assessment/drill?{q}&indicator=satisfaction", headers=as_user("wall"))
    assert all(r["comment"] is None for r in wall.get_json()["rows"])
    # A grid worker of another grid sees none of these cases.
    other = client.get(
        f"/api/assessment/drill?{q}&indicator=case_closure", headers=as_user("other_worker")
    ).get_json()
    assert other["rows"] == []
    assert client.get(f"/api/assessment/drill?{q}&indicator=case_closure").status_code == 403


def test_exports(client, as_user, data):
    q = "/api/assessment/scores?level=community&month=2026-10"
    csv = client.get(q + "&format=csv", headers=as_user("admin"))
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    lines = csv.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("排名,名称,编码,得分,等次") and len(lines) == 5
    xlsx = client.get(q + "&format=xlsx", headers=as_user("admin"))
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet.max_row == 5 and sheet.cell(1, 4).value == "得分"


@pytest.mark.parametrize(
    "url,user,status",
    [
        ("/api/assessment/scores?level=city&month=2026-10", "admin", 400),
        ("/api/assessment/scores?level=community&month=2026-13", "admin", 400),
        ("/api/assessment/scores?level=community&month=2026-10&format=pdf", "admin", 400),
        ("/api/assessment/scores?level=community&month=2026-10&area=210204002", "street_sup", 403),
        ("/api/assessment/scores?level=community&month=2026-10", None, 401),
        ("/api/assessment/drill?level=grid&subject=2102&indicator=case_closure", "admin", 400),
        ("/api/assessment/drill?level=grid&subject=210204001001001&indicator=x", "admin", 400),
        ("/api/assessment/trend?level=community&subject=210204002001", "street_sup", 404),
    ],
)
def test_bad_input_is_refused(client, as_user, url, user, status):
    resp = client.get(url, headers=as_user(user) if user else {})
    assert resp.status_code == status
    assert set(resp.get_json()) >= {"error", "message"}


def test_trend_is_month_by_month(client, as_user, data):
    t = client.get(
        "/api/assessment/trend?level=community&subject=210204002001&to=2026-10&months=3",
        headers=as_user("admin"),
    ).get_json()
    assert [m["month"] for m in t["months"]] == ["2026-08", "2026-09", "2026-10"]
    assert t["months"][1]["items"]["case_on_time"] == 0.0  # September's one case was late
    assert t["months"][2]["items"]["case_on_time"] == 1.0


def test_period_bounds_are_china_days():
    p = Period(__import__("datetime").date(2026, 10, 1), __import__("datetime").date(2026, 10, 31))
    assert p.from_ts.isoformat() == "2026-10-01T00:00:00+08:00"
    assert p.to_ts.isoformat() == "2026-11-01T00:00:00+08:00"


def test_workers_are_scored_on_their_areas_and_cases(client, as_user, engine, data):
    q = "month=2026-10"
    grids = {
        r["subject"]: r["items"]
        for r in client.get(
            f"/api/assessment/scores?level=grid&{q}", headers=as_user("admin")
        ).get_json()["results"]
    }
    workers = client.get(
        f"/api/assessment/scores?level=worker&{q}", headers=as_user("admin")
    ).get_json()
    with engine.connect() as conn:
        person = conn.execute(
            text("SELECT person_id FROM app_user WHERE username = 'grid_worker'")
        ).scalar()
    mine = next(r for r in workers["results"] if r["subject"] == str(person))
    assert mine["items"]["visit_completion"] == grids["210204001001001"]["visit_completion"]
    # Micro-grid information officers are not among the assessed workers.
    with engine.connect() as conn:
        officer = conn.execute(
            text("SELECT person_id FROM app_user WHERE username = 'info_officer'")
        ).scalar()
    assert str(officer) not in {r["subject"] for r in workers["results"]}


def test_the_wall_gets_community_scores(client, as_user, data):
    body = client.get(
        "/api/assessment/choropleth?month=2026-10", headers=as_user("wall")
    ).get_json()
    assert {a["code"] for a in body["areas"]} == {
        "210204001001",
        "210204001002",
        "210204002001",
        "210204002002",
    }
    assert sum(body["distribution"]["grades"].values()) == sum(
        a["grade"] is not None for a in body["areas"]
    )
    assert client.get("/api/assessment/choropleth").status_code == 401


def test_visit_records_only_to_those_with_a_duty(client, as_user, data):
    q = "month=2026-10&indicator=visit_completion"
    url = f"/api/assessment/drill?level=community&subject=210204001001&{q}"
    duty = client.get(url, headers=as_user("community_sup")).get_json()
    assert duty["rows"] and {r["colour"] for r in duty["rows"]} == {1}
    assert duty["by_colour"]["red"]["done"] == duty["numerator"] > 0
    # A street supervisor sees exact counts in their streets, but no household's visits.
    street = client.get(url, headers=as_user("street_sup")).get_json()
    assert street["rows"] == [] and street["by_colour"]["red"]["households"] == 4
    wall = client.get(url, headers=as_user("wall")).get_json()
    assert "rows" not in wall  # a household's colour is personal
    assert wall["by_colour"]["red"]["households"] == "<5"  # small numbers hidden
    assert (wall["numerator"], wall["denominator"]) == (duty["numerator"], duty["denominator"])
    grid = client.get(
        f"/api/assessment/drill?level=grid&subject=210204001001001&{q}", headers=as_user("wall")
    ).get_json()
    assert grid["by_colour"] == {} and "rows" not in grid  # no colours below the community

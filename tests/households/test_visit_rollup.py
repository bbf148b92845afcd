"""The visit rollup (sql/130_visit_rollup.sql) gives the same completion figures as the
straightforward reading of every visit and household (tests/visit_stats_reference*.sql,
the queries the figures came from before the rollup), for every group, several periods
and two jurisdictions, and keeps doing so after visits are logged, changed and deleted,
households change colour, move, lose their colour or go, and an outcome stops counting.

The data is random (with a fixed seed) on the tiny city: households of every colour
coloured at different times, visits of every outcome over five months of 2024-25 and
the last 40 days, several on some days, some without a position (flagged).
"""
from __future__ import annotations

import json
import random
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from gisapp.accounts.access import Viewer
from gisapp.cases.workhours import CHINA
from gisapp.households.visit_stats import GROUPS, _bounds, visit_stats
from gisapp.households.visits import china_today

HERE = Path(__file__).resolve().parents[1]      # the reference SQL stays in tests/
REFERENCE = {name: text((HERE / f"{name}.sql").read_text())
             for name in ("visit_stats_reference", "visit_stats_reference_worker")}
CITY = Viewer(1, "admin", "city_admin", None, None)
GRID_LEADER = Viewer(2, "leader", "grid_leader", None, ("210204001001001", "210204002"))
OUTCOMES = ["well", "well", "well", "needs_help", "urgent", "refused", "not_home"]
OLD_FROM, OLD_TO = datetime(2024, 11, 1, tzinfo=CHINA), datetime(2025, 4, 30, tzinfo=CHINA)


def _periods(today: date) -> list[tuple[date, date]]:
    return [(today, today), (today - timedelta(days=29), today), (today - timedelta(days=6), today),
            (today - timedelta(days=10), today + timedelta(days=5)),
            (today - timedelta(days=365), today),
            # month ends, where a '1 month' cadence moves by calendar months
            (date(2025, 2, 1), date(2025, 2, 28)), (date(2025, 3, 1), date(2025, 3, 31)),
            (date(2025, 1, 31), date(2025, 3, 1)), (date(2024, 12, 15), date(2024, 12, 15)),
            (date(2023, 1, 1), date(2023, 1, 31))]


def reference(conn, viewer: Viewer, group: str, start: date, end: date, today: date) -> list[dict]:
    """The figures as the straightforward queries compute them, finished like visit_stats."""
    params = {"prefix": "", "patterns": viewer.like_patterns(), **_bounds(start, end, today),
              "code_length": GROUPS[group],
              "completing": list(conn.execute(text("SELECT key FROM visit_outcome WHERE completes"))
                                 .scalars())}
    conn.execute(text("SET LOCAL jit = off"))
    name = "visit_stats_reference_worker" if group == "worker" else "visit_stats_reference"
    rows = conn.execute(REFERENCE[name], params).mappings().all()
    return [{"key": str(r["key"]), **{k: r[k] for k in
             ("colour", "households", "expected", "done", "visits", "flagged", "overdue")}}
            for r in rows]


def assert_same_figures(engine) -> None:
    today = china_today()
    with engine.connect() as conn:
        for viewer in (CITY, GRID_LEADER):
            for start, end in _periods(today):
                for group in GROUPS:
                    fast = visit_stats(conn, viewer, "", group, start, end, today)["rows"]
                    fast = [{k: r[k] for k in ("key", "households", "expected", "done", "visits",
                                               "flagged", "overdue")} | {"colour": r["colour"]}
                            for r in fast]
                    slow = reference(conn, viewer, group, start, end, today)
                    colours = conn.execute(text("SELECT colour, key FROM five_colour")).all()
                    slow = [r | {"colour": dict(colours)[r["colour"]]} for r in slow]
                    assert fast == slow, (viewer.role, group, start, end)
                    if group != "worker" and not viewer.citywide:    # keys overlap the jurisdiction
                        assert all(any(r["key"].startswith(p) or p.startswith(r["key"])
                                       for p in viewer.prefixes) for r in fast), r  # noqa: F821
            conn.rollback()


def assert_rollup_is_rebuilt_the_same(engine) -> None:
    """What the triggers kept equals the rollup built again from the visits."""
    cols = ("household_id, area_id, colour, since_day, last_visit_day, visit_days, "
            "visits_upto, flagged_upto")
    with engine.connect() as conn:
        kept = conn.execute(text(f"SELECT {cols} FROM household_visit_rollup "
                                 "ORDER BY household_id")).all()
        conn.execute(text("SELECT visit_rollup_rebuild()"))
        built = conn.execute(text(f"SELECT {cols} FROM household_visit_rollup "
                                  "ORDER BY household_id")).all()
        conn.rollback()
    # A household keeps its row once it had a colour or a visit; the rebuild drops those
    # with neither any more, which the figures never read.
    kept = [r for r in kept if r.colour is not None or r.visit_days]
    assert kept == built


def _add_households(conn, rng: random.Random, n: int) -> list[int]:
    ids = []
    for _ in range(n):
        lng, lat = rng.uniform(121.501, 121.599), rng.uniform(38.901, 38.999)
        since = OLD_FROM - timedelta(days=rng.randint(0, 60)) if rng.random() < 0.7 else \
            datetime.now(CHINA) - timedelta(days=rng.randint(0, 45), hours=rng.randint(0, 23))
        ids.append(conn.execute(text("""
            INSERT INTO household (unit, room, head_name, colour, tags, geom, area_id, colour_since)
            VALUES (1, '101', '测试户', :c, '{}', ST_SetSRID(ST_MakePoint(:x, :y), 4326),
                    locate_leaf(ST_SetSRID(ST_MakePoint(:x, :y), 4326)), :since)
            RETURNING id"""), {"c": rng.randint(1, 5), "x": lng, "y": lat,
                               "since": since}).scalar())
    return ids


def _visit_rows(rng: random.Random, homes: list[int], n: int, recent: bool) -> list[dict]:
    now = datetime.now(CHINA)
    rows = []
    for _ in range(n):
        if recent:
            at = now - timedelta(minutes=rng.randint(1, 40 * 24 * 60))
        else:
            at = OLD_FROM + (OLD_TO - OLD_FROM) * rng.random()
        rows.append({"h": rng.choice(homes), "at": at, "o": rng.choice(OUTCOMES),
                     "near": rng.random() < 0.9})
    return rows


def _insert_visits(conn, rows: list[dict]) -> None:
    """One statement for all the rows (the bulk path), as the demo history does."""
    conn.execute(text("""
        INSERT INTO visit (household_id, visited_at, recorded_at, outcome, geom)
        SELECT r.h, r.at, greatest(r.at, now()), r.o, CASE WHEN r.near THEN h.geom END
        FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r (h bigint, at timestamptz, o text, """
                      """near boolean)
        JOIN household h ON h.id = r.h"""),
        {"rows": json.dumps(rows, default=str)})


def _as_actor(conn) -> None:
    conn.execute(text("SELECT set_config('gisapp.actor', 'test', true), "
                      "set_config('gisapp.colour_reason', '测试', true)"))


@pytest.fixture(scope="module")
def city(engine):
    rng = random.Random(7)
    with engine.begin() as conn:
        homes = _add_households(conn, rng, 40)
        homes += list(conn.execute(text("SELECT id FROM household WHERE colour IS NOT NULL "
                                        "AND id <> ALL(:h)"), {"h": homes}).scalars())
        _insert_visits(conn, _visit_rows(rng, homes, 500, recent=False))
        _insert_visits(conn, _visit_rows(rng, homes, 300, recent=True))
    return {"rng": rng, "homes": homes}


def test_figures_match_the_straightforward_reading(engine, city):
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM visit")).scalar() >= 700
        assert conn.execute(text("SELECT count(*) FROM visit WHERE needs_review")).scalar() > 0
    assert_rollup_is_rebuilt_the_same(engine)
    assert_same_figures(engine)


def test_after_visits_are_logged_one_by_one_and_in_bulk(engine, city, client, as_user):
    rng, homes = city["rng"], city["homes"]
    with engine.begin() as conn:
        for row in _visit_rows(rng, homes, 20, recent=True):
            _insert_visits(conn, [row])
        _insert_visits(conn, _visit_rows(rng, homes, 60, recent=True))
    # And through the API, as a field worker logs one from the phone.
    due = client.get("/api/visits/due", headers=as_user("community_sup")).get_json()["visits"]
    hid = due[0]["id"]
    r = client.post("/api/visits", headers=as_user("community_sup"),
                    json={"household_id": hid, "outcome": "well", "client_id": "rollup-test-0001"})
    assert r.status_code == 201, r.get_json()
    assert_rollup_is_rebuilt_the_same(engine)
    assert_same_figures(engine)


def test_after_colour_changes_and_moves(engine, city):
    rng, homes = city["rng"], city["homes"]
    with engine.begin() as conn:
        _as_actor(conn)
        for hid in rng.sample(homes, 8):            # colour changes (colour_since moves to now)
            conn.execute(text(
                "UPDATE household SET colour = :c WHERE id = :h AND colour IS DISTINCT FROM :c"),
                         {"c": rng.randint(1, 5), "h": hid})
        for hid in rng.sample(homes, 6):            # moves to another leaf area
            lng, lat = rng.uniform(121.501, 121.599), rng.uniform(38.901, 38.999)
            conn.execute(text("""UPDATE household SET geom = ST_SetSRID(ST_MakePoint(:x, :y), 4326),
                                     area_id = locate_leaf(ST_SetSRID(ST_MakePoint(:x, :y), 4326))
                                 WHERE id = :h"""), {"x": lng, "y": lat, "h": hid})
        # colour_since moved back by hand, as the demo history does
        conn.execute(text("UPDATE household SET colour_since = colour_since - interval '50 days' "
                          "WHERE id = ANY(:h)"), {"h": rng.sample(homes, 5)})
    assert_rollup_is_rebuilt_the_same(engine)
    assert_same_figures(engine)


def test_after_colour_is_removed_given_and_households_deleted(engine, city):
    rng, homes = city["rng"], city["homes"]
    gone, plain = rng.sample(homes, 2)
    with engine.begin() as conn:
        _as_actor(conn)
        conn.execute(text("UPDATE household SET colour = NULL WHERE id = :h"), {"h": plain})
        conn.execute(text("DELETE FROM visit WHERE household_id = :h"), {"h": gone})
        conn.execute(text("DELETE FROM household_colour_change WHERE household_id = :h"),
                     {"h": gone})
        conn.execute(text("DELETE FROM household WHERE id = :h"), {"h": gone})
        homes.remove(gone)
    assert_same_figures(engine)
    with engine.begin() as conn:
        _insert_visits(conn, _visit_rows(rng, [plain], 5, recent=True))   # visited while plain
    with engine.begin() as conn:
        _as_actor(conn)
        conn.execute(text("UPDATE household SET colour = 2 WHERE id = :h"), {"h": plain})
    assert_rollup_is_rebuilt_the_same(engine)
    assert_same_figures(engine)


def test_after_visits_are_changed_and_deleted(engine, city):
    rng = city["rng"]
    with engine.begin() as conn:
        ids = list(conn.execute(text("SELECT id FROM visit ORDER BY id")).scalars())
        for vid in rng.sample(ids, 10):
            conn.execute(text("UPDATE visit SET outcome = :o WHERE id = :v"),
                         {"o": rng.choice(OUTCOMES), "v": vid})
        for vid in rng.sample(ids, 10):
            conn.execute(text(
                "UPDATE visit SET visited_at = visited_at - interval '3 days' WHERE id = :v"),
                         {"v": vid})
        conn.execute(text("UPDATE visit SET geom = NULL WHERE id = ANY(:v)"),
                     {"v": rng.sample(ids, 10)})
        conn.execute(text("UPDATE visit SET household_id = :h WHERE id = ANY(:v)"),
                     {"h": rng.choice(city["homes"]), "v": rng.sample(ids, 5)})
        conn.execute(text("UPDATE visit SET note = 'x' WHERE id = ANY(:v)"),
                     {"v": rng.sample(ids, 20)})
        conn.execute(text("DELETE FROM visit WHERE id = ANY(:v)"), {"v": rng.sample(ids, 40)})
    assert_rollup_is_rebuilt_the_same(engine)
    assert_same_figures(engine)


def test_after_an_outcome_stops_completing(engine, city):
    with engine.begin() as conn:
        conn.execute(text("UPDATE visit_outcome SET completes = false WHERE key = 'refused'"))
    assert_rollup_is_rebuilt_the_same(engine)
    assert_same_figures(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE visit_outcome SET completes = true WHERE key = 'refused'"))
    assert_rollup_is_rebuilt_the_same(engine)


def test_with_nested_disjoint_and_ended_duties(engine, city):
    """A person owning one colour through several duties counts each household once:
    a grid leader also made leader of the grid's community (nested), of a grid in another
    street (disjoint), and of a third grid until before every period (ended)."""
    with engine.begin() as conn:
        orange = conn.execute(text("""
            INSERT INTO household (unit, room, head_name, colour, tags, geom, area_id)
            VALUES (1, '102', '测试户', 2, '{}', ST_SetSRID(ST_MakePoint(121.5125, 38.9875), 4326),
                    locate_leaf(ST_SetSRID(ST_MakePoint(121.5125, 38.9875), 4326)))
            RETURNING id""")).scalar()
        _insert_visits(conn, [{"h": orange, "at": datetime.now(CHINA) - timedelta(days=2),
                               "o": "well", "near": True}])
        leader = conn.execute(text("""SELECT d.person_id FROM duty d JOIN area a ON a.id = d.area_id
                                      WHERE d.role = 'grid_leader' AND a.code = '210204001001001'
                                      ORDER BY d.id LIMIT 1""")).scalar()
        for code, starts, ends in (("210204001001", "2022-01-01", None),
                                   ("210204002002002", "2022-01-01", None),
                                   ("210204001002001", "2022-01-01", "2022-06-30")):
            conn.execute(text("""INSERT INTO duty (person_id, area_id, role, starts_on, ends_on)
                                 SELECT :p, id, 'grid_leader', :s, :e FROM area WHERE code = :c"""),
                         {"p": leader, "c": code, "s": starts, "e": ends})
    assert_same_figures(engine)
    with engine.connect() as conn:
        rows = visit_stats(conn, CITY, "", "worker", china_today() - timedelta(days=29),
                           china_today(), china_today())["rows"]
    mine = [r for r in rows if r["key"] == str(leader) and r["colour"] == "orange"]
    assert mine and mine[0]["households"] >= 1 and mine[0]["visits"] >= 1

"""A worker whose duties overlap (a grid, and the community around it) is scored on the
households of the union of their areas: each household's visits count once, not once per
duty that covers it."""
from __future__ import annotations

from sqlalchemy import text

from .test_indicators import data  # noqa: F401  (the module's cases, visits and answers)

Q = "month=2026-10"


def items(client, as_user, level):
    body = client.get(f"/api/assessment/scores?level={level}&{Q}",
                      headers=as_user("admin")).get_json()
    return {r["subject"]: r for r in body["results"]}


def test_a_second_duty_around_the_first_does_not_count_twice(client, as_user, engine,
                                                               data):  # noqa: F811
    with engine.begin() as conn:
        person = conn.execute(text(
            "SELECT person_id FROM app_user WHERE username = 'grid_worker'")).scalar()
        conn.execute(text("""
            INSERT INTO duty (person_id, area_id, role, starts_on)
            SELECT :p, id, 'grid_worker', DATE '2026-01-01' FROM area
            WHERE code = '210204001001'"""), {"p": person})
    worker = items(client, as_user, "worker")[str(person)]
    community = items(client, as_user, "community")["210204001001"]
    assert worker["area_code"] == "210204001001001"           # the narrowest, as before
    mine = worker["items"]["visit_completion"]
    theirs = community["items"]["visit_completion"]
    assert (mine["numerator"], mine["denominator"]) == (theirs["numerator"],
                                                          theirs["denominator"])


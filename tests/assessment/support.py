"""Test data for the assessment: cases in given states and days, and satisfaction answers,
written straight into the tiny city (the case workflow has tests of its own)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import text

from gisapp.cases.workhours import CHINA

# One point in each community of the tiny city (north-west micro-grid of each).
COMMUNITY_POINTS = {
    "210204001001": (121.51, 38.99),
    "210204001002": (121.51, 38.94),
    "210204002001": (121.56, 38.99),
    "210204002002": (121.56, 38.94),
}

_CASE = text("""
    INSERT INTO case_file (kind, category, description, reporter_kind, geom, reported_at,
                           area_id, area_code, state, dispatched_at, deadline_at, handled_at,
                           closed_at, rework_count, assignee_person_id, cancel_reason)
    SELECT 'incident', 'rubbish', 'test', 'public', ST_SetSRID(ST_MakePoint(:x, :y), 4326), :t,
           a.id, a.code, :state, :t, :t + interval '2 days', :handled, :closed, :rework, :person,
           CASE WHEN :state = 'cancelled' THEN 'test' END
    FROM area a WHERE a.id = locate_leaf(ST_SetSRID(ST_MakePoint(:x, :y), 4326), :t)
    RETURNING id, area_code""")


def china(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=CHINA)


def add_case(
    conn,
    community: str,
    day: str,
    state: str,
    late: bool = False,
    rework: int = 0,
    person: int | None = None,
) -> dict:
    x, y = COMMUNITY_POINTS[community]
    t = china(day)
    handled = (
        t + timedelta(days=3 if late else 1)
        if state in ("handled", "verified", "closed", "evaluated")
        else None
    )
    closed = handled + timedelta(hours=2) if state in ("closed", "evaluated") else None
    row = (
        conn.execute(
            _CASE,
            {
                "x": x,
                "y": y,
                "t": t,
                "state": state,
                "handled": handled,
                "closed": closed,
                "rework": rework,
                "person": person,
            },
        )
        .mappings()
        .one()
    )
    return dict(row)


def add_answer(conn, case_id: int, score: int, day: str) -> None:
    conn.execute(
        text("""INSERT INTO satisfaction (source, case_id, area_code, person_id, score, at)
                         SELECT 'case', id, area_code, assignee_person_id, :s, :t FROM case_file
                         WHERE id = :id"""),
        {"id": case_id, "s": score, "t": china(day, 12)},
    )


_DEMAND = text("""
    INSERT INTO demand (receipt, category, body, geom, area_id, area_code, source, state,
                        answer, created_at, deadline_at, closed_at)
    SELECT upper(left(md5(random()::text), 10)), 'other', 'test', ST_Centroid(v.geom), a.id, a.code,
           'staff', CASE WHEN :closed IS NULL THEN 'open' ELSE 'answered' END,
           CASE WHEN :closed IS NULL THEN NULL ELSE '已答复' END, :deadline - interval '10 days',
           :deadline, :closed
    FROM area a JOIN area_version v ON v.area_id = a.id AND v.valid_to IS NULL
    WHERE a.code = :code""")

_TOPIC = text("""
    INSERT INTO topic (level, area_id, area_code, title, public_token, geom)
    SELECT :level, a.id, a.code, '加装电梯', md5(random()::text), ST_Centroid(v.geom)
    FROM area a JOIN area_version v ON v.area_id = a.id AND v.valid_to IS NULL
    WHERE a.code = :code RETURNING id""")


def add_demand(conn, code: str, deadline: str, closed: str | None) -> None:
    conn.execute(
        _DEMAND,
        {"code": code, "deadline": china(deadline), "closed": china(closed) if closed else None},
    )


def add_task(conn, code: str, deadline: str, done: str | None, person: int | None = None) -> None:
    level = {9: "street", 12: "community"}.get(len(code), "courtyard")
    topic = conn.execute(_TOPIC, {"code": code, "level": level}).scalar()
    conn.execute(
        text("""INSERT INTO topic_task (topic_id, title, owner_person_id, owner_name,
                                                 deadline_at, done_at)
                         VALUES (:t, '落实', :p, '负责人', :d, :done)"""),
        {"t": topic, "p": person, "d": china(deadline), "done": china(done) if done else None},
    )

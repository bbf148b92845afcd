"""Helpers shared by the demands tests: raising one, counting what was written."""
from __future__ import annotations

import itertools

from sqlalchemy import text

NW = (121.5125, 38.9875)          # centre of micro-grid 210204001001001001 (tiny city)
SE = (121.5875, 38.9125)          # centre of micro-grid 210204002002002002
NW_COMMUNITY = "210204001001"
_seq = itertools.count(1)


def raise_one(client, headers=None, point=NW, body=None, category="parking", **extra):
    """Raise a demand through the API; the JSON answer (asserting 201)."""
    n = next(_seq)
    r = client.post("/api/demands", headers=headers or {}, json={
        "category": category, "body": body or f"第{n}号诉求：希望增设路灯照明，晚上太黑 {n}",
        "location": {"lng": point[0], "lat": point[1]}, **extra})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def demand_id(engine, receipt: str) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT id FROM demand WHERE receipt = :r"),
                            {"r": receipt}).scalar()


def written(engine) -> tuple[int, int, int]:
    """(demands, demand events, cases): what a refused request must leave unchanged."""
    with engine.connect() as conn:
        return tuple(conn.execute(text(
            "SELECT (SELECT count(*) FROM demand), (SELECT count(*) FROM demand_event), "
            "(SELECT count(*) FROM case_file)")).one())

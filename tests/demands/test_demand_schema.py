"""The demand tables hold what the database can check (sql/210_demands.sql)."""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

_INSERT = text("""
    INSERT INTO demand (receipt, category, body, geom, source, state, deadline_at, closed_at)
    VALUES (:r, 'parking', '小区停车难', ST_SetSRID(ST_MakePoint(121.51, 38.99), 4326),
            'public', :s, now() + interval '15 days', :closed)""")


def test_categories_are_listed(client):
    resp = client.get("/api/demand-categories")
    assert resp.status_code == 200
    keys = [c["key"] for c in resp.get_json()["categories"]]
    assert "parking" in keys and "other" in keys


def test_open_demand_is_stored(engine):
    with engine.begin() as conn:
        conn.execute(_INSERT, {"r": "ABCDEFGH12", "s": "open", "closed": None})


@pytest.mark.parametrize("receipt,state,closed", [
    ("short", "open", None),                         # receipt format
    ("ABCDEFGH13", "case", "2026-01-01"),            # a case needs its case id
    ("ABCDEFGH14", "answered", "2026-01-01"),        # answered needs the answer
    ("ABCDEFGH15", "open", "2026-01-01"),            # open is never closed
    ("ABCDEFGH16", "gone", "2026-01-01"),            # unknown state
])
def test_schema_refuses(engine, receipt, state, closed):
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(_INSERT, {"r": receipt, "s": state, "closed": closed})

"""The demo demands: plausible, consistent with the rules (groups, deadlines, ends, events)."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import text

from gisapp.demands.demo import add_demo_demands


def test_demo_demands_follow_the_rules(app, engine):
    now = datetime.now(timezone.utc)
    with app.app_context(), engine.begin() as conn:
        before = conn.execute(text("SELECT count(*) FROM demand")).scalar()
        added = add_demo_demands(conn, 7, now)
    with engine.connect() as conn:
        rows = conn.execute(text("""
            SELECT d.id, d.state, d.group_id, g.category = d.category AS same_category,
                   left(g.area_code, 12) = left(d.area_code, 12) AS same_community,
                   d.created_at - g.created_at AS after_root,
                   d.deadline_at - d.created_at AS allowed,
                   (SELECT count(*) FROM demand_event e WHERE e.demand_id = d.id) AS events
            FROM demand d JOIN demand g ON g.id = d.group_id
            WHERE d.id > (SELECT coalesce(max(id), 0) FROM demand) - :n"""),
                            {"n": added}).mappings().all()
        assert conn.execute(text("SELECT count(*) FROM demand")).scalar() == before + added
    assert added > 0 and len(rows) == added
    assert all(r["same_category"] and r["same_community"] for r in rows)
    assert all(0 <= r["after_root"].days <= 90 for r in rows)
    assert all(r["allowed"].days == 15 for r in rows)
    assert all(r["events"] == (1 if r["state"] == "open" else 2) for r in rows)
    assert {r["state"] for r in rows} >= {"open", "answered"}

"""The demo topics: made through the real steps, at every step and level, in the demo
users' community; a second run adds nothing."""

from __future__ import annotations

from sqlalchemy import text

from gisapp.consultation.demo import add_demo_topics
from gisapp.demo.users import create_demo_users

from .support import add_building


def test_demo_topics_cover_every_step_and_level(engine, tmp_path):
    add_building(engine)
    with engine.begin() as conn:
        create_demo_users(conn)
        made = add_demo_topics(conn, tmp_path)
        again = add_demo_topics(conn, tmp_path)
    assert made >= 7 and again == 0
    with engine.connect() as conn:
        steps = set(conn.execute(text("SELECT step FROM topic")).scalars())
        levels = set(conn.execute(text("SELECT level FROM topic")).scalars())
        states = set(conn.execute(text("SELECT state FROM topic")).scalars())
        # Every step taken is logged once, and the log agrees with the step reached.
        bad = conn.execute(
            text("""
            SELECT t.id FROM topic t
            WHERE (SELECT count(*) FROM topic_step s WHERE s.topic_id = t.id AND s.action = 'step')
                  <> t.step""")
        ).all()
        tasks = conn.execute(text("SELECT count(*) FROM topic_task")).scalar()
    assert steps == {1, 2, 3, 4, 5, 6}
    assert levels == {"street", "community", "courtyard", "building"}
    assert states == {"open", "reported", "dropped"}
    assert not bad and tasks >= 4

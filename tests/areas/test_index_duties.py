"""The lookup index re-reads only the duties of areas whose duties changed (duty_change)."""
from __future__ import annotations

from sqlalchemy import text

from gisapp.areas import spatial_index
from gisapp.areas.spatial_index import _load_duties, index

LEAF = "210204001001001001"


def test_a_new_duty_reaches_the_index_and_nothing_else_is_reread(app, engine, as_user, client):
    with engine.begin() as conn:        # the tiny city's own duties were logged moments ago
        conn.execute(text("DELETE FROM duty_change"))
    with app.app_context():
        before = index().snapshot()
        with engine.begin() as conn:
            person = conn.execute(text("INSERT INTO person (name, phone) VALUES ('新来的网格员', "
                                       "'13712345678') RETURNING id")).scalar()
            conn.execute(text("""INSERT INTO duty (person_id, area_id, role, starts_on)
                VALUES (:p, (SELECT id FROM area """
                              """WHERE code = :c), 'info_officer', current_date)"""),
                         {"p": person, "c": LEAF})
        assert index().refresh()
        after = index().snapshot()
        leaf_id = next(a.id for a in after.areas.values() if a.code == LEAF)
        assert "新来的网格员" in [d["name"] for d in after.duties[leaf_id]]
        # Areas whose duties did not change keep the very same lists (not re-read).
        untouched = [a for a in before.duties if a != leaf_id]
        assert untouched and all(after.duties[a] is before.duties[a] for a in untouched)
        resp = client.get("/api/locate?lng=121.51&lat=38.99", headers=as_user("admin")).get_json()
        names = [d["name"] for d in resp["areas"]["microgrid"]["on_duty"]]
        assert "新来的网格员" in names


def test_renames_and_removals_follow_and_match_a_full_reload(app, engine):
    with app.app_context():
        index().snapshot()
        with engine.begin() as conn:
            conn.execute(text("UPDATE person SET name = '改名的员工' WHERE name = '新来的网格员'"))
        index().refresh()
        with engine.begin() as conn:
            conn.execute(text("""DELETE FROM duty WHERE person_id =
                (SELECT id FROM person WHERE name = '改名的员工')"""))
            conn.execute(text("UPDATE person SET phone = '13800001111' "
                              "WHERE id = (SELECT min(id) FROM person)"))
        index().refresh()
        snap = index().snapshot()
        with engine.connect() as conn:
            full = _load_duties(conn)
        assert {k: v for k, v in snap.duties.items() if v} == {k: v for k, v in full.items() if v}
        assert not any(d["name"] == "改名的员工" for ds in snap.duties.values() for d in ds)


def test_only_changed_areas_are_reread(app, engine, monkeypatch):
    """A renamed area and a new boundary version reach the index without reading the city."""
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM area_change"))
    with app.app_context():
        before = index().snapshot()

        def whole_city(*args):
            raise AssertionError("read every area for a change of two")
        monkeypatch.setattr(spatial_index, "_read_areas", whole_city)
        with engine.begin() as conn:
            conn.execute(text("UPDATE area SET name = '改名网格' WHERE code = '210204001001002'"))
            conn.execute(text("""
                WITH old AS (UPDATE area_version SET valid_to = now()
                             WHERE id = (SELECT version_id FROM area_current WHERE code = :c)
                             RETURNING area_id, version, geom)
                INSERT INTO area_version (area_id, version, geom, author, reason)
                SELECT area_id, version + 1, geom, 'test', 'same shape, new version' FROM old"""),
                {"c": LEAF})
        assert index().refresh()
        after = index().snapshot()
        by_code = {a.code: a for a in after.areas.values()}
        assert by_code["210204001001002"].name == "改名网格"
        assert by_code[LEAF].version_id != next(a for a in before.areas.values()
                                                 if a.code == LEAF).version_id
        same = [i for i, a in before.areas.items()
                if a.code not in ("210204001001002", LEAF)]
        assert same and all(after.areas[i] is before.areas[i] for i in same)
        assert list(after.leaf_ids) == list(before.leaf_ids)

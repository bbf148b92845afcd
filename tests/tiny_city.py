"""A tiny hand-drawn city whose answers are obvious from the coordinates (MapIt style).

District 210204 is the box 121.50..121.60 E, 38.90..39.00 N. Each level halves its
parent: streets split west/east at 121.55; communities split north/south at the
middle of their street; grids split west/east; micro-grids split north/south.
So the point (121.51, 38.99) is in the north-west corner of everything:
micro-grid 210204001001001001.
"""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine

DISTRICT = ("210204", "沙河口区", (121.50, 38.90, 121.60, 39.00))
NAMES = {2: "街道", 3: "社区", 4: "网格", 5: "微网格"}


def halves(box, level):
    """Split a box in two: west/east on even levels, north/south on odd levels (north first)."""
    x0, y0, x1, y1 = box
    if level % 2 == 0:
        xm = round((x0 + x1) / 2, 6)
        return [(x0, y0, xm, y1), (xm, y0, x1, y1)]
    ym = round((y0 + y1) / 2, 6)
    return [(x0, ym, x1, y1), (x0, y0, x1, ym)]


def tiny_areas():
    """(code, level, parent code, name, box) for every area, parents first."""
    code, name, box = DISTRICT
    out, frontier = [(code, 1, None, name, box)], [(code, box)]
    for level in range(2, 6):
        nxt = []
        for parent, pbox in frontier:
            for i, child in enumerate(halves(pbox, level), start=1):
                ccode = f"{parent}{i:03d}"
                out.append((ccode, level, parent, f"测试{NAMES[level]}{ccode[-5:]}", child))
                nxt.append((ccode, child))
        frontier = nxt
    return out


def load_tiny_city(engine: Engine) -> None:
    """Insert the tiny city, one household per micro-grid centre and a duty per area."""
    with engine.begin() as conn:
        for code, level, parent, name, box in tiny_areas():
            area_id = conn.execute(text("""
                INSERT INTO area (code, level, parent_id, name, office_name, office_phone)
                VALUES (:code, :level, (SELECT id FROM area WHERE code = :parent), :name,
                        :name || '办公室', '0411-8000' || right(:code, 4))
                RETURNING id"""), {"code": code, "level": level, "parent": parent,
                                   "name": name}).scalar()
            conn.execute(text("""
                INSERT INTO area_version (area_id, version, geom, valid_from, author, reason)
                VALUES (:id, 1, ST_Multi(ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)),
                        '2022-01-01 00:00+08', 'test', 'tiny city')"""),
                {"id": area_id, "x0": box[0], "y0": box[1], "x1": box[2], "y1": box[3]})
            _add_staff(conn, area_id, code, level)
            if level == 5:
                _add_household(conn, area_id, box)
        conn.execute(text("SELECT refresh_area_counts()"))


ROLE_BY_LEVEL = {1: "district_supervisor", 2: "street_secretary", 3: "community_secretary",
                 4: "grid_worker", 5: "info_officer"}


def _add_staff(conn, area_id: int, code: str, level: int) -> None:
    person = conn.execute(text(
        "INSERT INTO person (name, phone) VALUES (:n, :p) RETURNING id"),
        {"n": f"员工{code[-6:]}", "p": f"139{int(code[-8:]) % 10**8:08d}"}).scalar()
    conn.execute(text("INSERT INTO duty (person_id, area_id, role, starts_on) "
                      "VALUES (:p, :a, :r, '2022-01-01')"),
                 {"p": person, "a": area_id, "r": ROLE_BY_LEVEL[level]})


def _add_household(conn, area_id: int, box) -> None:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    conn.execute(text("""
        INSERT INTO household (unit, room, head_name, phone, members, colour, tags, geom, area_id)
        VALUES (1, '101', '住户', '13800000000', 2, 1, ARRAY['独居老人'],
                ST_SetSRID(ST_MakePoint(:x, :y), 4326), :a)"""), {"x": cx, "y": cy, "a": area_id})


# One user per role. Field roles hold a duty in the north-west corner of the city;
# the "other_worker" is a grid worker of a different grid (the east half).
TINY_USERS = {
    # username: (role, area code of the duty or None for citywide roles, staff role)
    "admin": ("city_admin", None, None),
    "wall": ("wall_viewer", None, None),
    "district_sup": ("district_supervisor", "210204", "district_supervisor"),
    "street_sup": ("street_supervisor", "210204001", "street_secretary"),
    "community_sup": ("community_supervisor", "210204001001", "community_secretary"),
    "grid_leader": ("grid_leader", "210204001001001", "grid_leader"),
    "grid_worker": ("grid_worker", "210204001001001", "grid_worker"),
    "info_officer": ("info_officer", "210204001001001001", "info_officer"),
    "volunteer": ("volunteer", "210204001001001001", "building_head"),
    "other_worker": ("grid_worker", "210204002002002", "grid_worker"),
}
PASSWORD = "correct-horse-42"


def load_tiny_users(engine: Engine) -> None:
    """Create the users of TINY_USERS, each linked to a person with the duty given."""
    from gisapp.accounts.auth import hash_password
    pw_hash = hash_password(PASSWORD)
    with engine.begin() as conn:
        for username, (role, code, staff_role) in TINY_USERS.items():
            person = None
            if code:
                person = conn.execute(text("INSERT INTO person (name, phone) "
                                           "VALUES (:n, '13900000000') "
                                           "RETURNING id"), {"n": f"用户{username}"}).scalar()
                conn.execute(text("""INSERT INTO duty (person_id, area_id, role, starts_on)
                    VALUES (:p, (SELECT id FROM area WHERE code = :c), :r, '2022-01-01')"""),
                    {"p": person, "c": code, "r": staff_role})
            conn.execute(text("""INSERT INTO app_user (username, display_name, password_hash, """
                              """role, person_id)
                                 VALUES (:u, :u, :h, :r, :p)"""),
                         {"u": username, "h": pw_hash, "r": role, "p": person})


# A few roads along the tiny city's boundaries (as the demo draws them) and a lake, for
# the base map's tests: 中山路 on the street boundary, 黄河路 on the west street's community
# boundary, 西安路 on the grid boundary of its northern community.
TINY_ROADS = (
    ("中山路", "主干路", ((121.55, 38.90), (121.55, 39.00))),
    ("黄河路", "次干路", ((121.50, 38.95), (121.55, 38.95))),
    ("西安路", "支路", ((121.525, 38.95), (121.525, 39.00))),
)
TINY_LAKE = ("星海湖", (121.565, 38.93, 121.585, 38.94))


def load_tiny_roads(engine: Engine) -> None:
    """Insert TINY_ROADS and TINY_LAKE (not part of the template: only tests that ask)."""
    with engine.begin() as conn:
        for name, cls, coords in TINY_ROADS:
            conn.execute(text("INSERT INTO road (name, class, source, geom) VALUES "
                              "(:n, :c, 'test', ST_GeomFromText(:g, 4326))"),
                         {"n": name, "c": cls, "g": "LINESTRING(%s)" % ", ".join(
                             f"{x} {y}" for x, y in coords)})
        name, (x0, y0, x1, y1) = TINY_LAKE
        conn.execute(text("INSERT INTO water (name, kind, source, geom) VALUES "
                          "(:n, 'lake', 'test', "
                          "ST_Multi(ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)))"),
                     {"n": name, "x0": x0, "y0": y0, "x1": x1, "y1": y1})

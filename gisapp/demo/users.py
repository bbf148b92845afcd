"""Demo accounts: one user per role, linked to staff of the first community, new passwords."""
from __future__ import annotations

import secrets

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ..accounts.auth import add_user

# username -> (app role, staff role whose duty links the user, area level of that duty)
DEMO_USERS = {
    "demo.admin": ("city_admin", None, None),
    "demo.wall": ("wall_viewer", None, None),
    "demo.district": ("district_supervisor", "district_supervisor", 1),
    "demo.street": ("street_supervisor", "street_secretary", 2),
    "demo.community": ("community_supervisor", "community_secretary", 3),
    "demo.gridleader": ("grid_leader", "grid_leader", 4),
    "demo.gridworker": ("grid_worker", "grid_worker", 4),
    "demo.infoofficer": ("info_officer", "info_officer", 5),
    "demo.volunteer": ("volunteer", "building_head", 5),
}

_FIND_DUTY = text("""
    SELECT d.person_id, a.code FROM duty d JOIN area a ON a.id = d.area_id
    WHERE d.role = :role AND a.level = :level AND a.code LIKE :prefix || '%'
    ORDER BY a.code, d.id LIMIT 1
""")
_FIRST_AREA = text("SELECT id, code FROM area_current WHERE level = :level AND code LIKE :prefix || '%' "
                   "ORDER BY code LIMIT 1")


def create_demo_users(conn: Connection) -> list[dict]:
    """Create the demo users (skipping existing ones); returns name, role, area, password."""
    first_microgrid = conn.execute(_FIRST_AREA, {"level": 5, "prefix": ""}).first()
    anchor = first_microgrid.code if first_microgrid else ""
    created = []
    for username, (role, staff_role, level) in DEMO_USERS.items():
        if conn.execute(text("SELECT 1 FROM app_user WHERE username = :u"), {"u": username}).first():
            continue
        person, code = _person_for(conn, staff_role, level, anchor) if staff_role else (None, None)
        password = secrets.token_urlsafe(9)
        add_user(conn, username, password, role, person_id=person)
        created.append({"username": username, "role": role, "area": code, "password": password})
    return created


def _person_for(conn: Connection, staff_role: str, level: int, anchor: str) -> tuple[int, str]:
    """A person holding `staff_role` on the anchor's ancestor at `level`, created if none."""
    prefix = anchor[: 6 + 3 * (level - 1)]
    row = conn.execute(_FIND_DUTY, {"role": staff_role, "level": level, "prefix": prefix}).first()
    if row:
        return row.person_id, row.code
    area = conn.execute(_FIRST_AREA, {"level": level, "prefix": prefix}).first()
    person = conn.execute(text("INSERT INTO person (name, phone) VALUES ('演示用户', NULL) RETURNING id")).scalar()
    conn.execute(text("INSERT INTO duty (person_id, area_id, role) VALUES (:p, :a, :r)"),
                 {"p": person, "a": area.id, "r": staff_role})
    return person, area.code

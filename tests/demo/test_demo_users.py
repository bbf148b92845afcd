"""Demo users: one per role, linked to real duties, passwords shown once and stored hashed."""
from __future__ import annotations

from sqlalchemy import text

from gisapp.demo.users import DEMO_USERS, create_demo_users


def test_demo_users_one_per_role(engine, client):
    with engine.begin() as conn:
        created = create_demo_users(conn)
        again = create_demo_users(conn)
    assert {u["role"] for u in created} == {r for r, _, _ in DEMO_USERS.values()}
    assert again == []                                  # existing users are left alone
    worker = next(u for u in created if u["role"] == "grid_worker")
    assert len(worker["area"]) == 15                   # linked to a grid duty
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT password_hash FROM app_user WHERE username = :u"),
                              {"u": worker["username"]}).scalar()
    assert worker["password"] not in stored
    # The password works, and the jurisdiction is the grid.
    import re
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    resp = client.post("/login", data={"username": worker["username"],
                                       "password": worker["password"], "csrf_token": token})
    assert resp.status_code == 303
    assert client.get("/api/me").get_json()["jurisdiction"] == [worker["area"]]


def test_demo_cases_fill_every_district(runner, engine):
    result = runner.invoke(args=["demo-cases", "--per-district", "12"])
    assert result.exit_code == 0, result.output
    with engine.connect() as conn:
        rows = conn.execute(text("""SELECT count(*) AS n, """
                                 """count(*) FILTER (WHERE area_code IS NULL) AS lost,
                                           count(DISTINCT state) AS states
                                    FROM case_file WHERE description LIKE '示范案件%'""")).first()
        inside = conn.execute(text("""SELECT bool_and(ST_Covers(a.geom, c.geom) OR
                                                      ST_DWithin(a.geom::geography, """
                                   """c.geom::geography, 30))
                                      FROM case_file c JOIN area_current a ON a.id = c.area_id
                                      WHERE c.description LIKE '示范案件%'""")).scalar()
    # The tiny city has one household per micro-grid (16), so 12 cases fit.
    assert rows.n == 12 and rows.lost == 0 and inside

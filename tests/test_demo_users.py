"""Demo users: one per role, linked to real duties, passwords shown once and stored hashed."""
from __future__ import annotations

from sqlalchemy import text

from gisapp.demo_users import DEMO_USERS, create_demo_users


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
    resp = client.post("/login", data={"username": worker["username"], "password": worker["password"],
                                       "csrf_token": token})
    assert resp.status_code == 303
    assert client.get("/api/me").get_json()["jurisdiction"] == [worker["area"]]

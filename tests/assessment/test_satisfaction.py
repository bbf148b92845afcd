"""Residents' satisfaction: the receipt code of a public report, the single-use link once
the case is closed, its expiry, answers on a visit; refusals change nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import text

ACTIONS = [
    ("register", "community_sup"),
    ("dispatch", "community_sup"),
    ("accept", "grid_worker"),
    ("handle", "grid_worker"),
    ("verify", "community_sup"),
]


def report(client) -> dict:
    resp = client.post(
        "/api/cases",
        json={
            "kind": "incident",
            "category": "rubbish",
            "description": "楼下垃圾堆放",
            "lng": 121.512,
            "lat": 38.988,
        },
    )
    assert resp.status_code == 201
    return resp.get_json()["case"]


def close(client, as_user, case_id: int) -> None:
    for action, user in ACTIONS + [("close", "community_sup")]:
        resp = client.post(
            f"/api/cases/{case_id}/actions/{action}", json={"note": "ok"}, headers=as_user(user)
        )
        assert resp.status_code == 200, (action, resp.get_json())


def counts(engine) -> tuple:
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT (SELECT count(*) FROM satisfaction), "
                "(SELECT count(*) FROM satisfaction_invite WHERE used_at IS NOT NULL)"
            )
        ).one()


def test_the_link_appears_once_closed_and_works_once(client, as_user, engine):
    case = report(client)
    code = case["receipt_code"]
    r = client.get(f"/api/receipts/{code}").get_json()
    assert r["id"] == case["id"] and r["state"] == "reported" and r["satisfaction"] is None
    close(client, as_user, case["id"])
    link = client.get(f"/api/receipts/{code}").get_json()["satisfaction"]
    assert link["state"] == "open"
    token = link["token"]
    assert client.get(f"/api/satisfaction/{token}").get_json()["state"] == "open"
    first = client.post(f"/api/satisfaction/{token}", json={"score": 5, "comment": "很快"})
    assert first.status_code == 201 and first.get_json()["case_id"] == case["id"]
    before = counts(engine)
    again = client.post(f"/api/satisfaction/{token}", json={"score": 1})
    assert again.status_code == 409 and again.get_json()["error"] == "conflict"
    assert counts(engine) == before
    assert client.get(f"/api/receipts/{code}").get_json()["satisfaction"]["state"] == "used"
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT score, comment, area_code FROM satisfaction WHERE case_id = :c"),
            {"c": case["id"]},
        ).one()
    assert row == (5, "很快", "210204001001001001")


def test_an_expired_link_changes_nothing(client, as_user, engine):
    case = report(client)
    close(client, as_user, case["id"])
    with engine.begin() as conn:
        token = conn.execute(
            text(
                "UPDATE satisfaction_invite SET created_at = now() - interval '31 days', "
                "expires_at = now() - interval '1 day' WHERE case_id = :c "
                "RETURNING token"
            ),
            {"c": case["id"]},
        ).scalar()
    before = counts(engine)
    resp = client.post(f"/api/satisfaction/{token}", json={"score": 4})
    assert resp.status_code == 409 and resp.get_json()["state"] == "expired"
    assert counts(engine) == before
    receipt = client.get(f"/api/receipts/{case['receipt_code']}").get_json()
    assert receipt["satisfaction"]["state"] == "expired" and "token" not in receipt["satisfaction"]


@pytest.mark.parametrize(
    "url,body,status",
    [
        ("/api/satisfaction/NoSuchTokenNoSuchToken00", {"score": 5}, 404),
        ("/api/satisfaction/bad!", {"score": 5}, 404),
        ("/api/satisfaction/NoSuchTokenNoSuchToken00", {"score": 9}, 400),
        ("/api/satisfaction/NoSuchTokenNoSuchToken00", {"score": True}, 400),
        ("/api/satisfaction/NoSuchTokenNoSuchToken00", {"score": 3, "comment": "x" * 501}, 400),
    ],
)
def test_bad_answers_are_refused(client, engine, url, body, status):
    before = counts(engine)
    resp = client.post(url, json=body)
    assert resp.status_code == status and set(resp.get_json()) >= {"error", "message"}
    assert counts(engine) == before


def test_unknown_receipts_and_staff_reports(client, as_user):
    assert client.get("/api/receipts/NOSUCHCODE000000").status_code == 404
    assert client.get("/api/receipts/x").status_code == 404
    staff = client.post(
        "/api/cases",
        headers=as_user("grid_worker"),
        json={
            "kind": "incident",
            "category": "rubbish",
            "description": "x",
            "lng": 121.512,
            "lat": 38.988,
        },
    )
    assert "receipt_code" not in staff.get_json()["case"]  # staff have the case pages


def test_satisfaction_on_a_visit(client, as_user, engine):
    with engine.begin() as conn:
        visit = conn.execute(
            text("""INSERT INTO visit (household_id, outcome) SELECT id, 'well'
                                     FROM household WHERE area_id = (SELECT id FROM area
                                     WHERE code = '210204001001001001') RETURNING id""")
        ).scalar()
    url = f"/api/visits/{visit}/satisfaction"
    assert client.post(url, json={"score": 4}, headers=as_user("other_worker")).status_code == 404
    assert client.post(url, json={"score": 4}, headers=as_user("street_sup")).status_code == 403
    ok = client.post(url, json={"score": 4, "comment": "满意"}, headers=as_user("grid_worker"))
    assert ok.status_code == 201
    assert client.post(url, json={"score": 2}, headers=as_user("grid_worker")).status_code == 409
    with engine.connect() as conn:
        assert conn.execute(
            text("SELECT source, score FROM satisfaction WHERE visit_id = :v"), {"v": visit}
        ).one() == ("visit", 4)


def test_satisfaction_logged_with_the_visit(client, as_user, engine):
    with engine.connect() as conn:
        hid = conn.execute(text("""SELECT h.id FROM household h JOIN area a ON a.id = h.area_id
                                   WHERE a.code = '210204001001001002'""")).scalar()
        visits = conn.execute(text("SELECT count(*) FROM visit")).scalar()
    bad = client.post("/api/visits", headers=as_user("grid_worker"),
                      json={"household_id": hid, "outcome": "well", "satisfaction": 7})
    assert bad.status_code == 400 and bad.get_json()["field"] == "score"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM visit")).scalar() == visits
    ok = client.post("/api/visits", headers=as_user("grid_worker"),
                     json={"household_id": hid, "outcome": "well", "satisfaction": 5,
                           "client_id": "test-sat-visit-01"})
    assert ok.status_code == 201
    vid = ok.get_json()["visit"]["id"]
    with engine.connect() as conn:
        row = conn.execute(text("SELECT source, score, area_code FROM satisfaction "
                                "WHERE visit_id = :v"), {"v": vid}).one()
    assert row == ("visit", 5, "210204001001001002")

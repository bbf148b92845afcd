"""Raising demands (public, staff, on a visit), grouping, the receipt page's data, lists,
counts and CSV; bad input is refused with a 4xx JSON answer and writes nothing."""
from __future__ import annotations

import io
from datetime import timedelta
from email.utils import parsedate_to_datetime

import pytest
from sqlalchemy import text

from ..phone_support import png
from .support import NW, NW_COMMUNITY, SE, demand_id, raise_one, written


def test_public_raises_and_follows_by_receipt(client, engine):
    got = raise_one(client, body="小区东门没有路灯，晚上回家很黑", category="facilities",
                    reporter_name="张阿姨", reporter_contact="13812345678")
    receipt = got["receipt"]
    assert "demand" not in got
    assert receipt["state"] == "open" and receipt["state_zh"] == "办理中"
    assert len(receipt["receipt"]) == 10
    waited = (parsedate_to_datetime(receipt["deadline_at"])
              - parsedate_to_datetime(receipt["created_at"]))
    assert waited == timedelta(days=15)
    assert receipt["area_path"].startswith("测试社区")
    status = client.get(f"/api/demands/receipt/{receipt['receipt'].lower()}")
    assert status.status_code == 200
    text_seen = status.get_data(as_text=True)
    assert "张阿姨" not in text_seen and "13812345678" not in text_seen
    assert "张阿姨" not in str(got) and "13812345678" not in str(got)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT source, area_code, reporter_name, raised_by_user_id "
                                "FROM demand WHERE receipt = :r"), {"r": receipt["receipt"]}).one()
    assert row == ("public", "210204001001001001", "张阿姨", None)


def test_staff_see_name_and_contact_wall_does_not(client, engine, as_user):
    got = raise_one(client, reporter_name="李师傅", reporter_contact="13900001111")
    did = demand_id(engine, got["receipt"]["receipt"])
    mine = client.get(f"/api/demands/{did}", headers=as_user("grid_worker")).get_json()
    assert mine["reporter_name"] == "李师傅" and mine["events"][0]["action"] == "raise"
    wall = client.get(f"/api/demands/{did}", headers=as_user("wall")).get_json()
    assert wall["reporter_name"] is None and wall["reporter_contact"] is None
    listed = client.get("/api/demands", headers=as_user("wall")).get_data(as_text=True)
    assert "李师傅" not in listed and "13900001111" not in listed
    assert client.get(f"/api/demands/{did}", headers=as_user("other_worker")).status_code == 404
    assert client.get(f"/api/demands/{did}").status_code == 401


def test_staff_raise_is_recorded_as_staff(client, engine, as_user):
    got = raise_one(client, as_user("grid_worker"))
    assert got["demand"]["source"] == "staff" and got["demand"]["raised_by"] == "grid_worker"
    assert client.post("/api/demands", headers=as_user("wall"), json={
        "category": "parking", "body": "x", "location": {"lng": NW[0], "lat": NW[1]}}
    ).status_code == 403


def test_similar_demands_are_grouped(client, engine):
    first = raise_one(client, body="小区停车难，晚上没有车位", category="parking")
    second = raise_one(client, body="小区晚上停车难，没有车位", category="parking",
                       point=(NW[0] + 0.01, NW[1] - 0.005))        # same community, other grid
    other_text = raise_one(client, body="垃圾桶满了没人清理", category="parking")
    other_place = raise_one(client, body="小区停车难，晚上没有车位", category="parking", point=SE)
    ids = {k: demand_id(engine, v["receipt"]["receipt"])
           for k, v in dict(first=first, second=second, text=other_text, place=other_place).items()}
    with engine.connect() as conn:
        groups = dict(conn.execute(text("SELECT id, group_id FROM demand WHERE id = ANY(:ids)"),
                                   {"ids": list(ids.values())}).all())
    assert groups[ids["first"]] == ids["first"]
    assert groups[ids["second"]] == ids["first"]
    assert groups[ids["text"]] == ids["text"]
    assert groups[ids["place"]] == ids["place"]


def test_a_visit_records_a_demand(client, engine, as_user):
    with engine.connect() as conn:
        hid = conn.execute(text("SELECT id FROM household WHERE colour = 1 "
                                "ORDER BY id LIMIT 1")).scalar()
    r = client.post("/api/visits", headers=as_user("community_sup"), json={
        "household_id": hid, "outcome": "well", "note": "老人希望小区加装扶手",
        "location": {"lng": NW[0], "lat": NW[1]}, "client_id": "visit-demand-0001",
        "demand": {"category": "elderly_care"}})
    assert r.status_code == 201, r.get_json()
    receipts = r.get_json()["visit"]["demand_receipts"]
    assert len(receipts) == 1
    again = client.post("/api/visits", headers=as_user("community_sup"), json={
        "household_id": hid, "outcome": "well", "client_id": "visit-demand-0001",
        "note": "老人希望小区加装扶手", "demand": {"category": "elderly_care"}})
    assert again.status_code == 200 and again.get_json()["visit"]["demand_receipts"] == receipts
    with engine.connect() as conn:
        row = conn.execute(text("SELECT source, body, visit_id IS NOT NULL, area_code FROM demand "
                                "WHERE receipt = :r"), {"r": receipts[0]}).one()
    assert row == ("visit", "老人希望小区加装扶手", True, "210204001001001001")


def test_a_visit_sent_as_a_form_with_a_photo_records_its_demand(client, engine, as_user):
    """The outbox sends a visit with a photo as multipart: the demand as two fields."""
    with engine.connect() as conn:
        hid = conn.execute(text("SELECT id FROM household WHERE colour = 1 "
                                "ORDER BY id LIMIT 1")).scalar()
    r = client.post("/api/visits", headers=as_user("community_sup"),
                    content_type="multipart/form-data", data={
                        "household_id": str(hid), "outcome": "needs_help", "note": "",
                        "client_id": "visit-demand-form-01", "demand_category": "greening",
                        "demand_body": "楼前空地希望种树",
                        "photo": (io.BytesIO(png(8, 6)), "visit.png", "image/png")})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["visit"]["has_photo"]
    receipts = r.get_json()["visit"]["demand_receipts"]
    with engine.connect() as conn:
        got = conn.execute(text("SELECT category, body, source FROM demand WHERE receipt = :r"),
                           {"r": receipts[0]}).one()
    assert tuple(got) == ("greening", "楼前空地希望种树", "visit")


def test_a_bad_demand_on_a_visit_refuses_the_visit(client, engine, as_user):
    with engine.connect() as conn:
        hid = conn.execute(text("SELECT id FROM household WHERE colour = 1 "
                                "ORDER BY id LIMIT 1")).scalar()
    before = written(engine)
    for demand in ({"category": "nonsense", "body": "x"}, {"category": "parking"}, "parking",
                   {"category": "parking", "body": "长" * 2001}):
        r = client.post("/api/visits", headers=as_user("community_sup"), json={
            "household_id": hid, "outcome": "needs_help", "demand": demand})
        assert r.status_code == 400 and r.get_json()["field"] == "demand", demand
    assert written(engine) == before


@pytest.mark.parametrize("body,field", [
    ({"category": "nonsense", "body": "x", "lng": 121.51, "lat": 38.99}, "category"),
    ({"category": 7, "body": "x", "lng": 121.51, "lat": 38.99}, "category"),
    ({"category": "parking", "body": "", "lng": 121.51, "lat": 38.99}, "body"),
    ({"category": "parking", "body": "长" * 2001, "lng": 121.51, "lat": 38.99}, "body"),
    ({"category": "parking", "body": "x", "lng": 38.99, "lat": 121.51}, "lat"),        # swapped
    ({"category": "parking", "body": "x", "lng": 200, "lat": 38.99}, "lng"),
    ({"category": "parking", "body": "x", "lng": "NaN", "lat": 38.99}, "lng"),
    ({"category": "parking", "body": "x"}, "location"),
    ({"category": "parking", "body": "x", "lng": 121.51, "lat": 38.99,
      "reporter_contact": "1" * 101}, "reporter_contact"),
    ({"category": "parking", "body": "x", "lng": 121.51, "lat": 38.99, "crs": "mars"}, "crs"),
])
def test_bad_demands_are_refused_and_write_nothing(client, engine, body, field):
    before = written(engine)
    r = client.post("/api/demands", json=body)
    assert r.status_code == 400 and r.get_json()["error"] == "bad_input"
    assert r.get_json()["field"] == field
    assert written(engine) == before


def test_unknown_or_malformed_receipts(client):
    r = client.get("/api/demands/receipt/ABCDEFGH23")
    assert r.status_code == 404 and r.get_json()["field"] == "receipt"
    r = client.get("/api/demands/receipt/abc")
    assert r.status_code == 400 and r.get_json()["error"] == "bad_input"


def test_public_demands_are_rate_limited(app, client, engine):
    app.config["PUBLIC_DEMANDS_PER_MINUTE"] = 0
    before = written(engine)
    r = client.post("/api/demands", json={"category": "parking", "body": "x",
                                           "lng": NW[0], "lat": NW[1]})
    assert r.status_code == 429 and r.get_json()["error"] == "rate_limited"
    assert written(engine) == before


def test_list_filters_counts_and_csv(client, engine, as_user):
    raise_one(client, body="绿化带缺少维护，杂草很多", category="greening")
    h = as_user("community_sup")
    page = client.get("/api/demands?category=greening&state=open", headers=h).get_json()
    assert page["total"] >= 1 and all(d["category"] == "greening" for d in page["demands"])
    assert client.get("/api/demands?state=lost", headers=h).status_code == 400
    assert client.get("/api/demands?from=2026-13-01", headers=h).status_code == 400
    assert client.get("/api/demands?from=2026-02-01&to=2026-01-01", headers=h).status_code == 400
    assert client.get("/api/demands?area=21x", headers=h).status_code == 400
    old = client.get("/api/demands?to=2020-01-01", headers=h).get_json()
    assert old["total"] == 0
    counts = client.get(f"/api/demands/counts?area={NW_COMMUNITY}", headers=h).get_json()
    assert sum(a["open"] for a in counts["areas"]) == counts["total"]["open"] >= 1
    assert [a["code"] for a in counts["areas"]] == [NW_COMMUNITY + "001", NW_COMMUNITY + "002"]
    csv = client.get("/api/demands?format=csv&category=greening", headers=h)
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert ("绿化带缺少维护" in csv.get_data(as_text=True)
            and "受理编号" in csv.get_data(as_text=True))
    outside = client.get("/api/demands?category=greening",
                         headers=as_user("other_worker")).get_json()
    assert outside["total"] == 0
    assert client.get("/api/demands").status_code == 401

"""The consultation API: bad input gets a 4xx JSON and changes nothing; the public never
sees a resident's name or contact; opinions are rate-limited; tasks become cases."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import text

from .support import STEP_FIELDS, fresh_window, open_topic, png, snapshot, topic_at

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def count(engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()  # fixed names only


@pytest.mark.parametrize(
    "method,path",
    [
        ("get", "/api/topics/999999"),
        ("post", "/api/topics/999999/steps"),
        ("post", "/api/topics/999999/drop"),
        ("post", "/api/topics/999999/opinions"),
        ("post", "/api/topics/999999/tasks"),
        ("get", "/api/topics/999999/attachments/1"),
        ("get", "/api/public/topics/no-such-topic-token-xx"),
        ("get", "/t/no-such-topic-token-xx"),
        ("get", "/t/no-such-topic-token-xx/qr.svg"),
        ("post", "/api/public/topics/no-such-topic-token-xx/opinions"),
    ],
)
def test_unknown_topics_get_404_json_and_nothing_changes(engine, client, as_user, method, path):
    before = [count(engine, t) for t in ("topic_step", "topic_opinion", "topic_task")]
    body = {
        "step": 2,
        "reason": "x",
        "body": "意见",
        "tasks": [{"title": "t", "owner_name": "o", "deadline": "2027-01-01"}],
    }
    resp = getattr(client, method)(
        path, headers=as_user("admin"), **({"json": body} if method == "post" else {})
    )
    assert resp.status_code == 404 and resp.get_json()["error"] == "not_found"
    assert [count(engine, t) for t in ("topic_step", "topic_opinion", "topic_task")] == before


def test_unknown_area_or_building_is_404(client, as_user):
    for where in (
        {"level": "community", "area_code": "210204009009"},
        {"level": "courtyard", "area_code": "210204001001"},  # a community, not a courtyard
        {"level": "building", "building_id": 999999},
    ):
        resp = client.post("/api/topics", headers=as_user("admin"), json={**where, "title": "t"})
        assert resp.status_code == 404, resp.get_json()
    resp = client.post(
        "/api/topics", headers=as_user("admin"), json={"level": "city", "title": "t"}
    )
    assert resp.status_code == 400 and resp.get_json()["field"] == "level"


def test_step_with_attachments_stores_them_by_content(app, engine, client, as_user):
    topic_id = topic_at(engine, client, as_user("admin"), "community", 2)
    data = {
        "step": "3",
        "plan": "方案",
        "note": "附现场照片",
        "attachments": [(io.BytesIO(png()), "现场.png"), (io.BytesIO(PDF), "方案.pdf")],
    }
    resp = client.post(
        f"/api/topics/{topic_id}/steps",
        headers=as_user("community_sup"),
        data=data,
        content_type="multipart/form-data",
    )
    assert resp.status_code == 200, resp.get_json()
    files = resp.get_json()["steps"][-1]["attachments"]
    assert [f["content_type"] for f in files] == ["image/png", "application/pdf"]
    got = client.get(
        f"/api/topics/{topic_id}/attachments/{files[1]['id']}", headers=as_user("admin")
    )
    assert got.status_code == 200 and got.data == PDF
    # The plan's files are not public until announced; step 3 is not 4 or 6.
    token = resp.get_json()["public_token"]
    assert client.get(f"/t/{token}/files/{files[0]['id']}").status_code == 404


@pytest.mark.parametrize("what", ["oversized", "not_a_file_type"])
def test_a_bad_attachment_is_refused_and_nothing_changes(app, engine, client, as_user, what):
    topic_id = topic_at(engine, client, as_user("admin"), "community", 2)
    before = snapshot(engine, topic_id)
    limit = app.config["TOPIC_MAX_ATTACHMENT_BYTES"]
    blob = png() + b"\0" * limit if what == "oversized" else b"MZ\x90\x00 not an image"
    resp = client.post(
        f"/api/topics/{topic_id}/steps",
        headers=as_user("community_sup"),
        data={"step": "3", "plan": "方案", "attachments": [(io.BytesIO(blob), "x.png")]},
        content_type="multipart/form-data",
    )
    assert resp.status_code == (413 if what == "oversized" else 400), resp.get_json()
    assert resp.get_json()["field"] == "attachments"
    assert snapshot(engine, topic_id) == before
    many = [
        (io.BytesIO(png(rgb=(i, 0, 0))), f"{i}.png") for i in range(app.config["MAX_PHOTOS"] + 1)
    ]
    resp = client.post(
        f"/api/topics/{topic_id}/steps",
        headers=as_user("community_sup"),
        data={"step": "3", "plan": "方案", "attachments": many},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 413 and resp.get_json()["error"] == "too_large"
    assert snapshot(engine, topic_id) == before


def test_the_public_never_sees_a_name_or_contact(engine, client, as_user):
    topic_id = topic_at(engine, client, as_user("admin"), "community", 1)
    token = client.get(f"/api/topics/{topic_id}", headers=as_user("admin")).get_json()[
        "public_token"
    ]
    fresh_window(engine)
    resp = client.post(
        f"/api/public/topics/{token}/opinions",
        json={"body": "希望加装电梯", "name": "赵秘密", "contact": "13912345678"},
    )
    assert resp.status_code == 201, resp.get_json()
    for text_seen in (
        client.get(f"/api/public/topics/{token}").get_data(as_text=True),
        client.get(f"/t/{token}").get_data(as_text=True),
        client.get("/api/topics?format=geojson").get_data(as_text=True),
        client.get(f"/api/topics/{topic_id}", headers=as_user("wall")).get_data(as_text=True),
        client.get(f"/api/topics/{topic_id}", headers=as_user("other_worker")).get_data(
            as_text=True
        ),
    ):
        assert "希望加装电梯" in text_seen or "features" in text_seen
        assert "赵秘密" not in text_seen and "13912345678" not in text_seen
    staff = client.get(f"/api/topics/{topic_id}", headers=as_user("community_sup")).get_json()
    assert staff["opinions"][-1]["author_name"] == "赵秘密"


def test_public_opinions_are_rate_limited(app, engine, client, as_user):
    topic_id = topic_at(engine, client, as_user("admin"), "community", 1)
    token = client.get(f"/api/topics/{topic_id}", headers=as_user("admin")).get_json()[
        "public_token"
    ]
    limit = app.config["PUBLIC_OPINIONS_PER_MINUTE"]
    fresh_window(engine)
    codes = [
        client.post(f"/api/public/topics/{token}/opinions", json={"body": f"意见{i}"}).status_code
        for i in range(limit + 2)
    ]
    assert codes[:limit] == [201] * limit and codes[limit:] == [429, 429]
    assert snapshot(engine, topic_id)[7] == limit


def test_opinions_close_at_the_deliberation(engine, client, as_user):
    topic_id = topic_at(engine, client, as_user("admin"), "community", 5)
    token = client.get(f"/api/topics/{topic_id}", headers=as_user("admin")).get_json()[
        "public_token"
    ]
    before = snapshot(engine, topic_id)
    fresh_window(engine)
    assert (
        client.post(f"/api/public/topics/{token}/opinions", json={"body": "晚了"}).status_code
        == 409
    )
    assert (
        client.post(
            f"/api/topics/{topic_id}/opinions",
            headers=as_user("community_sup"),
            json={"body": "晚了"},
        ).status_code
        == 409
    )
    assert snapshot(engine, topic_id) == before


@pytest.mark.parametrize(
    "user,status",
    [("community_sup", 201), ("grid_worker", 403), ("wall", 403), ("other_worker", 403)],
)
def test_staff_entries_by_role(engine, client, as_user, user, status):
    topic_id = topic_at(engine, client, as_user("admin"), "community", 1)
    resp = client.post(
        f"/api/topics/{topic_id}/opinions",
        headers=as_user(user),
        json={"body": "入户走访收集：多数同意"},
    )
    assert resp.status_code == status, resp.get_json()


def test_deliberation_tasks_become_cases(engine, client, as_user):
    topic_id = topic_at(engine, client, as_user("admin"), "community", 4)
    resp = client.post(
        f"/api/topics/{topic_id}/steps",
        headers=as_user("community_sup"),
        json={"step": 5, **STEP_FIELDS[5]},
    )
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert {p["kind"] for p in body["participants"]} == {"resident_rep", "unit", "department"}
    task = body["tasks"][0]
    made = client.post(
        f"/api/topics/{topic_id}/tasks/{task['id']}/case",
        headers=as_user("community_sup"),
        json={"category": "rubbish"},
    )
    assert made.status_code == 201, made.get_json()
    case = client.get(f"/api/cases/{made.get_json()['case_id']}", headers=as_user("community_sup"))
    assert case.status_code == 200 and "联系电梯公司" in case.get_json()["description"]
    again = client.post(
        f"/api/topics/{topic_id}/tasks/{task['id']}/case",
        headers=as_user("community_sup"),
        json={"category": "rubbish"},
    )
    assert again.status_code == 409
    assert (
        client.post(
            f"/api/topics/{topic_id}/tasks/{task['id']}/done", headers=as_user("grid_worker")
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/api/topics/{topic_id}/tasks/{task['id']}/done", headers=as_user("community_sup")
        ).status_code
        == 200
    )
    tasks = client.get(f"/api/topics/{topic_id}", headers=as_user("admin")).get_json()["tasks"]
    assert tasks[0]["done_at"] and tasks[0]["case_id"] == made.get_json()["case_id"]


def test_report_back_publishes_the_outcome(engine, client, as_user):
    topic_id = topic_at(engine, client, as_user("admin"), "community", 5)
    token = client.get(f"/api/topics/{topic_id}", headers=as_user("admin")).get_json()[
        "public_token"
    ]
    assert "电梯已开工" not in client.get(f"/t/{token}").get_data(as_text=True)
    resp = client.post(
        f"/api/topics/{topic_id}/steps",
        headers=as_user("community_sup"),
        json={"step": 6, **STEP_FIELDS[6]},
    )
    assert resp.status_code == 200
    public = client.get(f"/api/public/topics/{token}").get_json()
    assert public["state"] == "reported" and public["outcome"] == STEP_FIELDS[6]["outcome"]
    assert "电梯已开工" in client.get(f"/t/{token}").get_data(as_text=True)
    layer = client.get("/api/topics?format=geojson&state=reported").get_json()
    assert topic_id in [f["id"] for f in layer["features"]]


def test_qr_codes(client, as_user):
    resp = open_topic(client, as_user("admin"))
    token = resp.get_json()["public_token"]
    svg = client.get(f"/t/{token}/qr.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    png_resp = client.get(f"/t/{token}/qr.png")
    assert png_resp.status_code == 200 and png_resp.data.startswith(b"\x89PNG")
    assert client.get(f"/t/{token}/qr.gif").status_code == 404


def test_list_filters(client, as_user):
    assert client.get("/api/topics?state=bogus").status_code == 400
    assert client.get("/api/topics?level=city").status_code == 400
    assert client.get("/api/topics?area=12x").status_code == 400
    listed = client.get("/api/topics?area=210204001001&level=community").get_json()["topics"]
    assert listed and all(t["area_code"].startswith("210204001001") for t in listed)


def test_an_attachment_under_the_limit_but_over_the_json_limit_is_taken(
    app, engine, client, as_user
):
    topic_id = topic_at(engine, client, as_user("admin"), "community", 2)
    blob = png() + b"\0" * (3 * 1024 * 1024)
    resp = client.post(
        f"/api/topics/{topic_id}/steps",
        headers=as_user("community_sup"),
        data={"step": "3", "plan": "方案", "attachments": [(io.BytesIO(blob), "x.png")]},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 200, resp.get_json()


def test_a_demand_moved_to_the_topic_is_one_of_its_opinions(engine, client, as_user):
    topic_id = topic_at(engine, client, as_user("admin"), "community", 1)
    raised = client.post(
        "/api/demands",
        headers=as_user("grid_worker"),
        json={
            "category": "parking",
            "body": "楼下车位太少，晚上停不下",
            "reporter_name": "钱先生",
            "reporter_contact": "13600002222",
            "location": {"lng": 121.5125, "lat": 38.9875},
        },
    )
    assert raised.status_code == 201, raised.get_json()
    demand_id = raised.get_json()["demand"]["id"]
    moved = client.post(
        f"/api/demands/{demand_id}/actions/to_topic",
        headers=as_user("community_sup"),
        json={"topic_id": topic_id},
    )
    assert moved.status_code == 200, moved.get_json()
    staff = client.get(f"/api/topics/{topic_id}", headers=as_user("community_sup")).get_json()
    linked = [o for o in staff["opinions"] if o["source"] == "demand"]
    assert [o["demand_id"] for o in linked] == [demand_id]
    assert linked[0]["author_name"] == "钱先生"
    token = staff["public_token"]
    public = client.get(f"/api/public/topics/{token}").get_data(as_text=True)
    assert "楼下车位太少" in public and "钱先生" not in public and "13600002222" not in public


def test_the_announcements_files_are_public(engine, client, as_user):
    topic_id = topic_at(engine, client, as_user("admin"), "community", 3)
    resp = client.post(
        f"/api/topics/{topic_id}/steps",
        headers=as_user("community_sup"),
        data={"step": "4", "announcement": "公示", "attachments": [(io.BytesIO(PDF), "公示.pdf")]},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 200, resp.get_json()
    token = resp.get_json()["public_token"]
    files = client.get(f"/api/public/topics/{token}").get_json()["files"]
    assert [f["filename"] for f in files] == ["公示.pdf"]
    assert client.get(files[0]["url"]).data == PDF
    assert "公示.pdf" in client.get(f"/t/{token}").get_data(as_text=True)

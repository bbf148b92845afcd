"""A phone photo is often 3-5 MB: bigger than the JSON body limit (2 MB), smaller than the
photo limit (10 MB). The form must be read with the photo limit, not refused with 413 by
whatever reads it first (the NUL check in errors.py reads every form)."""
from __future__ import annotations

import io

from tests.households.test_visits import PNG as VISIT_PNG
from tests.households.test_visits import homes  # noqa: F401  (the fixture)

from .test_case_inputs import TO_DISPATCHED, new
from .test_cases import NW, PNG, act

BIG = 3 * 1024 * 1024           # over MAX_CONTENT_LENGTH, under MAX_PHOTO_BYTES


def big(png: bytes) -> io.BytesIO:
    return io.BytesIO(png + b"\0" * BIG)


def test_a_report_with_a_3_mb_photo_is_stored(client, as_user, app, tmp_path):
    app.config["PHOTO_DIR"] = str(tmp_path)
    assert BIG > app.config["MAX_CONTENT_LENGTH"]
    h = as_user("grid_worker")
    form = {"kind": "hazard", "category": "fire_exit", "description": "通道堵塞",
            "lng": str(NW[0]), "lat": str(NW[1])}
    resp = client.post("/api/cases", headers=h, content_type="multipart/form-data",
                       data={**form, "photos": (big(PNG), "a.png")})
    assert resp.status_code == 201, resp.get_json()
    detail = client.get(f"/api/cases/{resp.get_json()['case']['id']}", headers=h).get_json()
    assert len(detail["photos"]) == 1


def test_a_photo_over_the_photo_limit_is_still_refused(client, as_user, app, tmp_path):
    app.config["PHOTO_DIR"] = str(tmp_path)
    over = app.config["MAX_PHOTOS"] * app.config["MAX_PHOTO_BYTES"] + 2 * 1024 * 1024
    form = {"kind": "hazard", "category": "fire_exit", "description": "通道堵塞",
            "lng": str(NW[0]), "lat": str(NW[1])}
    resp = client.post("/api/cases", headers=as_user("grid_worker"),
                       content_type="multipart/form-data",
                       data={**form, "photos": (io.BytesIO(PNG + b"\0" * over), "a.png")})
    assert resp.status_code == 413 and resp.get_json()["message"].startswith("上传内容过大")


def test_handling_with_a_3_mb_photo(client, as_user, app, tmp_path):
    app.config["PHOTO_DIR"] = str(tmp_path)
    case_id = new(client, as_user, steps=TO_DISPATCHED)
    h = as_user("grid_worker")
    assert act(client, h, case_id, "accept").status_code == 200
    resp = client.post(f"/api/cases/{case_id}/actions/handle", headers=h,
                       content_type="multipart/form-data",
                       data={"note": "已清理", "photos": (big(PNG), "after.png")})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["case"]["state"] == "handled"


def test_a_visit_with_a_3_mb_photo(client, as_user, homes):  # noqa: F811
    data = {"household_id": str(homes["blue"]), "outcome": "well", "lng": "121.512",
            "lat": "38.986", "crs": "wgs84", "note": "大照片",
            "photo": (big(VISIT_PNG), "door.png")}
    resp = client.post("/api/visits", headers=as_user("info_officer"), data=data,
                       content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["visit"]["has_photo"] is True

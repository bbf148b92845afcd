"""The public report's receipt and its CSRF rule, through the API (the page is in
tests/test_phone_tasks.py)."""
from __future__ import annotations

import io

from ..households.test_visits import PNG

NW = (121.51, 38.99)            # micro-grid 210204001001001001


def test_public_multipart_report_needs_the_anonymous_csrf_token(app, client):
    app.config["PUBLIC_REPORTS_PER_MINUTE"] = 50
    client.environ_base["REMOTE_ADDR"] = "198.51.100.31"
    form = {"kind": "hazard", "category": "fire_exit", "description": "楼道堆物",
            "lng": str(NW[0]), "lat": str(NW[1]), "crs": "wgs84", "client_id": "web-receipt-0001"}
    refused = client.post("/api/cases", content_type="multipart/form-data",
                          data={**form, "photos": (io.BytesIO(PNG), "a.png")})
    assert refused.status_code == 403 and refused.get_json()["error"] == "forbidden"
    token = client.get("/api/csrf").get_json()["csrf_token"]          # sets the anonymous cookie
    ok = client.post("/api/cases", content_type="multipart/form-data",
                     headers={"X-CSRF-Token": token},
                     data={**form, "photos": (io.BytesIO(PNG), "a.png")})
    assert ok.status_code == 201, ok.get_json()
    receipt = ok.get_json()["case"]
    # The full path from the community down, and the office nearest the case that has a phone.
    assert receipt["area_path"] == "测试社区01001 测试网格01001 测试微网格01001"
    assert receipt["office"] == {"name": "测试微网格01001办公室", "phone": "0411-80001001"}
    assert "contact" not in receipt and "assignee" not in receipt


def test_receipt_outside_every_area_names_none(app, client):
    client.environ_base["REMOTE_ADDR"] = "198.51.100.32"
    body = {"kind": "hazard", "category": "fire_exit", "description": "区外",
            "location": {"lng": 121.70, "lat": 38.95}}
    receipt = client.post("/api/cases", json=body).get_json()["case"]
    assert receipt["area_path"] is None and receipt["office"] is None

"""GET /api/areas and /api/areas/<code>."""
from __future__ import annotations

import pytest


def test_area_detail(client, as_user):
    resp = client.get("/api/areas/210204001", headers=as_user("street_sup"))
    assert resp.status_code == 200
    f = resp.get_json()
    assert f["type"] == "Feature" and f["geometry"]["type"] == "MultiPolygon"
    p = f["properties"]
    assert p["level"] == "street" and p["parent"]["code"] == "210204"
    assert p["children"] == 2
    assert p["descendants"] == {"community": 2, "grid": 4, "microgrid": 8}
    assert p["households"] == 8 and p["colour_counts"]["red"] == 8
    assert p["on_duty"][0]["role"] == "street_secretary"
    # 0.05 x 0.1 degrees at 38.95 N is roughly 4.33 km x 11.1 km.
    assert 45e6 < p["area_m2"] < 50e6


def test_unknown_code_is_404(client):
    resp = client.get("/api/areas/210299")
    assert resp.status_code == 404 and resp.get_json()["error"] == "not_found"


@pytest.mark.parametrize("code", ["abc", "2102", "210204' OR 1=1 --", "2102040011"])
def test_malformed_code_is_400(client, code):
    resp = client.get(f"/api/areas/{code}")
    assert resp.status_code == 400


def test_list_by_level_and_parent(client):
    body = client.get("/api/areas?level=grid&parent=210204001001").get_json()
    assert body["numberMatched"] == 2 and body["numberReturned"] == 2
    assert [f["id"] for f in body["features"]] == ["210204001001001", "210204001001002"]


def test_list_by_bbox_and_paging(client):
    body = client.get(
        "/api/areas?level=microgrid&bbox=121.50,38.95,121.55,39.00&limit=3").get_json()
    # The north-west quarter overlaps 4 micro-grids fully plus its neighbours along the edges.
    assert body["numberReturned"] == 3 and body["numberMatched"] >= 4
    nxt = client.get(
        "/api/areas?level=microgrid&bbox=121.50,38.95,121.55,39.00&limit=3&offset=3").get_json()
    assert not {f["id"] for f in body["features"]} & {f["id"] for f in nxt["features"]}


def test_list_simplified_for_zoom(client):
    body = client.get("/api/areas?level=district&zoom=8").get_json()
    assert body["features"][0]["geometry"]["type"] in ("MultiPolygon", "Polygon")


@pytest.mark.parametrize("query", [
    "level=planet", "bbox=1,2,3", "bbox=121.6,38.9,121.5,39.0", "bbox=nan,1,2,3",
    "bbox=-200,0,0,10", "limit=0", "limit=99999", "offset=-1", "zoom=40", "parent=xyz",
    "bbox=1e308,1,2,3",
])
def test_list_bad_input_is_400(client, query):
    resp = client.get(f"/api/areas?{query}")
    assert resp.status_code == 400, query
    assert resp.get_json()["error"] == "bad_input"


def test_healthz_and_ping(client):
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["database"]["schema_current"] is True
    assert client.get("/api/ping").get_json() == {"ok": True}


def test_area_detail_hides_staff_from_the_public(client):
    p = client.get("/api/areas/210204001").get_json()["properties"]
    assert "on_duty" not in p and p["office"]["phone"]

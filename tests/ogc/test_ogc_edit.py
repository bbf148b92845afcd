"""OGC API – Features Part 4 on boundaries: create, replace, delete through the boundary
validation and the access rules.

Community 210204001001 is the box 121.50..121.55 E, 38.95..39.00 N; its grids split it
at 121.525: 210204001001001 (west) and 210204001001002 (east).
"""
from __future__ import annotations

import pytest
from sqlalchemy import text

WEST, EAST = "210204001001001", "210204001001002"
GRIDS = "/ogc/collections/grids/items"


def box(x0, y0, x1, y1):
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def feature(geometry, **props):
    return {"type": "Feature", "geometry": geometry, "properties": props}


def versions(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM area_version")).scalar()


def current(client, code):
    return client.get(f"{GRIDS}/{code}").get_json()


@pytest.mark.parametrize("who,status", [("public", 401), ("grid_worker", 403), ("grid_leader", 403),
                                        ("wall", 403), ("other_worker", 403)])
def test_only_supervisors_may_write(client, as_user, engine, who, status):
    before = versions(engine)
    h = {} if who == "public" else as_user(who)
    body = feature(box(121.50, 38.95, 121.53, 39.00))
    assert client.put(f"{GRIDS}/{WEST}", json=body, headers=h).status_code == status
    assert client.post(GRIDS, json=feature(box(121.51, 38.96, 121.52, 38.97), name="x"),
                       headers=h).status_code == status
    resp = client.delete(f"{GRIDS}/{WEST}", headers=h)
    assert resp.status_code == status and resp.get_json()["error"]
    assert versions(engine) == before


def test_supervisor_outside_jurisdiction_is_forbidden(client, as_user, engine):
    before = versions(engine)
    # street_sup supervises street 210204001; the grid below is in street 210204002.
    resp = client.put(f"{GRIDS}/210204002001001", json=feature(box(121.55, 38.95, 121.58, 39.0)),
                      headers=as_user("street_sup"))
    assert resp.status_code == 403 and resp.get_json()["error"] == "forbidden"
    assert versions(engine) == before


@pytest.mark.parametrize("geometry,error", [
    (box(121.50, 38.95, 121.52, 39.00), "gap"),                      # shrinks: a gap is left
    (box(121.49, 38.95, 121.525, 39.00), "outside_parent"),          # reaches out of the community
    ({"type": "Polygon", "coordinates": [[[121.50, 38.95], [121.525, 39.0], [121.525, 38.95],
                                          [121.50, 39.0], [121.50, 38.95]]]}, "invalid_geometry"),
    ({"type": "Point", "coordinates": [121.51, 38.99]}, "bad_geojson"),
])
def test_invalid_replacements_are_refused_and_change_nothing(client, as_user, engine, geometry,
                                                             error):
    before = versions(engine)
    resp = client.put(f"{GRIDS}/{WEST}", json=feature(geometry), headers=as_user("community_sup"))
    assert resp.status_code == 400, resp.get_json()
    assert resp.get_json()["error"] == error
    assert versions(engine) == before


@pytest.mark.parametrize("body", [None, [], {"type": "FeatureCollection"}, "x",
                                  {"type": "Feature", "geometry": None, "properties": {}}])
def test_malformed_bodies_are_400(client, as_user, body):
    resp = client.put(f"{GRIDS}/{WEST}", json=body, headers=as_user("community_sup"))
    assert resp.status_code == 400 and resp.get_json()["message"]


def test_replace_grows_into_the_neighbour_with_versions(client, as_user, engine):
    h = as_user("community_sup")
    resp = client.get(f"{GRIDS}/{WEST}")
    assert resp.headers["ETag"] == '"1"'
    resp = client.put(f"{GRIDS}/{WEST}",
                      json=feature(box(121.50, 38.95, 121.53, 39.00), name="西网格"),
                      headers={**h, "If-Match": '"1"'})
    assert resp.status_code == 200, resp.get_json()
    assert set(resp.get_json()["versions"]) >= {WEST, EAST}
    west, east = current(client, WEST), current(client, EAST)
    assert west["properties"]["name"] == "西网格" and west["properties"]["version"] == 2
    xs = sorted({round(p[0], 6) for p in east["geometry"]["coordinates"][0][0]})
    assert xs == [121.53, 121.55]
    # The stale version the client started from is refused: someone changed it since.
    resp = client.put(f"{GRIDS}/{WEST}", json=feature(box(121.50, 38.95, 121.54, 39.00)),
                      headers={**h, "If-Match": '"1"'})
    assert resp.status_code == 409 and resp.get_json()["error"] == "conflict"
    resp = client.put(f"{GRIDS}/{WEST}", json=feature(box(121.50, 38.95, 121.54, 39.00), version=1),
                      headers=h)
    assert resp.status_code == 409
    # The old boundary is still there, as it stood.
    old = client.get(f"{GRIDS}?code={WEST}&datetime=2023-01-01T00:00:00Z").get_json()
    assert old["features"][0]["properties"]["version"] == 1


def test_replace_in_another_crs(client, as_user):
    # EPSG:4490 takes latitude first; this is the box 121.50..121.535 E.
    geometry = {"type": "Polygon", "coordinates": [[[38.95, 121.50], [38.95, 121.535],
                                                    [39.0, 121.535], [39.0, 121.50],
                                                    [38.95, 121.50]]]}
    resp = client.put(f"{GRIDS}/{WEST}", json=feature(geometry), headers={
        **as_user("community_sup"), "Content-Crs": "<http://www.opengis.net/def/crs/EPSG/0/4490>"})
    assert resp.status_code == 200, resp.get_json()
    xs = {round(p[0], 4) for p in current(client, EAST)["geometry"]["coordinates"][0][0]}
    assert xs == {121.535, 121.55}


def test_create_then_delete(client, as_user, engine):
    h = as_user("district_sup")
    before = client.get(GRIDS).get_json()["numberMatched"]
    resp = client.post(GRIDS, json=feature(box(121.56, 38.91, 121.57, 38.92), name="新建网格"),
                       headers=h)
    assert resp.status_code == 201, resp.get_json()
    code = resp.get_json()["code"]
    assert code.startswith("210204002002") and resp.headers["Location"].endswith(f"/items/{code}")
    assert client.get(GRIDS).get_json()["numberMatched"] == before + 1
    item = current(client, code)
    assert item["properties"]["name"] == "新建网格"
    # 0.01° of longitude at 38.9° N is about 866 m, 0.01° of latitude about 1,110 m.
    assert item["properties"]["area_m2"] == pytest.approx(866 * 1110, rel=0.01)
    # The point inside the new grid now locates to it.
    found = client.get("/api/locate?lng=121.565&lat=38.915").get_json()
    assert code in str(found)
    resp = client.delete(f"{GRIDS}/{code}", headers=h)
    assert resp.status_code == 204
    assert client.get(f"{GRIDS}/{code}").status_code == 404
    assert client.get(GRIDS).get_json()["numberMatched"] == before


def test_create_needs_a_name_and_a_place(client, as_user, engine):
    before = versions(engine)
    h = as_user("district_sup")
    assert client.post(GRIDS, json=feature(box(121.56, 38.91, 121.57, 38.92)),
                       headers=h).status_code == 400
    resp = client.post(GRIDS, json=feature(box(120.0, 30.0, 120.1, 30.1), name="远方"), headers=h)
    assert resp.status_code == 400 and resp.get_json()["error"] == "outside_parent"
    assert client.post("/ogc/collections/facilities/items",
                       json=feature(box(121.56, 38.91, 121.57, 38.92), name="x"),
                       headers=h).status_code == 400
    assert client.post("/ogc/collections/districts/items",
                       json=feature(box(121.56, 38.91, 121.57, 38.92), name="x"),
                       headers=as_user("admin")).status_code == 400
    assert versions(engine) == before

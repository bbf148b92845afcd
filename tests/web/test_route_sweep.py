"""Every route the app has, for every role: an answer, never a server error.

The role matrix in test_access.py states exact outcomes for the core routes; this sweep
covers every rule in the URL map, so a route added later cannot skip the access layer's
error handling. Path parameters get values from the tiny city.
"""
from __future__ import annotations

import re

import pytest

from ..tiny_city import TINY_USERS

ROLES = ["public", *TINY_USERS]
VALUES = {  # path parameter name -> a value that exists in the tiny city
    "code": "210204001001001", "case_id": "1", "household_id": "1", "facility_id": "1",
    "layer": "grid", "z": "12", "x": "3431", "y": "1556", "ext": "png",
    "collection_id": "grids", "fid": "210204001001001", "filename": "leaflet/dist/leaflet.js",
    "path": "leaflet/dist/leaflet.js", "what": "facilities", "level": "grid",
}
SKIP = {"/api/events"}          # an endless stream: tested in test_sse.py


def _routes(app, method):
    for rule in app.url_map.iter_rules():
        if method not in rule.methods or rule.rule in SKIP or rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: VALUES.get(m.group(1), "1"), rule.rule)
        yield rule.rule, path


@pytest.mark.parametrize("who", ROLES)
def test_every_get_route_answers_every_role(app, client, as_user, who):
    headers = {} if who == "public" else as_user(who)
    seen = 0
    for rule, path in _routes(app, "GET"):
        resp = client.get(path, headers=headers)
        seen += 1
        assert resp.status_code < 500, (who, rule, resp.get_data(as_text=True)[:300])
        if resp.status_code >= 400 and path.startswith("/api/"):
            assert resp.is_json and resp.get_json().get("error"), (who, rule)
    assert seen > 60          # the sweep really walks the URL map


@pytest.mark.parametrize("who", ["public", "grid_worker", "community_sup", "admin"])
def test_every_write_route_refuses_an_empty_body_cleanly(app, client, as_user, who):
    headers = {} if who == "public" else as_user(who)
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        for rule, path in _routes(app, method):
            if rule in ("/logout", "/login"):
                continue
            resp = client.open(path, method=method, headers=headers, data=b"",
                               content_type="application/json")
            assert resp.status_code < 500, (who, method, rule, resp.get_data(as_text=True)[:300])

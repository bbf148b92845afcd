"""The wall's per-area case counts (tile layer case_areas): what each viewer is counted,
one label point per area, and a new case refreshing the cached counts."""
from __future__ import annotations

import pytest

from ..live.test_wall import report
from ..wall_support import close_app, features, make_app, tile_at, url

NW = (121.5122, 38.9877)         # community 210204001001 (street 210204001)
SE = (121.5870, 38.9120)         # community 210204002002 (street 210204002)


@pytest.fixture(scope="module")
def app(db_url):
    app = make_app(db_url)
    yield app
    close_app(app)


def counts(client, headers, z: int) -> dict[str, tuple[int, int]]:
    """{area code: (cases, label points)} in the tile holding the tiny city's centre."""
    resp = client.get(url("case_areas", *tile_at(121.55, 38.95, z)), headers=headers)
    assert resp.status_code == 200
    out: dict[str, list] = {}
    for f in features(resp.data, "case_areas"):
        cases, labels = out.get(f["code"], (0, 0))
        out[f["code"]] = (max(cases, f["cases"]), labels + bool(f["label"]))
    return {k: tuple(v) for k, v in out.items()}


def test_counts_per_street_and_community_within_the_viewers_rights(client, as_user):
    report(client, as_user("grid_worker"), *NW)
    report(client, as_user("other_worker"), *SE)
    wall = counts(client, as_user("wall"), 11)                      # z11-12: streets
    assert wall == {"210204001": (1, 1), "210204002": (1, 1)}
    mine = counts(client, as_user("community_sup"), 11)             # 210204001001 only
    assert mine == {"210204001": (1, 1), "210204002": (0, 1)}
    communities = counts(client, as_user("wall"), 13)               # z13-14: communities
    assert {code: n for code, (n, _) in communities.items()} == {
        "210204001001": 1, "210204001002": 0, "210204002001": 0, "210204002002": 1}
    assert all(labels <= 1 for _, labels in communities.values())   # only in its own tile
    assert client.get(url("case_areas", *tile_at(*NW, 11))).status_code == 401   # the public


def test_a_new_case_refreshes_the_cached_counts(client, as_user):
    before = counts(client, as_user("wall"), 11)["210204001"][0]    # cached now
    report(client, as_user("grid_worker"), 121.5130, 38.9880)
    assert counts(client, as_user("wall"), 11)["210204001"][0] == before + 1

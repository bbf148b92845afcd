"""A revert undoes an edit all the way down: the grid split and reverted gets back the
micro-grids it had, with their codes and boundaries and the households in them, instead
of keeping the split's cut micro-grids and gaining new codes for the pieces."""
from __future__ import annotations

from .test_boundaries import WEST, city, split_west_grid  # noqa: F401  (the fixture)

MICRO = """SELECT a.code, ST_AsText(ST_Normalize(c.geom)) AS wkt,
                  (SELECT count(*) FROM household h WHERE h.area_id = a.id) AS homes
           FROM area a JOIN area_current c ON c.id = a.id
           WHERE a.code LIKE :grid || '%' AND a.level = 5 ORDER BY a.code"""
EVERY_CODE = "SELECT count(*) FROM area WHERE code LIKE :prefix || '%' AND level = 5"


def micro_grids(city, grid):  # noqa: F811
    return [tuple(r) for r in city.execute(MICRO, grid=grid)]


def test_a_reverted_split_gets_its_micro_grids_back(city):  # noqa: F811
    before = micro_grids(city, WEST)
    codes_before = city.scalar(EVERY_CODE, prefix=WEST)
    assert len(before) == 2 and sum(homes for *_, homes in before) > 0
    assert split_west_grid(city).status_code == 200
    assert micro_grids(city, WEST) != before                   # the split cut them
    resp = city.post(f"/api/areas/{WEST}/revert", {"version": 1})
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["created"] == []                               # no new codes for the pieces
    assert micro_grids(city, WEST) == before                   # codes, outlines, households
    assert city.scalar(EVERY_CODE, prefix=WEST) == codes_before
    mismatch, overlap = city.tessellation(WEST)
    assert mismatch < 1e-3 and abs(overlap) < 1e-3

"""The demo city's base map: named roads along its boundaries, the sea beside its coast."""
from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pytest
import shapely

from gisapp.demo import city as demo
from gisapp.demo import geometry as geo
from gisapp.demo.roads import join_straight


@pytest.fixture(scope="module")
def city():
    return demo.build_city("district", 2022, demo.Progress(False))


def test_every_class_of_road_is_there_and_named(city):
    roads = city.roads["roads"]
    assert Counter(c for _, c, _ in roads).keys() == {"主干路", "次干路", "支路"}
    assert all(re.fullmatch(r"[\u4e00-\u9fff]{2,12}[路街巷]", name) for name, _, _ in roads)
    assert "滨海路" in {name for name, cls, _ in roads if cls == "主干路"}
    lanes = {name for name, cls, _ in roads if cls == "支路"}
    community = next(a.name.removesuffix("社区") for a in city.areas if a.level == 3)
    assert f"{community}一巷" in lanes or f"{community}一街" in lanes


def test_roads_run_along_the_boundaries_of_their_class(city):
    def boundary(level):
        return shapely.union_all([a.geom.boundary for a in city.areas if a.level == level])
    near = {"主干路": boundary(2), "次干路": boundary(3), "支路": boundary(4)}
    for _, cls, line in city.roads["roads"]:
        assert shapely.distance(near[cls], line.interpolate(0.5, normalized=True)) < 1e-6, cls


def test_same_seed_gives_the_same_roads(city):
    again = demo.build_city("district", 2022, demo.Progress(False))
    assert [(n, c, ln.wkb) for n, c, ln in again.roads["roads"]] == \
           [(n, c, ln.wkb) for n, c, ln in city.roads["roads"]]


def test_the_sea_lies_beside_the_land_never_on_it(city):
    (name, kind, sea), = city.roads["water"]
    assert (name, kind) == ("黄海", "sea") and sea.is_valid
    land = shapely.Polygon(geo.LAND)
    assert sea.intersection(land).area < 1e-9 and sea.distance(land) < 1e-9
    assert sea.contains(shapely.Point(121.70, 38.86))     # the sea south-east of the city


def test_edges_continuing_straight_become_one_road():
    # A cross: the west and east arms continue each other, the north arm turns 90°.
    arms = [shapely.LineString([(0, 0), (-0.01, 0)]), shapely.LineString([(0, 0), (0.01, 0)]),
            shapely.LineString([(0, 0), (0, 0.01)])]
    roads = join_straight(arms, min_metres=1)
    lengths = sorted(round(sum(ln.length for ln in road), 3) for road in roads)
    assert lengths == [0.01, 0.02]
    assert np.isclose(sum(len(r) for r in roads), 2)

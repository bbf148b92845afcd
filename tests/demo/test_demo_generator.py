"""The demo city generator: deterministic, exact tessellations, households where they belong."""
from __future__ import annotations

import os

import numpy as np
import pytest
import shapely
from shapely.geometry import box
from sqlalchemy import text

from gisapp.db import apply_schema, make_engine
from gisapp.demo import city as demo
from gisapp.demo import geometry as geo

from ..conftest import ROOT, _admin, _url


@pytest.fixture(scope="module")
def city():
    """The district-scale demo city, generated in memory (no database)."""
    return demo.build_city("district", 2022, demo.Progress(False))


def _children(city):
    kids: dict[int, list[int]] = {}
    for i, a in enumerate(city.areas):
        if a.parent is not None:
            kids.setdefault(a.parent, []).append(i)
    return kids


def test_same_seed_gives_the_same_city(city):
    again = demo.build_city("district", 2022, demo.Progress(False))
    assert [a.code for a in again.areas] == [a.code for a in city.areas]
    assert all(shapely.equals_exact(a.geom, b.geom, 0) for a, b in zip(again.areas, city.areas))
    assert np.array_equal(again.households["x"], city.households["x"])
    assert again.persons == city.persons and again.facilities == city.facilities
    other = demo.build_city("district", 7, demo.Progress(False))
    assert not np.array_equal(other.households["colour"][:1000], city.households["colour"][:1000])


def test_codes_extend_their_parent_with_three_digits(city):
    for a in city.areas:
        assert len(a.code) == {1: 6, 2: 9, 3: 12, 4: 15, 5: 18}[a.level]
        if a.parent is not None:
            parent = city.areas[a.parent]
            assert a.level == parent.level + 1 and a.code[:-3] == parent.code
    assert city.areas[0].code == "210204" and city.areas[0].name == "沙河口区"


def test_every_level_tiles_its_parent_exactly(city):
    for parent, kids in _children(city).items():
        outer = city.areas[parent].geom
        geoms = [city.areas[k].geom for k in kids]
        union = shapely.union_all(geoms)
        assert shapely.symmetric_difference(outer, union).area <= 1e-12 * outer.area
        assert sum(g.area for g in geoms) - union.area <= 1e-12 * outer.area
        assert all(g.is_valid and not g.is_empty and g.geom_type == "MultiPolygon"
                   for g in geoms)


def test_vertices_sit_on_the_snapping_grid(city):
    xy = np.vstack([shapely.get_coordinates(a.geom) for a in city.areas if a.level == 5])
    steps = xy / geo.GRID
    assert np.abs(steps - np.round(steps)).max() < 1e-6


def test_household_counts_follow_the_planning_rules(city):
    sizes = {level: [a.households for a in city.areas if a.level == level] for level in (3, 4, 5)}
    assert all(200 <= n <= 300 for n in sizes[4])
    assert all(50 <= n <= 100 for n in sizes[5])
    assert 3000 < np.mean(sizes[3]) < 4200
    for parent, kids in _children(city).items():
        assert city.areas[parent].households == sum(city.areas[k].households for k in kids)
        total = np.sum([city.areas[k].colour_counts for k in kids], axis=0)
        assert city.areas[parent].colour_counts == total.tolist()


def test_households_lie_inside_their_building_inside_their_microgrid(city):
    b, h = city.buildings, city.households
    footprints = b["geom"]
    microgrids = np.array([city.areas[i].geom for i in b["area"]], dtype=object)
    assert shapely.contains_properly(microgrids, footprints).all()
    points = shapely.points(h["x"], h["y"])
    assert shapely.contains_properly(footprints[h["building"]], points).all()
    assert np.array_equal(h["area"], b["area"][h["building"]])


def test_flats_are_distinct_within_a_building(city):
    h = city.households
    flats = np.stack([h["building"], h["unit"], h["floor"], h["door"]], axis=1)
    assert len(np.unique(flats, axis=0)) == len(flats)
    assert (h["unit"] <= city.buildings["units"][h["building"]]).all()


def test_colour_shares_are_realistic(city):
    colour = city.households["colour"]
    shares = np.bincount(colour, minlength=6)[1:] / len(colour)
    assert np.allclose(shares, demo.COLOUR_SHARES, rtol=0.25)
    red_tags = city.households["tags"][colour == 1]
    assert red_tags.any(axis=1).all()


def test_districts_are_the_land_and_the_sea_stays_sea():
    outlines = geo.district_polygons()
    land = shapely.Polygon(geo.LAND)
    assert sorted(outlines) == sorted(demo.SCALES["city"])
    union = shapely.union_all(list(outlines.values()))
    assert shapely.symmetric_difference(union, land).area < 1e-12
    sea = shapely.Point(121.70, 38.86)
    assert not land.covers(sea)
    assert outlines["210204"].covers(shapely.Point(121.585, 38.905))


def test_children_are_numbered_north_to_south_then_west_to_east():
    cells = [box(0, 0, 1, 1), box(1, 1, 2, 2), box(0, 1, 1, 2), box(1, 0, 2, 1)]
    order = geo.reading_order(cells, box(0, 0, 2, 2))
    assert [cells[i].bounds[:2] for i in order] == [(0, 1), (1, 1), (0, 0), (1, 0)]


@pytest.mark.parametrize("total,n,lo,hi", [(1000, 4, 200, 300), (3607, 14, 200, 300),
                                           (250, 3, 50, 100), (18, 3, 4, 8)])
def test_split_total_respects_bounds(total, n, lo, hi):
    parts = demo.split_total(total, n, lo, hi, np.random.default_rng(1))
    assert parts.sum() == total and parts.min() >= lo and parts.max() <= hi


@pytest.fixture(scope="module")
def demo_engine(cluster):
    """An empty database with the schema, loaded with the district-scale demo."""
    name = f"demo_{os.getpid()}"
    _admin(cluster, f"CREATE DATABASE {name}")
    eng = make_engine(_url(cluster, name))
    apply_schema(eng, ROOT / "sql")
    summary = demo.load_demo(eng, "district", progress=False)
    yield eng, summary
    eng.dispose()
    _admin(cluster, f"DROP DATABASE {name}")


def test_loaded_demo_matches_its_summary(demo_engine):
    eng, summary = demo_engine
    with eng.connect() as conn:
        levels = dict(conn.execute(text("SELECT level, count(*) FROM area GROUP BY level")).all())
        counts = conn.execute(text(
            "SELECT (SELECT count(*) FROM household), (SELECT count(*) FROM building), "
            "(SELECT count(*) FROM person), (SELECT count(*) FROM duty), "
            "(SELECT count(*) FROM facility WHERE area_id IS NOT NULL)")).one()
    assert levels == {1: 1, 2: 3, 3: 18, 4: summary["grids"], 5: summary["microgrids"]}
    assert tuple(counts) == (summary["households"], summary["buildings"], summary["persons"],
                             summary["duties"], summary["facilities"])


def test_loaded_demo_tessellates_in_postgis(demo_engine):
    eng, _ = demo_engine
    with eng.connect() as conn:
        bad = conn.execute(text("""
            SELECT p.code FROM area_current p JOIN area_current c ON c.parent_id = p.id
            GROUP BY p.code, p.geom
            HAVING ST_Area(ST_SymDifference(p.geom, ST_Union(c.geom))) > 1e-12 * ST_Area(p.geom)
                OR sum(ST_Area(c.geom)) - ST_Area(ST_Union(c.geom)) > 1e-12 * ST_Area(p.geom)
        """)).all()
    assert bad == []


def test_loaded_households_sit_in_exactly_their_microgrid(demo_engine):
    eng, _ = demo_engine
    with eng.connect() as conn:
        wrong = conn.execute(text("""
            SELECT count(*) FROM (
                SELECT count(m.id) AS n, bool_and(m.id = h.area_id) AS own
                FROM household h
                LEFT JOIN area_current m ON m.level = 5 AND ST_Covers(m.geom, h.geom)
                GROUP BY h.id) x
            WHERE n <> 1 OR NOT own""")).scalar()
        conn.execute(text("CREATE TEMP TABLE cached AS SELECT id, households, colour_counts "
                          "FROM area"))
        conn.execute(text("SELECT refresh_area_counts()"))
        stale = conn.execute(text(
            "SELECT count(*) FROM area a JOIN cached c USING (id) "
            "WHERE (a.households, a.colour_counts) <> (c.households, c.colour_counts)")).scalar()
        conn.rollback()
    assert wrong == 0 and stale == 0


def test_loading_twice_is_refused(demo_engine):
    eng, summary = demo_engine
    with pytest.raises(demo.DemoError, match="already has rows"):
        demo.load_demo(eng, "district", progress=False)
    with eng.connect() as conn:
        assert conn.execute(
            text("SELECT count(*) FROM household")).scalar() == summary["households"]

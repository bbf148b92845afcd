"""area_path(): how a page names an area to a person (its ancestors' names, then its own)."""
from __future__ import annotations

from sqlalchemy import text

LEAF = "210204001001001001"


def _path(engine, code, from_level=3):
    with engine.connect() as conn:
        return conn.execute(text("SELECT area_path(CAST(:c AS text), CAST(:l AS smallint))"),
                            {"c": code, "l": from_level}).scalar()


def test_a_micro_grid_is_named_from_its_community_down(engine):
    assert _path(engine, LEAF) == "测试社区01001 测试网格01001 测试微网格01001"


def test_from_the_district_names_every_level(engine):
    assert _path(engine, LEAF, 1) == (
        "沙河口区 测试街道04001 测试社区01001 测试网格01001 测试微网格01001")


def test_an_area_above_the_start_level_is_named_alone(engine):
    assert _path(engine, "210204001") == "测试街道04001"


def test_an_unknown_code_has_no_path(engine):
    assert _path(engine, "999999") is None

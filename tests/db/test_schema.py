"""The schema enforces what the database can check."""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from gisapp.db import apply_schema, schema_status

from ..conftest import ROOT


def test_schema_is_rerunnable_and_current(engine):
    assert apply_schema(engine, ROOT / "sql") == []
    with engine.connect() as conn:
        assert schema_status(conn, ROOT / "sql")["current"]


def test_tiny_city_counts(engine):
    with engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT level, count(*) FROM area GROUP BY level")).all())
        district = conn.execute(text("SELECT households FROM area WHERE code = '210204'")).scalar()
    assert rows == {1: 1, 2: 2, 3: 4, 4: 8, 5: 16}
    assert district == 16


@pytest.mark.parametrize("code,level,parent", [
    ("210204009", 2, "999999"),        # parent does not exist -> prefix cannot match
    ("21020400", 2, "210204"),         # wrong length for a street
    ("210205001", 2, "210204"),        # does not extend the parent's code
    ("210204001001", 2, "210204"),     # wrong level for its length
])
def test_area_code_must_extend_parent(engine, code, level, parent):
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("INSERT INTO area (code, level, parent_id, name) VALUES "
                          "(:c, :l, (SELECT id FROM area WHERE code = :p), 'x')"),
                     {"c": code, "l": level, "p": parent})


def test_only_one_current_version_per_area(engine):
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("""
            INSERT INTO area_version (area_id, version, geom)
            SELECT id, 2, ST_Multi(ST_MakeEnvelope(121.5, 38.9, 121.6, 39.0, 4326))
            FROM area WHERE code = '210204'"""))


def test_invalid_geometry_is_rejected(engine):
    bowtie = "MULTIPOLYGON(((121.5 38.9, 121.6 39.0, 121.6 38.9, 121.5 39.0, 121.5 38.9)))"
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("""
            UPDATE area_version SET valid_to = now() WHERE area_id = (SELECT id FROM area """
                          """WHERE code='210204');
            INSERT INTO area_version (area_id, version, geom)
            SELECT id, 2, ST_GeomFromText(:wkt, 4326) FROM area WHERE code = '210204'"""),
            {"wkt": bowtie})


def test_tiny_city_tessellates(engine):
    """Every parent's children cover it exactly: no gap, no overlap."""
    with engine.connect() as conn:
        bad = conn.execute(text(TESSELLATION_SQL)).all()
    assert bad == []


TESSELLATION_SQL = """
    SELECT p.code,
           ST_Area(ST_SymDifference(p.geom, ST_Union(c.geom))) AS gap_or_excess,
           sum(ST_Area(c.geom)) - ST_Area(ST_Union(c.geom)) AS overlap
    FROM area_current p JOIN area_current c ON c.parent_id = p.id
    GROUP BY p.code, p.geom
    HAVING ST_Area(ST_SymDifference(p.geom, ST_Union(c.geom))) > 1e-12 * ST_Area(p.geom)
        OR sum(ST_Area(c.geom)) - ST_Area(ST_Union(c.geom)) > 1e-12 * ST_Area(p.geom)
"""


def test_foreign_keys_to_cases_have_indexes(engine):
    """Deleting a case checks every referencing row; each check must use an index."""
    with engine.connect() as conn:
        missing = conn.execute(text("""
            SELECT c.conrelid::regclass::text || '.' || a.attname
            FROM pg_constraint c
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
            WHERE c.contype = 'f' AND c.confrelid = 'case_file'::regclass
              AND array_length(c.conkey, 1) = 1
              AND NOT EXISTS (SELECT 1 FROM pg_index i
                              WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1])
            ORDER BY 1""")).scalars().all()
    assert missing == []

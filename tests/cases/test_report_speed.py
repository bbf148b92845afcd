"""What made case creation faster keeps its meaning (docs/cases.md, "How fast a report is
stored"): the receipt from the report's own statement, the statement prepared once per
connection, the live hub's cases read in one query, the cheaper tile_dirty triggers."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from gisapp.areas.spatial_index import index
from gisapp.cases.receipt import receipt_area
from gisapp.cases.report import load_case, load_cases, report_and_load, report_with_receipt

from .test_case_report import a_report

# The receipt as it was defined before area_receipt(): area_path() and the nearest office
# with a phone, found by a recursive walk up the tree.
_RECURSIVE_RECEIPT = text("""
    WITH RECURSIVE up AS (
        SELECT a.id, a.parent_id, a.level, a.office_name, a.office_phone
        FROM area a WHERE a.code = :code
        UNION ALL
        SELECT p.id, p.parent_id, p.level, p.office_name, p.office_phone
        FROM area p JOIN up ON p.id = up.parent_id)
    SELECT area_path(CAST(:code AS text)) AS area_path, o.office_name, o.office_phone
    FROM (SELECT 1) one
    LEFT JOIN LATERAL (SELECT up.office_name, up.office_phone FROM up
                       WHERE up.office_phone IS NOT NULL
                       ORDER BY up.level DESC LIMIT 1) o ON true""")


@pytest.fixture()
def snap(app):
    with app.app_context():
        return index().snapshot()


def test_area_receipt_agrees_with_the_recursive_definition_for_every_area(conn):
    codes = conn.execute(text("SELECT code FROM area ORDER BY code")).scalars().all()
    assert len(codes) > 20
    conn.execute(text("UPDATE area SET office_phone = NULL WHERE level >= 4"))
    conn.execute(text("UPDATE area SET office_name = '第一网格工作站', office_phone = '0411-1' "
                      "WHERE code = (SELECT min(code) FROM area WHERE level = 4)"))
    for code in codes + ["999999"]:
        want = dict(conn.execute(_RECURSIVE_RECEIPT, {"code": code}).mappings().one())
        got = dict(conn.execute(text("SELECT * FROM area_receipt(:c)"), {"c": code})
                   .mappings().one())
        assert got == want, code


def test_a_report_brings_its_receipt(conn, viewer, snap):
    """The nearest office with a phone, up from the case's micro-grid, and its path."""
    case, created, receipt = report_with_receipt(conn, viewer, a_report(121.51, 38.99), snap)
    code = case["area_code"]
    assert created and code == "210204001001001001"
    conn.execute(text("UPDATE area SET office_phone = NULL WHERE code = :c"), {"c": code})
    conn.execute(text("UPDATE area SET office_name = '网格站', office_phone = '0411-99' "
                      "WHERE code = :c"), {"c": code[:15]})          # the grid of the case
    again, created, receipt = report_with_receipt(conn, viewer, a_report(121.51, 38.99), snap)
    assert receipt == receipt_area(conn, code)
    assert receipt["office"] == {"name": "网格站", "phone": "0411-99"}
    assert receipt["area_path"] == conn.execute(text("SELECT area_path(CAST(:c AS text))"),
                                                {"c": code}).scalar()
    assert len(receipt["area_path"].split()) == 3           # community, grid, micro-grid
    outside, _, nothing = report_with_receipt(conn, viewer, a_report(122.5, 38.2), snap)
    assert outside["area_code"] is None and nothing == {"area_path": None, "office": None}


def test_report_is_prepared_once_per_connection(engine, viewer, snap):
    """Prepared on first use, kept through a rolled-back transaction, made again on a
    new connection; the running statement still reads "case_report(" (tests/web/test_faults)."""
    def prepared(c):
        found = c.execute(text("SELECT statement FROM pg_prepared_statements "
                               "WHERE name = 'case_report'")).scalars().all()
        c.rollback()
        return found
    with engine.connect() as c:
        c.invalidate()                  # a connection that has never reported
    with engine.connect() as c:
        assert prepared(c) == []
        with c.begin() as trans:
            report_and_load(c, viewer, a_report(121.51, 38.99), snap)
            trans.rollback()
        statements = prepared(c)
        assert len(statements) == 1 and "case_report(" in statements[0]
        with c.begin() as trans:
            first, created = report_and_load(c, viewer, a_report(121.51, 38.99), snap)
            assert created and first == load_case(c, first["id"])
            trans.rollback()
        assert len(prepared(c)) == 1
        c.invalidate()
    with engine.connect() as c:
        assert prepared(c) == []
        with c.begin() as trans:
            _, created = report_and_load(c, viewer, a_report(121.51, 38.99), snap)
            assert created
            trans.rollback()
        assert len(prepared(c)) == 1


def test_load_cases_reads_as_load_case(conn, viewer, snap):
    ids = [report_and_load(conn, viewer, a_report(121.51 + i / 100, 38.99), snap)[0]["id"]
           for i in range(3)]
    cases = load_cases(conn, ids + [ids[0], 10**12])
    assert list(sorted(cases)) == ids
    assert all(cases[i] == load_case(conn, i) for i in ids)
    assert load_cases(conn, []) == {}


def test_a_report_marks_its_point_and_its_district_dirty(conn, viewer, snap):
    """tile_dirty as the triggers of sql/090 and sql/160 wrote it: the point for 'cases',
    the district's box for 'case_areas'."""
    last = conn.execute(text("SELECT coalesce(max(id), 0) FROM tile_dirty")).scalar()
    case, _ = report_and_load(conn, viewer, a_report(121.51, 38.99), snap)
    rows = conn.execute(text("SELECT grp, minx, miny, maxx, maxy FROM tile_dirty WHERE id > :l"),
                        {"l": last}).all()
    district = conn.execute(text("""
        SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM (
            SELECT Box2D(v.geom) AS b FROM area a
            JOIN area_version v ON v.area_id = a.id AND v.valid_to IS NULL
            WHERE a.code = :c) d"""), {"c": case["area_code"][:6]}).one()
    assert sorted(rows) == sorted([("cases", 121.51, 38.99, 121.51, 38.99),
                                   ("case_areas", *district)])

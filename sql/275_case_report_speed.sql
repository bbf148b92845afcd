-- Case creation speed (docs/cases.md, "How fast a report is stored").

-- Several cases as the API shows them, in one statement: the live hub of every app process
-- loads the cases of each poll's events with it, one query a tick instead of one a case.
-- PL/pgSQL for the same reason as case_detail_of (sql/081): planned once per connection.
CREATE OR REPLACE FUNCTION case_details_of(p_ids bigint[]) RETURNS SETOF case_detail
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN QUERY SELECT * FROM case_detail d WHERE d.id = ANY(p_ids);
END $$;

-- Tile invalidation (sql/090, sql/160, sql/250), the same rows written more cheaply.
-- LANGUAGE sql functions that INSERT are never inlined and are parsed and planned again on
-- every call; in PL/pgSQL the plan is made once per connection. A report calls these
-- twice, and planning was most of their cost.
CREATE OR REPLACE FUNCTION tile_dirty_record(grp text, geoms geometry[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tile_dirty (grp, minx, miny, maxx, maxy)
    SELECT DISTINCT grp, ST_XMin(g), ST_YMin(g), ST_XMax(g), ST_YMax(g)
    FROM unnest(geoms) AS g WHERE g IS NOT NULL;
END $$;

CREATE OR REPLACE FUNCTION tile_dirty_extent(grp text, e box2d) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tile_dirty (grp, minx, miny, maxx, maxy)
    SELECT grp, ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) WHERE e IS NOT NULL;
END $$;

-- The wall's per-area counts: the districts' boxes straight into tile_dirty, rather than
-- their whole outlines (thousands of points each) copied into an array first.
CREATE OR REPLACE FUNCTION tile_dirty_case_areas() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tile_dirty (grp, minx, miny, maxx, maxy)
    SELECT DISTINCT 'case_areas', ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b)
    FROM (SELECT Box2D(v.geom) AS b
          FROM area a JOIN area_version v ON v.area_id = a.id AND v.valid_to IS NULL
          WHERE a.code IN (SELECT left(area_code, 6) FROM new_rows)) d;
    RETURN NULL;
END $$;

-- What a reporter's receipt names (gisapp/cases/receipt.py): the area's path from the
-- community down, as area_path() gives it, and the office to call, the nearest one up the
-- tree with a phone. Walked up parent by parent with plans kept per connection (the
-- recursive SQL functions were planned again on every call), and called by the report's
-- own statement (gisapp/cases/queries/case_report.sql), so a report costs no extra round
-- trip for its receipt. A code not found: all NULL.
CREATE OR REPLACE FUNCTION area_receipt(p_code text,
    OUT area_path text, OUT office_name text, OUT office_phone text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    r        record;
    names    text[] := '{}';
    path_end boolean := false;
BEGIN
    SELECT a.parent_id, a.level, a.name, a.office_name, a.office_phone INTO r
    FROM area a WHERE a.code = p_code;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    LOOP
        IF NOT path_end THEN          -- area_path(): up to the first area at level 3 or above
            names := r.name || names;
            path_end := r.level <= 3;
        END IF;
        IF office_phone IS NULL AND r.office_phone IS NOT NULL THEN
            office_name := r.office_name;
            office_phone := r.office_phone;
        END IF;
        EXIT WHEN (path_end AND office_phone IS NOT NULL) OR r.parent_id IS NULL;
        SELECT a.parent_id, a.level, a.name, a.office_name, a.office_phone INTO r
        FROM area a WHERE a.id = r.parent_id;
        EXIT WHEN NOT FOUND;
    END LOOP;
    area_path := array_to_string(names, ' ');
END $$;

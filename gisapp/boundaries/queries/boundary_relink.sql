-- Re-link what lies in the changed territory to the areas as they now stand, by the one
-- locate rule (locate_leaf): households and facilities by their point, buildings by a
-- point on their footprint, open cases by their point (closed ones keep the areas they
-- were closed under). The changed territory is the old and new extent of the children
-- whose boundary changed; everything deeper that changed lies inside it.
--
-- The rule is applied to the leaves that meet that territory, not through locate_leaf()
-- per point: any leaf that covers a point of the territory meets it, so the smallest code
-- among these is locate_leaf's answer, without searching every level's polygons (a whole
-- district's among them) once per point. tests/test_editor.py checks the two agree.
WITH region AS (
    SELECT ST_Union(g) AS geom FROM (
        SELECT old_geom AS g FROM boundary_plan
        WHERE level = :level AND action IN ('version', 'retire')
        UNION ALL
        SELECT geom FROM boundary_plan
        WHERE level = :level AND action IN ('version', 'create', 'resurrect')) s
), leaves AS MATERIALIZED (
    SELECT a.id, a.code, v.geom
    FROM region r
    JOIN area_version v ON v.valid_to IS NULL AND ST_Intersects(v.geom, r.geom)
    JOIN area a ON a.id = v.area_id
    WHERE NOT EXISTS (SELECT 1 FROM area c JOIN area_version cv ON cv.area_id = c.id
                      WHERE c.parent_id = a.id AND cv.valid_to IS NULL)
), home_moves AS MATERIALIZED (
    -- Computed first, so the updates below join the few rows that move by primary key
    -- (a join the planner cannot size would otherwise hash the whole table).
    SELECT id, old, leaf FROM (
        SELECT h.id, h.area_id AS old,
               (SELECT l.id FROM leaves l WHERE ST_Covers(l.geom, h.geom)
                ORDER BY l.code LIMIT 1) AS leaf
        FROM household h, region r WHERE ST_Covers(r.geom, h.geom)) n
    WHERE old IS DISTINCT FROM leaf
), homes AS (
    UPDATE household h SET area_id = m.leaf
    FROM home_moves m
    WHERE h.id = m.id
    RETURNING m.old, m.leaf
), building_moves AS MATERIALIZED (
    SELECT id, leaf FROM (
        SELECT b.id, b.area_id AS old,
               (SELECT l.id FROM leaves l WHERE ST_Covers(l.geom, ST_PointOnSurface(b.geom))
                ORDER BY l.code LIMIT 1) AS leaf
        FROM building b, region r
        -- (ST_Intersects first: it can use the index on building.geom)
        WHERE ST_Intersects(r.geom, b.geom) AND ST_Covers(r.geom, ST_PointOnSurface(b.geom))) n
    WHERE old IS DISTINCT FROM leaf
), buildings AS (
    UPDATE building b SET area_id = m.leaf
    FROM building_moves m
    WHERE b.id = m.id
    RETURNING b.id
), facility_moves AS MATERIALIZED (
    SELECT id, leaf FROM (
        SELECT f.id, f.area_id AS old,
               (SELECT l.id FROM leaves l WHERE ST_Covers(l.geom, f.geom)
                ORDER BY l.code LIMIT 1) AS leaf
        FROM facility f, region r WHERE ST_Covers(r.geom, f.geom)) n
    WHERE old IS DISTINCT FROM leaf
), facilities AS (
    UPDATE facility f SET area_id = m.leaf
    FROM facility_moves m
    WHERE f.id = m.id
    RETURNING f.id
), case_moves AS MATERIALIZED (
    SELECT id, leaf FROM (
        SELECT c.id, c.area_id AS old,
               (SELECT l.id FROM leaves l WHERE ST_Covers(l.geom, c.geom)
                ORDER BY l.code LIMIT 1) AS leaf
        FROM case_file c, region r
        WHERE ST_Covers(r.geom, c.geom) AND c.state <> ALL(:final_states)) n
    WHERE leaf IS NOT NULL AND old IS DISTINCT FROM leaf
), cases AS (
    UPDATE case_file c SET area_id = m.leaf, area_code = a.code
    FROM case_moves m JOIN area a ON a.id = m.leaf
    WHERE c.id = m.id
    RETURNING c.id
)
SELECT (SELECT count(*) FROM homes) AS households,
       (SELECT count(*) FROM buildings) AS buildings,
       (SELECT count(*) FROM facilities) AS facilities,
       (SELECT count(*) FROM cases) AS open_cases,
       ARRAY(SELECT old FROM homes WHERE old IS NOT NULL
             UNION SELECT leaf FROM homes WHERE leaf IS NOT NULL) AS count_areas

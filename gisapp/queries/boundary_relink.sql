-- Re-link what lies in the changed territory to the areas as they now stand, by the one
-- locate rule (locate_leaf): households and facilities by their point, buildings by a
-- point on their footprint, open cases by their point (closed ones keep the areas they
-- were closed under). The changed territory is the old and new extent of the children
-- whose boundary changed; everything deeper that changed lies inside it.
WITH region AS (
    SELECT ST_Union(g) AS geom FROM (
        SELECT old_geom AS g FROM boundary_plan
        WHERE level = :level AND action IN ('version', 'retire')
        UNION ALL
        SELECT geom FROM boundary_plan
        WHERE level = :level AND action IN ('version', 'create', 'resurrect')) s
), homes AS (
    UPDATE household h SET area_id = n.leaf
    FROM (SELECT h.id, h.area_id AS old, locate_leaf(h.geom) AS leaf
          FROM household h, region r WHERE ST_Covers(r.geom, h.geom)) n
    WHERE h.id = n.id AND h.area_id IS DISTINCT FROM n.leaf
    RETURNING n.old, n.leaf
), buildings AS (
    UPDATE building b SET area_id = n.leaf
    FROM (SELECT b.id, locate_leaf(ST_PointOnSurface(b.geom)) AS leaf
          FROM building b, region r WHERE ST_Covers(r.geom, ST_PointOnSurface(b.geom))) n
    WHERE b.id = n.id AND b.area_id IS DISTINCT FROM n.leaf
    RETURNING b.id
), facilities AS (
    UPDATE facility f SET area_id = n.leaf
    FROM (SELECT f.id, locate_leaf(f.geom) AS leaf
          FROM facility f, region r WHERE ST_Covers(r.geom, f.geom)) n
    WHERE f.id = n.id AND f.area_id IS DISTINCT FROM n.leaf
    RETURNING f.id
), cases AS (
    UPDATE case_file c SET area_id = n.leaf, area_code = a.code
    FROM (SELECT c.id, locate_leaf(c.geom) AS leaf
          FROM case_file c, region r
          WHERE ST_Covers(r.geom, c.geom) AND c.state <> ALL(:final_states)) n
    JOIN area a ON a.id = n.leaf
    WHERE c.id = n.id AND c.area_id IS DISTINCT FROM n.leaf
    RETURNING c.id
)
SELECT (SELECT count(*) FROM homes) AS households,
       (SELECT count(*) FROM buildings) AS buildings,
       (SELECT count(*) FROM facilities) AS facilities,
       (SELECT count(*) FROM cases) AS open_cases,
       ARRAY(SELECT old FROM homes WHERE old IS NOT NULL
             UNION SELECT leaf FROM homes WHERE leaf IS NOT NULL) AS count_areas

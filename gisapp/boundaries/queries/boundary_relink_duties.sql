-- Duties on retired areas move to the successor: the live area of the same level that
-- took the largest share of the retired territory (or of the level above, if none did).
-- Duties that already ended stay where they were served.
-- A share is measured by ST_Intersection (GEOS's robust overlay), not tested with
-- ST_Relate: siblings cut from one proposal can meet along edges that ST_Relate cannot
-- compare ("side location conflict", a 500 on merging a split community back), and a
-- sliver along a shared edge (under 1% of the retired territory) is not a share.
WITH gone AS (
    SELECT area_id, level, old_geom FROM boundary_plan WHERE action = 'retire'
), heir AS (
    SELECT DISTINCT ON (g.area_id) g.area_id AS old_id, c.id AS new_id
    FROM gone g
    JOIN area_current c ON c.level IN (g.level, g.level - 1)
                       AND c.geom && g.old_geom     -- (the index narrows what is measured)
    CROSS JOIN LATERAL (SELECT ST_Area(ST_Intersection(c.geom, g.old_geom)) AS shared) s
    WHERE s.shared > 0.01 * ST_Area(g.old_geom)
    ORDER BY g.area_id, c.level DESC, s.shared DESC, c.code
)
UPDATE duty d SET area_id = h.new_id
FROM heir h
WHERE d.area_id = h.old_id AND (d.ends_on IS NULL OR d.ends_on >= current_date)
RETURNING d.id

-- Duties on retired areas move to the successor: the live area of the same level that
-- took the largest share of the retired territory (or of the level above, if none did).
-- Duties that already ended stay where they were served.
WITH gone AS (
    SELECT area_id, level, old_geom FROM boundary_plan WHERE action = 'retire'
), heir AS (
    SELECT DISTINCT ON (g.area_id) g.area_id AS old_id, c.id AS new_id
    FROM gone g
    JOIN area_current c ON c.level IN (g.level, g.level - 1)
                       AND c.geom && g.old_geom     -- (the index narrows what ST_Relate tests)
                       AND ST_Relate(c.geom, g.old_geom, '2********')
    ORDER BY g.area_id, c.level DESC, ST_Area(ST_Intersection(c.geom, g.old_geom)) DESC, c.code
)
UPDATE duty d SET area_id = h.new_id
FROM heir h
WHERE d.area_id = h.old_id AND (d.ends_on IS NULL OR d.ends_on >= current_date)
RETURNING d.id

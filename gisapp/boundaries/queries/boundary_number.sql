-- Create the new areas of one level: each gets its parent's code plus the next free
-- 3-digit sequence (retired codes count as taken, so no code is ever reused), numbered
-- north to south, then west to east, by a point on each. Derived areas take the office of
-- the area they were cut from.
WITH todo AS (
    SELECT p.key, p.parent_id, p.name, p.source_id,
           row_number() OVER (PARTITION BY p.parent_id
                              ORDER BY ST_Y(ST_PointOnSurface(p.geom)) DESC,
                                       ST_X(ST_PointOnSurface(p.geom)), p.key) AS n
    FROM boundary_plan p
    WHERE p.level = :level AND p.action = 'create' AND p.area_id IS NULL
), numbered AS (
    SELECT t.key, t.parent_id, t.name, t.source_id,
           par.code || lpad((coalesce(top.n, 0) + t.n)::text, 3, '0') AS code
    FROM todo t
    JOIN area par ON par.id = t.parent_id
    CROSS JOIN LATERAL (SELECT max(right(a.code, 3)::int) AS n
                        FROM area a WHERE a.parent_id = t.parent_id) top
), created AS (
    INSERT INTO area (code, level, parent_id, name, office_name, office_phone, created_at)
    SELECT n.code, :level, n.parent_id, n.name, s.office_name, s.office_phone, :t
    FROM numbered n LEFT JOIN area s ON s.id = n.source_id
    RETURNING id, code
)
UPDATE boundary_plan p SET area_id = c.id, code = c.code
FROM numbered n JOIN created c ON c.code = n.code
WHERE p.key = n.key

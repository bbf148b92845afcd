-- The communities or grids (:level 3 or 4) inside :scope, named by their community and
-- themselves ("第3网格" alone is ambiguous).
SELECT a.code AS subject, a.code AS area_code,
       CASE WHEN a.level = 3 THEN a.name ELSE coalesce(p.name || ' ', '') || a.name END AS label
FROM area a
LEFT JOIN area p ON p.id = a.parent_id
WHERE a.level = :level AND a.retired_at IS NULL AND a.code LIKE :scope || '%'
ORDER BY a.code

-- The first child with nothing wider than the tolerance inside the parent (a sliver).
SELECT p.submitted, p.code, ST_AsGeoJSON(p.geom, 7)::json AS geometry
FROM boundary_plan p JOIN area_current parent ON parent.id = p.parent_id
WHERE p.level = :level AND p.geom IS NOT NULL
  AND boundary_wide_parts(ST_Intersection(p.geom, parent.geom), :tol_m) IS NULL
ORDER BY p.submitted
LIMIT 1

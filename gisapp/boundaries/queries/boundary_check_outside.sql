-- The first child reaching outside the parent by more than the tolerance, and that part.
SELECT p.submitted, p.code, ST_AsGeoJSON(w.g, 7)::json AS geometry,
       round(ST_Area(w.g::geography))::bigint AS area_m2
FROM boundary_plan p
JOIN area_current parent ON parent.id = p.parent_id
CROSS JOIN LATERAL (
    SELECT boundary_wide_parts(ST_Difference(p.geom, parent.geom), :tol_m) AS g) w
WHERE p.level = :level AND p.geom IS NOT NULL AND NOT ST_CoveredBy(p.geom, parent.geom)
  AND w.g IS NOT NULL
ORDER BY p.submitted
LIMIT 1

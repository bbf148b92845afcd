-- The first pair of children overlapping by more than the tolerance, and the overlap.
SELECT a.submitted, a.code, b.submitted AS other, b.code AS other_code,
       ST_AsGeoJSON(w.g, 7)::json AS geometry, round(ST_Area(w.g::geography))::bigint AS area_m2
FROM boundary_plan a
JOIN boundary_plan b ON b.level = a.level AND a.submitted < b.submitted
                    AND ST_Intersects(a.geom, b.geom)
CROSS JOIN LATERAL (
    SELECT boundary_wide_parts(ST_Intersection(a.geom, b.geom), :tol_m) AS g) w
WHERE a.level = :level AND w.g IS NOT NULL
ORDER BY a.submitted, b.submitted
LIMIT 1

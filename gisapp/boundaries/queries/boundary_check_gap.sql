-- What of the parent the children leave uncovered, beyond the tolerance (NULL: nothing).
SELECT ST_AsGeoJSON(w.g, 7)::json AS geometry, round(ST_Area(w.g::geography))::bigint AS area_m2
FROM (
    SELECT boundary_wide_parts(ST_Difference(parent.geom, ST_Union(p.geom)), :tol_m) AS g
    FROM boundary_plan p JOIN area_current parent ON parent.id = p.parent_id
    WHERE p.level = :level AND p.geom IS NOT NULL
    GROUP BY parent.geom
) w
WHERE w.g IS NOT NULL

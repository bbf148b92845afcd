-- The children of the parent as the save leaves them (what the editor redraws).
SELECT p.code, p.name, p.action, ST_AsGeoJSON(p.geom, 15)::json AS geometry
FROM boundary_plan p
WHERE p.level = :level AND p.geom IS NOT NULL
ORDER BY p.code

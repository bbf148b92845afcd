-- The first submitted child whose geometry is not valid, with the reason and the spot.
SELECT p.submitted, p.code, ST_IsValidReason(p.geom) AS reason,
       ST_AsGeoJSON(p.geom, 7)::json AS geometry,
       ST_AsGeoJSON((ST_IsValidDetail(p.geom)).location, 7)::json AS location
FROM boundary_plan p
WHERE p.geom IS NOT NULL AND NOT ST_IsValid(p.geom)
ORDER BY p.submitted
LIMIT 1

-- Which current child of a parent a proposed part was saved as: the one holding a point
-- inside the part (saving snaps edges by at most the tolerance, never this far).
SELECT c.code
FROM area_current c JOIN area p ON p.id = c.parent_id
WHERE p.code = :parent
  AND ST_Covers(c.geom, ST_PointOnSurface(ST_SetSRID(ST_GeomFromGeoJSON(:g), 4326)))
ORDER BY c.code
LIMIT 1

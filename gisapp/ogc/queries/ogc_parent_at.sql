-- The current area of :level whose polygon holds a point inside the drawn polygon.
SELECT a.code
FROM area_current a
WHERE a.level = :level
  AND ST_Covers(a.geom, ST_PointOnSurface(ST_SetSRID(ST_GeomFromGeoJSON(:polygon), 4326)))
ORDER BY a.code
LIMIT 1

-- The current area with this code at this level, and a point on it for the map.
SELECT a.id AS area_id, a.code AS area_code, a.name AS area_name,
       ST_AsEWKT(ST_PointOnSurface(v.geom)) AS point
FROM area a
JOIN area_version v ON v.area_id = a.id AND v.valid_to IS NULL
WHERE a.code = :code AND a.level = :level AND a.retired_at IS NULL

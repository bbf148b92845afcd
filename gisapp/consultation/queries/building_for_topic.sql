-- A building, its leaf area and a point on it.
SELECT b.id AS building_id, b.name AS building_name, a.id AS area_id, a.code AS area_code,
       a.name AS area_name, ST_AsEWKT(ST_PointOnSurface(b.geom)) AS point
FROM building b
JOIN area a ON a.id = b.area_id
WHERE b.id = :building_id

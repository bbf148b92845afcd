-- The current children of an area, at full precision, for building a new children set.
SELECT c.code, c.name, c.version, ST_AsGeoJSON(c.geom, 15)::json AS geometry
FROM area_current c
WHERE c.parent_id = (SELECT id FROM area WHERE code = :parent)
ORDER BY c.code

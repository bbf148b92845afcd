-- Households of one district in a stable pseudo-random order: where demo cases happen.
SELECT ST_X(h.geom) AS lng, ST_Y(h.geom) AS lat, h.area_id, a.code
FROM household h JOIN area a ON a.id = h.area_id
WHERE a.code LIKE :district || '%'
ORDER BY md5(h.id::text || :seed)
LIMIT :n

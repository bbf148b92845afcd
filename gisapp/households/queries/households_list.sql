SELECT h.id, h.building_id, b.name AS building, h.unit, h.room, h.head_name, h.phone,
       h.members, h.colour, h.tags, ST_X(h.geom) AS lng, ST_Y(h.geom) AS lat,
       a.code AS area_code, a.name AS area_name
FROM household h
JOIN area a ON a.id = h.area_id
LEFT JOIN building b ON b.id = h.building_id
WHERE a.code LIKE :prefix || '%'
  AND a.code LIKE ANY(CAST(:patterns AS text[]))
  AND (CAST(:colour AS smallint) IS NULL OR h.colour = CAST(:colour AS smallint))
  AND (CAST(:q AS text) IS NULL OR h.head_name LIKE '%' || CAST(:q AS text) || '%'
       OR h.room = CAST(:q AS text))
ORDER BY a.code, h.id
LIMIT :limit OFFSET :offset

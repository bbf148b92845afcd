-- The households themselves that are farther than :d metres from every facility of :kind,
-- only inside :patterns (the areas whose households the viewer may see in person), with
-- the distance to the nearest facility of the kind (NULL when there is none at all).
SELECT h.id, a.code AS area_code, area_path(a.id) AS area_name, h.colour, h.tags,
       ST_X(h.geom) AS lng, ST_Y(h.geom) AS lat,
       round(ST_Distance(n.geom::geography, h.geom::geography)::numeric, 1)::float8 AS nearest_m
FROM household h
JOIN area a ON a.id = h.area_id
LEFT JOIN LATERAL (
    SELECT f.geom FROM facility f WHERE f.kind = :kind
    ORDER BY f.geom::geography <-> h.geom::geography LIMIT 1
) n ON true
WHERE a.code LIKE :prefix || '%'
  AND a.code LIKE ANY(CAST(:patterns AS text[]))
  AND (CAST(:colour AS smallint) IS NULL OR h.colour = CAST(:colour AS smallint))
  AND (CAST(:tag AS text) IS NULL OR h.tags @> ARRAY[CAST(:tag AS text)])
  AND NOT EXISTS (SELECT 1 FROM facility f
                  WHERE f.kind = :kind AND ST_DWithin(f.geom::geography, h.geom::geography, :d))
ORDER BY a.code, h.id
LIMIT :limit

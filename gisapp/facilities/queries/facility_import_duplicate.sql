SELECT id FROM facility
WHERE kind = :kind AND name = :name
  AND ST_DWithin(geom::geography, ST_SetSRID(ST_MakePoint(:lng, :lat), 4326)::geography, :m)
LIMIT 1

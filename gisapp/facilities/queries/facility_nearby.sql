-- Facilities within the given metres (straight line) of a point, nearest first; the public
-- sees only those open to the public.
SELECT f.id, f.kind, k.name_zh AS kind_zh, f.name, f.address, f.phone, f.opening_hours,
       ST_X(f.geom) AS lng, ST_Y(f.geom) AS lat,
       round(ST_Distance(f.geom::geography, p.g)::numeric)::int AS distance_m
FROM facility f JOIN facility_kind k ON k.kind = f.kind,
     (SELECT ST_SetSRID(ST_MakePoint(:lng, :lat), 4326)::geography AS g) p
WHERE ST_DWithin(f.geom::geography, p.g, :metres)
  AND (f.is_public OR :staff)
ORDER BY ST_Distance(f.geom::geography, p.g), f.id
LIMIT :limit

-- The facilities of a kind nearest to a point, distance in metres on the spheroid.
-- The index orders candidates by sphere distance (KNN <-> on geography); a few more
-- than asked are taken so the exact spheroid distance can settle the final order.
WITH here AS (SELECT ST_SetSRID(ST_MakePoint(:lng, :lat), 4326)::geography AS g),
candidates AS (
    SELECT f.id
    FROM facility f, here
    WHERE f.kind = :kind AND (NOT :public_only OR f.is_public)
    ORDER BY f.geom::geography <-> here.g
    LIMIT :candidates
)
SELECT f.id, f.kind, k.name_zh AS kind_name, f.name, f.address, f.phone, f.capacity,
       f.opening_hours, f.is_public, ST_X(f.geom) AS lng, ST_Y(f.geom) AS lat,
       a.code AS area_code, a.name AS area_name,
       round(ST_Distance(f.geom::geography, here.g)::numeric, 1)::float8 AS distance_m
FROM candidates c
JOIN facility f ON f.id = c.id
JOIN facility_kind k ON k.kind = f.kind
LEFT JOIN area a ON a.id = f.area_id
CROSS JOIN here
ORDER BY ST_Distance(f.geom::geography, here.g), f.id
LIMIT :limit

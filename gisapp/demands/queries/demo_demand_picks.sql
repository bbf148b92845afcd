-- Households where demo demands are raised: about :n per community, in a stable
-- pseudo-random order (as demo_case_picks.sql), with their leaf areas.
WITH ranked AS (
    SELECT h.id, h.geom, h.area_id, a.code,
           row_number() OVER (PARTITION BY left(a.code, 12) ORDER BY md5(h.id::text || :seed)) AS k,
           abs(hashtext(left(a.code, 12) || :seed)) % (2 * :n + 1) AS quota
    FROM household h JOIN area a ON a.id = h.area_id
    WHERE length(a.code) >= 12
)
SELECT ST_X(geom) AS lng, ST_Y(geom) AS lat, area_id, code FROM ranked
WHERE k <= quota
ORDER BY code, k

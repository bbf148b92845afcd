-- The review's measures of every current community over :over households inside the
-- jurisdiction (:patterns), from its current boundary and the homes inside it:
-- area and perimeter on the spheroid (geography), Polsby-Popper compactness 4πA/P², area
-- over convex-hull area, households per km², the shares of households in managed and in
-- stand-alone buildings, and the spread of homes: the household-weighted mean distance, in
-- metres, of the places (a building, or a household's own point) to their centroid.
WITH community AS (
    SELECT a.code, a.name, a.households, a.geom
    FROM area_current a
    WHERE a.level = 3 AND a.households > :over AND a.code LIKE ANY(:patterns)
),
place AS (
    SELECT left(l.code, 12) AS code, h.building_id, count(*) AS n,
           avg(ST_X(h.geom)) AS x, avg(ST_Y(h.geom)) AS y
    FROM household h
    JOIN area l ON l.id = h.area_id
    WHERE l.retired_at IS NULL AND left(l.code, 12) IN (SELECT code FROM community)
    GROUP BY 1, 2, CASE WHEN h.building_id IS NULL THEN h.id END
),
place_kind AS (
    SELECT p.*, coalesce(b.managed, false) AS managed, coalesce(b.standalone, false) AS standalone
    FROM place p LEFT JOIN building b ON b.id = p.building_id
),
centre AS (
    SELECT code, sum(n) AS homes, sum(n * x) / sum(n) AS cx, sum(n * y) / sum(n) AS cy,
           coalesce(sum(n) FILTER (WHERE managed), 0) AS managed_n,
           coalesce(sum(n) FILTER (WHERE standalone), 0) AS standalone_n
    FROM place_kind GROUP BY code
),
spread AS (
    SELECT p.code, sum(p.n * ST_Distance(ST_MakePoint(p.x, p.y)::geography,
                                         ST_MakePoint(c.cx, c.cy)::geography, false)) / sum(p.n) AS m
    FROM place_kind p JOIN centre c USING (code)
    GROUP BY p.code
)
SELECT c.code, c.name, c.households, left(c.code, 9) AS street,
       round((g.area_m2 / 1e6)::numeric, 4)::float8 AS area_km2,
       round((c.households / nullif(g.area_m2 / 1e6, 0))::numeric)::float8 AS density,
       round((4 * pi() * g.area_m2 / nullif(g.perimeter_m ^ 2, 0))::numeric, 3)::float8 AS compactness,
       round((g.area_m2 / nullif(g.hull_m2, 0))::numeric, 3)::float8 AS hull_ratio,
       round((coalesce(k.managed_n::float8 / nullif(k.homes, 0), 0))::numeric, 3)::float8 AS managed_share,
       round((coalesce(k.standalone_n::float8 / nullif(k.homes, 0), 0))::numeric, 3)::float8 AS standalone_share,
       round(coalesce(s.m, 0)::numeric)::float8 AS spread_m
FROM community c
CROSS JOIN LATERAL (
    SELECT ST_Area(c.geom::geography) AS area_m2, ST_Perimeter(c.geom::geography) AS perimeter_m,
           ST_Area(ST_ConvexHull(c.geom)::geography) AS hull_m2
) g
LEFT JOIN centre k ON k.code = c.code
LEFT JOIN spread s ON s.code = c.code
ORDER BY c.code

-- The review's measures of every current community over :over households inside the
-- jurisdiction (:patterns), from its current boundary and the homes inside it:
-- area and perimeter in the local UTM zone (boundary_metric_srid), Polsby-Popper compactness 4πA/P², area
-- over convex-hull area, households per km², the shares of households in managed and in
-- stand-alone buildings, and the spread of homes: the household-weighted mean distance, in
-- metres, of the places (a building, or a household's own point) to their centroid.
WITH community AS (
    SELECT a.code, a.name, a.households, a.geom
    FROM area_current a
    WHERE a.level = 3 AND a.households > :over AND a.code LIKE ANY(:patterns)
),
-- Each building is weighed by its household count (building.households, kept by
-- triggers, sql/200_plan_review.sql) at its point on surface; a household without a
-- building is a place of its own.
place AS (
    SELECT left(l.code, 12) AS code, b.households AS n, ST_X(p) AS x, ST_Y(p) AS y,
           b.managed, b.standalone
    FROM building b
    JOIN area l ON l.id = b.area_id
    CROSS JOIN LATERAL ST_PointOnSurface(b.geom) p
    WHERE b.households > 0 AND l.code LIKE ANY(:patterns)
    UNION ALL
    SELECT left(l.code, 12), 1, ST_X(h.geom), ST_Y(h.geom), false, false
    FROM household h
    JOIN area l ON l.id = h.area_id
    WHERE h.building_id IS NULL AND l.code LIKE ANY(:patterns)
),
centre AS (
    SELECT code, sum(n) AS homes, sum(n * x) / sum(n) AS cx, sum(n * y) / sum(n) AS cy,
           coalesce(sum(n) FILTER (WHERE managed), 0) AS managed_n,
           coalesce(sum(n) FILTER (WHERE standalone), 0) AS standalone_n
    FROM place WHERE code IN (SELECT code FROM community) GROUP BY code
),
spread AS (
    SELECT p.code, sum(p.n * ST_Distance(ST_MakePoint(p.x, p.y)::geography,
                                         ST_MakePoint(c.cx, c.cy)::geography, false)) / sum(p.n) AS m
    FROM place p JOIN centre c USING (code)
    WHERE p.code IN (SELECT code FROM community)
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
    SELECT ST_Area(m) AS area_m2, ST_Perimeter(m) AS perimeter_m, ST_Area(ST_ConvexHull(m)) AS hull_m2
    FROM ST_Transform(c.geom, boundary_metric_srid(c.geom)) m
) g
LEFT JOIN centre k ON k.code = c.code
LEFT JOIN spread s ON s.code = c.code
ORDER BY c.code

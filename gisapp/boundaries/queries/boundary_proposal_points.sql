-- Where the households of one area live, for proposing a split: each building's point on
-- its footprint with its household count, and households without a building grouped by
-- their own point. Parts are built from these, so a building is never cut in two.
WITH area AS (SELECT geom FROM area_current WHERE code = :code),
homes AS (
    SELECT h.building_id, h.geom FROM household h, area a WHERE ST_Covers(a.geom, h.geom)
)
SELECT ST_X(p) AS x, ST_Y(p) AS y, n FROM (
    SELECT ST_PointOnSurface(b.geom) AS p, count(*) AS n
    FROM homes JOIN building b ON b.id = homes.building_id
    GROUP BY b.id
    UNION ALL
    SELECT (array_agg(geom))[1], count(*) FROM homes WHERE building_id IS NULL
    GROUP BY ST_SnapToGrid(geom, 1e-7)
) s
ORDER BY x, y

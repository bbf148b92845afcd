-- The extent of the districts held (the demo may hold one district, the city ten), for
-- the wall's first view: [west, south, east, north], or NULLs when there are none.
SELECT ST_XMin(e) AS west, ST_YMin(e) AS south, ST_XMax(e) AS east, ST_YMax(e) AS north
FROM (SELECT ST_Extent(geom) AS e FROM area_current WHERE level = 1) t

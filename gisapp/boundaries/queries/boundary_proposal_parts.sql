-- The parts of a proposed split: the Voronoi cells of the households' places, joined by
-- the part each place was given and clipped to the area, so the parts tessellate it and
-- every edge between two parts runs midway between the nearest buildings on either side.
WITH area AS (SELECT geom FROM area_current WHERE code = :code),
places AS (
    SELECT ST_SetSRID(ST_MakePoint(p.x, p.y), 4326) AS geom, p.part, p.n
    FROM json_to_recordset(CAST(:places AS json)) AS p (x float8, y float8, part integer, n integer)
),
cells AS (
    SELECT row_number() OVER () AS id, d.geom
    FROM area a, LATERAL ST_Dump(ST_VoronoiPolygons(
        (SELECT ST_Collect(geom) FROM places), 0, ST_Expand(a.geom, 0.01))) d
),
owned AS (
    -- A cell holds exactly one place (places at one spot are merged by the Voronoi).
    SELECT DISTINCT ON (c.id) c.id, c.geom, p.part
    FROM cells c JOIN places p ON ST_Intersects(c.geom, p.geom)
    ORDER BY c.id, p.n DESC
)
SELECT o.part,
       (SELECT coalesce(sum(n), 0) FROM places p WHERE p.part = o.part) AS households,
       ST_AsGeoJSON(boundary_polygonal(ST_Intersection(ST_Union(o.geom), a.geom)), 15)::json
           AS geometry
FROM owned o CROSS JOIN area a
GROUP BY o.part, a.geom
ORDER BY o.part

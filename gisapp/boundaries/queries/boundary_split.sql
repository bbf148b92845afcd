-- The pieces of a live area cut by a line, largest first.
SELECT ST_AsGeoJSON(d.geom, 15)::json AS geometry,
       round(ST_Area(d.geom::geography))::bigint AS area_m2
FROM area_current a
CROSS JOIN LATERAL ST_Dump(ST_CollectionExtract(
    ST_Split(a.geom, ST_SetSRID(ST_GeomFromGeoJSON(:line), 4326)), 3)) d
WHERE a.code = :code
ORDER BY ST_Area(d.geom) DESC

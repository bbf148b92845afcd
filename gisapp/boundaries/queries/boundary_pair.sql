-- Two live areas about to be merged: whether they are siblings, how long an edge they
-- share in metres, and their union.
SELECT a.parent_id = b.parent_id AS siblings,
       coalesce(ST_Length(ST_CollectionExtract(ST_Intersection(a.geom, b.geom), 2)::geography),
                0) AS shared_m,
       ST_AsGeoJSON(ST_Union(a.geom, b.geom), 15)::json AS geometry
FROM area_current a, area_current b
WHERE a.code = :code AND b.code = :other

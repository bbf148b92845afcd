-- OGC API Part 4 writes: what each current child of :parent keeps once a new or reshaped
-- sibling takes the drawn polygon out of it (NULL when nothing wider than the tolerance
-- is left: that child is retired). The reshaped area itself (:skip) is left out.
WITH drawn AS (SELECT ST_SetSRID(ST_GeomFromGeoJSON(:polygon), 4326) AS g)
SELECT c.code, c.name, c.version,
       ST_AsGeoJSON(boundary_wide_parts(ST_Difference(c.geom, d.g), :tol_m), 15)::json AS geometry
FROM area_current c CROSS JOIN drawn d
WHERE c.parent_id = (SELECT id FROM area WHERE code = :parent)
  AND c.code IS DISTINCT FROM CAST(:skip AS text)
ORDER BY c.code

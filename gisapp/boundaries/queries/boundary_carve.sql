-- A new child drawn inside a parent: the drawn polygon clipped to the parent, what each
-- current child keeps once the polygon is taken out of it (NULL when nothing wider than
-- the tolerance is left: that child is retired), and what of the parent the polygon
-- leaves (the rest of a parent that had no children yet). Nothing is computed from an
-- invalid drawing; `valid` and `reason` say why.
WITH drawn AS (SELECT ST_Force2D(ST_SetSRID(ST_GeomFromGeoJSON(:polygon), 4326)) AS g),
parent AS (SELECT id, geom FROM area_current WHERE code = :parent)
SELECT ST_IsValid(d.g) AS valid, ST_IsValidReason(d.g) AS reason,
       CASE WHEN ST_IsValid(d.g) THEN
           ST_AsGeoJSON(boundary_wide_parts(ST_Intersection(d.g, p.geom), :tol_m), 15)::json
       END AS piece,
       CASE WHEN ST_IsValid(d.g) THEN
           ST_AsGeoJSON(boundary_wide_parts(ST_Difference(p.geom, d.g), :tol_m), 15)::json
       END AS remainder,
       CASE WHEN ST_IsValid(d.g) THEN (
           SELECT coalesce(json_object_agg(c.code, ST_AsGeoJSON(
                      boundary_wide_parts(ST_Difference(c.geom, d.g), :tol_m), 15)::json), '{}')
           FROM area_current c WHERE c.parent_id = p.id)
       END AS rest
FROM drawn d CROSS JOIN parent p

-- The children of a parent as they stood at a moment (for a revert), with their state now.
SELECT t.code, a.name, a.retired_at IS NOT NULL AS retired,
       (SELECT max(v.version) FROM area_version v WHERE v.area_id = a.id) AS version,
       ST_AsGeoJSON(t.geom, 15)::json AS geometry
FROM area_at(:t) t JOIN area a ON a.id = t.id
WHERE t.parent_id = :parent_id
ORDER BY t.code

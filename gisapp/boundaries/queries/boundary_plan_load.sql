-- The submitted children of one parent (JSON from the validated request), then every
-- current child the request left out, to be retired.
WITH submitted AS (
    INSERT INTO boundary_plan (level, parent_id, area_id, code, name, old_name, old_version,
                               old_geom, geom, submitted, action)
    SELECT :level, :parent_id, a.id, a.code, coalesce(c.name, a.name), a.name, last.version,
           last.geom, ST_Force2D(ST_SetSRID(ST_GeomFromGeoJSON(c.geometry), 4326)), c.i,
           CASE WHEN a.id IS NULL THEN 'create'
                WHEN a.retired_at IS NOT NULL THEN 'resurrect' ELSE 'version' END
    FROM json_to_recordset(CAST(:children AS json)) AS c (i integer, code text, name text,
                                                          geometry json)
    LEFT JOIN area a ON a.code = c.code AND a.parent_id = :parent_id
    LEFT JOIN LATERAL (
        SELECT v.version, v.geom FROM area_version v WHERE v.area_id = a.id
        ORDER BY v.version DESC LIMIT 1) last ON true
    RETURNING area_id
)
INSERT INTO boundary_plan (level, parent_id, area_id, code, name, old_name, old_version,
                           old_geom, geom, action)
SELECT :level, :parent_id, c.id, c.code, c.name, c.name, c.version, c.geom, NULL, 'retire'
FROM area_current c
WHERE c.parent_id = :parent_id
  AND c.id NOT IN (SELECT area_id FROM submitted WHERE area_id IS NOT NULL)

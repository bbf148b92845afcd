-- The latest version of each named area: what a slower editor is shown on a conflict.
-- For an area retired since, the author and reason of the save that retired it.
SELECT a.code, a.name, a.retired_at, v.version, v.valid_from, v.author, v.reason,
       ST_AsGeoJSON(v.geom, 7)::json AS geometry,
       (SELECT json_build_object('author', r.author, 'reason', r.reason)
        FROM area_version r WHERE a.retired_at IS NOT NULL AND r.valid_from = a.retired_at
        ORDER BY r.id LIMIT 1) AS retired_by
FROM area a
CROSS JOIN LATERAL (SELECT * FROM area_version WHERE area_id = a.id
                    ORDER BY version DESC LIMIT 1) v
WHERE a.code = ANY(:codes)
ORDER BY a.code

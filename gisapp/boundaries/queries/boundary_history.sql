-- Every version of one area, newest first, with who made it, when and why.
SELECT a.code, a.name, a.level, a.retired_at, par.code AS parent_code,
       coalesce(json_agg(json_build_object(
           'version', v.version, 'valid_from', v.valid_from, 'valid_to', v.valid_to,
           'author', v.author, 'reason', v.reason, 'current', v.valid_to IS NULL,
           'area_m2', round(ST_Area(v.geom::geography))::bigint,
           'geometry', ST_AsGeoJSON(v.geom, 7)::json) ORDER BY v.version DESC), '[]'::json)
           AS versions
FROM area a
LEFT JOIN area par ON par.id = a.parent_id
JOIN area_version v ON v.area_id = a.id
WHERE a.code = :code
GROUP BY a.id, par.code

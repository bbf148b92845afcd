-- What the boundary editor needs for one parent: the parent, its current children (with
-- versions and household counts) and its siblings as neighbours, all as GeoJSON.
SELECT json_build_object(
    'parent', json_build_object(
        'code', p.code, 'name', p.name, 'level', l.key, 'level_zh', l.name_zh,
        'version', p.version, 'geometry', ST_AsGeoJSON(p.geom, 7)::json,
        'households', p.households,
        'child_level', (SELECT json_build_object('key', cl.key, 'name_zh', cl.name_zh)
                        FROM area_level cl WHERE cl.level = p.level + 1),
        'ancestors', (SELECT coalesce(json_agg(json_build_object('code', a.code, 'name', a.name)
                                               ORDER BY a.level), '[]'::json)
                      FROM area a WHERE p.code LIKE a.code || '%' AND a.code <> p.code
                        AND a.retired_at IS NULL)),
    'children', (SELECT coalesce(json_agg(json_build_object(
                     'code', c.code, 'name', c.name, 'version', c.version,
                     'valid_from', c.valid_from, 'households', c.households,
                     'children', (SELECT count(*) FROM area k
                                  WHERE k.parent_id = c.id AND k.retired_at IS NULL),
                     'geometry', ST_AsGeoJSON(c.geom, 7)::json) ORDER BY c.code), '[]'::json)
                 FROM area_current c WHERE c.parent_id = p.id),
    'neighbours', (SELECT coalesce(json_agg(json_build_object(
                       'code', s.code, 'name', s.name,
                       'geometry', ST_AsGeoJSON(s.geom, 7)::json) ORDER BY s.code), '[]'::json)
                   FROM area_current s
                   WHERE s.parent_id IS NOT DISTINCT FROM p.parent_id AND s.id <> p.id)
)
FROM area_current p JOIN area_level l ON l.level = p.level
WHERE p.code = :code

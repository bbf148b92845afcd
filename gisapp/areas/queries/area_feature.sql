-- One current area as a GeoJSON Feature with its parent, child counts and household counts.
SELECT json_build_object(
    'type', 'Feature',
    'id', a.code,
    'geometry', ST_AsGeoJSON(a.geom, 7)::json,
    'properties', json_build_object(
        'id', a.id, 'code', a.code, 'name', a.name,
        -- How a page names it: the path from the district ('沙河口区 … 嘉和苑社区 第11网格').
        'path', area_path(a.id, 1::smallint), 'level', l.key, 'level_zh', l.name_zh,
        'version', a.version, 'valid_from', a.valid_from,
        'office', CASE WHEN a.office_phone IS NULL THEN NULL
                  ELSE json_build_object('name', a.office_name, 'phone', a.office_phone) END,
        'parent', (SELECT json_build_object('id', p.id, 'code', p.code, 'name', p.name)
                   FROM area p WHERE p.id = a.parent_id),
        'households', a.households,
        'colour_counts', json_build_object('red', a.colour_counts[1], 'orange', a.colour_counts[2],
                                           'yellow', a.colour_counts[3], 'blue', a.colour_counts[4],
                                           'green', a.colour_counts[5]),
        'children', (SELECT count(*) FROM area c WHERE c.parent_id = a.id AND c.retired_at IS NULL),
        'descendants', (SELECT coalesce(json_object_agg(dl.key, d.n), '{}'::json) FROM (
                            SELECT d.level, count(*) AS n FROM area d
                            WHERE d.code LIKE a.code || '%' AND d.level > a.level
                              AND d.retired_at IS NULL
                            GROUP BY d.level) d JOIN area_level dl ON dl.level = d.level),
        'on_duty', (SELECT coalesce(json_agg(json_build_object(
                        'name', p.name, 'phone', p.phone, 'role', d.role, 'role_zh', r.name_zh)
                        ORDER BY r.rank, p.name), '[]'::json)
                    FROM duty d JOIN person p ON p.id = d.person_id
                    JOIN staff_role r ON r.role = d.role
                    WHERE d.area_id = a.id AND p.active AND d.starts_on <= current_date
                      AND (d.ends_on IS NULL OR d.ends_on >= current_date)),
        'area_m2', round(ST_Area(a.geom::geography)::numeric, 0)
    )
)
FROM area_current a JOIN area_level l ON l.level = a.level
WHERE a.code = :code

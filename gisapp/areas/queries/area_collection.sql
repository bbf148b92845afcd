-- Current areas filtered by level, parent and bbox, as a FeatureCollection page.
-- Geometry is simplified to :tolerance degrees (0 = exact) for the requested zoom.
WITH matched AS (
    SELECT a.*
    FROM area_current a
    WHERE (CAST(:level AS smallint) IS NULL OR a.level = CAST(:level AS smallint))
      AND (CAST(:parent AS text) IS NULL OR a.parent_id = (SELECT id FROM area WHERE code = CAST(:parent AS text)))
      AND (CAST(:minx AS float8) IS NULL OR a.geom && ST_MakeEnvelope(:minx, :miny, :maxx, :maxy, 4326))
), page AS (
    SELECT * FROM matched ORDER BY code LIMIT :limit OFFSET :offset
)
SELECT json_build_object(
    'type', 'FeatureCollection',
    'numberMatched', (SELECT count(*) FROM matched),
    'numberReturned', (SELECT count(*) FROM page),
    'features', coalesce((SELECT json_agg(json_build_object(
        'type', 'Feature',
        'id', p.code,
        'geometry', ST_AsGeoJSON(
            CASE WHEN :tolerance > 0 THEN ST_SimplifyPreserveTopology(p.geom, :tolerance)
                 ELSE p.geom END, 7)::json,
        'properties', json_build_object(
            'id', p.id, 'code', p.code, 'name', p.name, 'level', l.key, 'level_zh', l.name_zh,
            'parent_code', CASE WHEN p.level > 1 THEN left(p.code, length(p.code) - 3) END, 'households', p.households,
            'version', p.version)
        ) ORDER BY p.code) FROM page p JOIN area_level l ON l.level = p.level), '[]'::json)
)

-- The current children of an area as a GeoJSON FeatureCollection, at full precision.
SELECT json_build_object(
    'type', 'FeatureCollection',
    'parent', :parent,
    'features', coalesce(json_agg(json_build_object(
        'type', 'Feature',
        'geometry', ST_AsGeoJSON(c.geom, 15)::json,
        'properties', json_build_object('code', c.code, 'name', c.name, 'version', c.version,
                                        'valid_from', c.valid_from, 'households', c.households))
        ORDER BY c.code), '[]'::json))
FROM area_current c
WHERE c.parent_id = (SELECT id FROM area WHERE code = :parent AND retired_at IS NULL)

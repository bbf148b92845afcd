-- What a save did, by code: new versions of continuing areas, new areas, retired areas,
-- renamed children, and the area ids whose cached counts must be refreshed.
SELECT
    coalesce(array_agg(code ORDER BY code) FILTER (WHERE action = 'version'), '{}') AS versions,
    coalesce(array_agg(code ORDER BY code) FILTER (WHERE action = 'create'), '{}') AS created,
    coalesce(array_agg(code ORDER BY code) FILTER (WHERE action = 'retire'), '{}') AS retired,
    coalesce(array_agg(code ORDER BY code) FILTER (WHERE action = 'resurrect'), '{}') AS restored,
    coalesce(array_agg(code ORDER BY code) FILTER (WHERE name <> old_name), '{}') AS renamed,
    coalesce(array_agg(area_id) FILTER (WHERE action <> 'keep'), '{}') AS touched
FROM boundary_plan

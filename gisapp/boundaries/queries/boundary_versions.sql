-- The children of an area as the version check needs them: live ones, and retired ones
-- with the last version they had.
SELECT a.code, a.retired_at IS NOT NULL AS retired,
       (SELECT max(v.version) FROM area_version v WHERE v.area_id = a.id) AS version
FROM area a
WHERE a.parent_id = :parent_id
ORDER BY a.code

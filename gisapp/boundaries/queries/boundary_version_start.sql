-- When one version of an area began, and the area's parent (for a revert).
SELECT v.valid_from, p.code AS parent_code, a.retired_at IS NOT NULL AS retired
FROM area a JOIN area_version v ON v.area_id = a.id JOIN area p ON p.id = a.parent_id
WHERE a.code = :code AND v.version = :version

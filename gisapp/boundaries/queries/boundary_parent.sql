-- The parent code of a live area (NULL for a district); no row if there is no such area.
SELECT p.code AS parent_code
FROM area a LEFT JOIN area p ON p.id = a.parent_id
WHERE a.code = :code AND a.retired_at IS NULL

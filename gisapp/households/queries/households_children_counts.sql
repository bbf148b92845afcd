SELECT c.code, c.name, c.households, c.colour_counts
FROM area c
WHERE c.parent_id = (SELECT id FROM area WHERE code = :code) AND c.retired_at IS NULL
ORDER BY c.code

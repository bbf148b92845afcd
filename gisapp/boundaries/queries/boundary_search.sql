-- Areas that can hold children (district to grid) whose code starts with, or whose name
-- contains, the search text; only inside the viewer's jurisdiction.
SELECT a.code, a.name, a.level, l.key AS level_key, l.name_zh AS level_zh
FROM area a JOIN area_level l ON l.level = a.level
WHERE a.retired_at IS NULL AND a.level < 5
  AND a.code LIKE ANY(CAST(:patterns AS text[]))
  AND (a.code LIKE :prefix || '%' OR a.name LIKE '%' || :name || '%' ESCAPE '\')
ORDER BY a.level, a.code
LIMIT :limit

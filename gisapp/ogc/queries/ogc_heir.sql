-- The sibling sharing the longest edge with :code (who takes its territory on delete).
SELECT s.code
FROM area_current a
JOIN area_current s ON s.parent_id = a.parent_id AND s.id <> a.id
WHERE a.code = :code
ORDER BY coalesce(ST_Length(ST_CollectionExtract(ST_Intersection(a.geom, s.geom), 2)::geography), 0) DESC,
         s.code
LIMIT 1
